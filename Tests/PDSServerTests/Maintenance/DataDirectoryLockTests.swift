import Foundation
import PDSTestSupport
import Testing

@testable import PDSServer

/// The data directory lock that keeps offline commands and `pds serve` apart.
@Suite struct DataDirectoryLockTests {
    @Test func secondHolderIsRefusedUntilTheFirstLetsGo() async throws {
        try await withTemporaryDirectory { dir in
            var first: DataDirectoryLock? = try DataDirectoryLock(directory: dir.path)
            #expect(throws: DataDirectoryLock.Failure.self) { try DataDirectoryLock(directory: dir.path) }
            do {
                _ = try DataDirectoryLock(directory: dir.path)
            } catch let failure as DataDirectoryLock.Failure {
                #expect(failure.description == "a pds server is running on \(dir.path) (pid \(getpid())): stop it first")
            }
            withExtendedLifetime(first) {}
            first = nil
            _ = try DataDirectoryLock(directory: dir.path)
        }
    }

    @Test func hostnameChangeEndpoints() {
        #expect(HostnameChange.endpoint(for: "pds.example.com") == "https://pds.example.com")
        #expect(HostnameChange.endpoint(for: "http://localhost:2583/") == "http://localhost:2583")
    }
}
