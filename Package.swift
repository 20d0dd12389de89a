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
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", exact: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        // Already in the graph through async-http-client; named here for the mailer's STARTTLS and implicit TLS.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", exact: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSQLiteShim", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "PLCBundle", dependencies: ["ATCore", "CZstd"], swiftSettings: swiftSettings),
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
        .target(name: "Lexicon", dependencies: ["ATCore"], swiftSettings: swiftSettings),
        .target(name: "ATRepo", dependencies: ["ATCore", "ATCrypto"], swiftSettings: swiftSettings),
        .target(
            name: "SQLiteSupport",
            dependencies: [
                "ATCore",
                "CSQLiteShim",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ActorStore",
            dependencies: ["ATCore", "ATCrypto", "ATRepo", "SQLiteSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BlobStore",
            dependencies: [
                "ATCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Backup",
            dependencies: [
                "ATCore", "ActorStore", "BlobStore", "CSQLiteShim",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPGuard",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ServiceDB",
            dependencies: [
                "ATCore", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Sequencer",
            dependencies: [
                "ATCore", "ATRepo", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Identity",
            dependencies: [
                "ATCore", "ATCrypto", "SQLiteSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PLCServer",
            dependencies: [
                "ATCore", "ATCrypto", "Identity", "SQLiteSupport", "PLCBundle",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Mailer",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PDSServer",
            dependencies: [
                "ATCore", "ATCrypto", "ATRepo", "Lexicon", "ActorStore", "BlobStore", "ServiceDB", "Sequencer",
                "Identity", "PLCServer", "SQLiteSupport", "HTTPGuard", "Mailer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pds",
            dependencies: [
                "ATCore", "ATCrypto", "ATRepo", "Backup", "Identity", "PDSServer", "PLCServer", "PLCBundle",
                "SQLiteSupport", "Sequencer", "ServiceDB",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pds-bench",
            dependencies: [
                "ATCore", "ATCrypto", "ATRepo", "ActorStore", "SQLiteSupport", "PDSServer", "ServiceDB", "Sequencer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzzing harnesses (`make fuzz`, scripts/fuzz.sh), built with libFuzzer instrumentation in .build-fuzz; in
        // an ordinary build they replay corpus files. CLibFuzzer only declares libFuzzer's driver entry point.
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Fuzz/Sources/FuzzDriver", swiftSettings: swiftSettings),
        .executableTarget(
            name: "pds-fuzz",
            dependencies: [
                "ATCore", "FuzzDriver", "Lexicon", "Sequencer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Fuzz/Sources/pds-fuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pds-fuzz-server",
            dependencies: [
                "ATCore", "FuzzDriver", "Identity", "PDSServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/Sources/pds-fuzz-server",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "repo-fixture", dependencies: ["ATCore", "ATCrypto", "ATRepo"], swiftSettings: swiftSettings),
        // Test helpers in layers, so that a module's tests compile only what that module needs:
        // TestFixtures (interop fixtures, temporary directories, a test clock) for every test target,
        // BlobStoreTestSupport (a moto_server S3 endpoint and buckets) for the blobstore, IdentityTestSupport (PLC
        // identities) for the identity and PLC directory tests, and PDSTestSupport (the test application) for the
        // server, which re-exports TestFixtures and BlobStoreTestSupport.
        .target(name: "TestFixtures", dependencies: ["ATCore"], swiftSettings: swiftSettings),
        .target(
            name: "IdentityTestSupport", dependencies: ["ATCore", "ATCrypto", "Identity", "TestFixtures"],
            swiftSettings: swiftSettings),
        .target(
            name: "BlobStoreTestSupport",
            dependencies: [
                "BlobStore", "TestFixtures",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PDSTestSupport",
            dependencies: [
                "PDSServer", "Sequencer", "TestFixtures", "BlobStoreTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ATRepoTests", dependencies: ["ATRepo", "TestFixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "ATCoreTests", dependencies: ["ATCore", "TestFixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity", "IdentityTestSupport", "PLCServer", "TestFixtures",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SequencerTests",
            dependencies: [
                "Sequencer", "SQLiteSupport", "TestFixtures",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HTTPGuardTests",
            dependencies: [
                "HTTPGuard",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailerTests",
            dependencies: [
                "Mailer", "TestFixtures",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LexiconTests", dependencies: ["Lexicon", "TestFixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PDSServerTests",
            dependencies: [
                "PDSServer", "PDSTestSupport", "ATCore", "ATCrypto", "ATRepo", "ActorStore", "BlobStore", "ServiceDB",
                "Sequencer", "Identity", "Mailer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceDBTests",
            dependencies: ["ServiceDB", "SQLiteSupport", "TestFixtures", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BackupTests",
            dependencies: [
                "Backup", "ActorStore", "SQLiteSupport", "TestFixtures", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ActorStoreTests",
            dependencies: ["ActorStore", "SQLiteSupport", "TestFixtures", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BlobStoreTests",
            dependencies: [
                "BlobStore", "TestFixtures", "BlobStoreTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PLCServerTests",
            dependencies: [
                "PLCServer", "PLCBundle", "Identity", "ATCore", "ATCrypto", "IdentityTestSupport", "TestFixtures",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ATCryptoTests",
            dependencies: ["ATCrypto", "TestFixtures", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
    ]
)
