import ATCore
import ATCrypto
import Foundation
import Identity
import PLCServer
import Testing

@Suite struct PLCExportOrderTests {
    /// Concurrent submissions with a clock that jumps back and forth (as readings taken before the serialized write
    /// do under concurrency) still export in strictly increasing `createdAt` order, and paging with
    /// `after=<createdAt>` returns every operation exactly once.
    @Test func concurrentSubmissionsExportInCreatedAtOrder() async throws {
        try await withTemporaryPath { dir in
            let readings = LockedBox(0)
            let base = Date(timeIntervalSince1970: 1_750_000_000)
            let clock: @Sendable () -> Date = {
                let reading = readings.modify { value in
                    value += 1
                    return value
                }
                // Back and forth by up to half a second, often repeating a millisecond.
                return base.addingTimeInterval(Double((reading * 7919) % 1000 - 500) / 1000)
            }
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite", now: clock)
            let count = 60
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let key = Secp256k1Keypair()
                        let state = PLCFixture.state(rotation: [key], handle: "u\(index).test")
                        _ = try await directory.createDID(state: state, signer: key)
                    }
                }
                try await group.waitForAll()
            }
            var seen: [PLCLogEntry] = []
            var cursor: PLCOperationStore.ExportCursor?
            while true {
                let page = try await directory.store.export(after: cursor, count: 7)
                guard let last = page.last else { break }
                seen += page.map(\.entry)
                cursor = .createdAfter(last.entry.createdAt)
            }
            #expect(seen.count == count)
            #expect(Set(seen.map(\.cid)).count == count)
            let stamps = seen.map { Datetime($0.createdAt).rawValue }
            #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        }
    }
}
