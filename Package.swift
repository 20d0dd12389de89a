// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "swift-pds",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pds", targets: ["pds"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        .target(
            name: "ATCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ATCrypto",
            dependencies: ["ATCore", "CSecp256k1", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(name: "ATRepo", dependencies: ["ATCore", "ATCrypto"], swiftSettings: swiftSettings),
        .target(name: "ActorStore", dependencies: ["ATCore", "ATCrypto", "ATRepo"], swiftSettings: swiftSettings),
        .target(
            name: "ServiceDB",
            dependencies: ["ATCore", .product(name: "CryptoExtras", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Sequencer", dependencies: ["ATCore", "ATRepo"], swiftSettings: swiftSettings),
        .target(name: "Identity", dependencies: ["ATCore", "ATCrypto"], swiftSettings: swiftSettings),
        .target(
            name: "PDSServer",
            dependencies: ["ATCore", "ATCrypto", "ATRepo", "ActorStore", "ServiceDB", "Sequencer", "Identity"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "pds", dependencies: ["PDSServer"], swiftSettings: swiftSettings),
        .executableTarget(name: "pds-bench", dependencies: ["ATCore", "ATCrypto"], swiftSettings: swiftSettings),
        .target(name: "PDSTestSupport", dependencies: ["PDSServer"], swiftSettings: swiftSettings),
        .testTarget(name: "ATCoreTests", dependencies: ["ATCore", "PDSTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ATCryptoTests", dependencies: ["ATCrypto", "PDSTestSupport"], swiftSettings: swiftSettings),
    ]
)
