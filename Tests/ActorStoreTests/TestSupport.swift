import ATCore
import ATCrypto
import Foundation

@testable import ActorStore

/// A store over `directory/actors` with the given cache sizes.
func makeStore(_ directory: URL, handles: Int = 16, keys: Int = 16) throws -> ActorStore {
    try ActorStore(
        configuration: .init(
            actorsDirectory: directory.appendingPathComponent("actors"),
            handleCacheSize: handles,
            keyCacheSize: keys
        )
    )
}

/// `did:plc:` DIDs numbered from 0.
func testDID(_ n: Int) -> DID {
    let suffix = String(n, radix: 32).padding(toLength: 6, withPad: "a", startingAt: 0)
    return try! DID("did:plc:test\(suffix)aaaaaaaaaaaaaa")
}

/// The descriptors this process has open on files under `directory` (from `/proc/self/fd`).
func openFiles(under directory: URL) -> [String] {
    let prefix = directory.resolvingSymlinksInPath().path
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
    return entries.compactMap { entry in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")
        else { return nil }
        return target.hasPrefix(prefix) ? target : nil
    }
}

/// Waits (polling) until `condition` holds, up to `timeout`.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
