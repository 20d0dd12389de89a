import ATCore
import Foundation
import GRDB
import Logging
import SQLiteSupport
import Synchronization
import TestFixtures
import Testing

@testable import Backup

/// WAL-frame shipping of a database written as the server writes it (automatic checkpoints and checkpoint-on-close
/// off): segments rebuild the live database, a point in time between two transactions, no frame lost across the
/// backup's own checkpoints under concurrent writes, a gap refused, retention by generation.
@Suite struct WALShippingTests {
    let key = BackupKey(bytes: Array(repeating: 5, count: 32))
    let did = try! DID("did:plc:walshippingaaaaaaaaaaaaa")

    struct Live {
        let layout: BackupLayout
        let store: DatabasePool
        var file: String
        var path: URL { layout.path(of: file)! }
    }

    func makeLive(_ root: URL) throws -> Live {
        let layout = BackupLayout(dataDirectory: root, blobsDirectory: nil)
        let file = BackupFile.store(did)
        let path = layout.path(of: file)!
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        let store = try DatabasePool(
            path: path.path, configuration: SQLiteConfiguration(disableWALAutoCheckpoint: true).grdbConfiguration)
        try store.write { db in
            try db.execute(sql: "CREATE TABLE record (n INTEGER PRIMARY KEY, text TEXT)")
            try db.execute(sql: "CREATE INDEX record_text ON record (text)")
        }
        return Live(layout: layout, store: store, file: file)
    }

    func insert(_ store: DatabasePool, _ range: Range<Int>) async throws {
        try await store.write { db in
            for n in range {
                try db.execute(
                    sql: "INSERT INTO record VALUES (?, ?)", arguments: [n, "record \(n) " + String(repeating: "p", count: 200)])
            }
        }
    }

    /// The rows and `PRAGMA integrity_check` of a database file.
    func contents(_ url: URL) throws -> (rows: [Int], integrity: String) {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: url.path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read { db in
            (
                try Int.fetchAll(db, sql: "SELECT n FROM record ORDER BY n"),
                try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
            )
        }
    }

    func restore(_ target: DirectoryBackupTarget, to root: URL, at time: Int64?) async throws -> URL {
        let layout = BackupLayout(dataDirectory: root, blobsDirectory: nil)
        _ = try await BackupRestorer(target: target, key: key).restore(into: layout, at: time, did: did)
        return layout.path(of: BackupFile.store(did))!
    }

    @Test func segmentsRebuildTheLiveDatabaseAtAnyPointInTime() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"))
            try await shipper.ship(live.file, force: true)
            try await insert(live.store, 0..<50)
            try await shipper.ship(live.file, force: true)
            let between = BackupShipper.nowMilliseconds()
            try await Task.sleep(for: .milliseconds(5))
            try await insert(live.store, 50..<60)
            try await live.store.write { db in try db.execute(sql: "DELETE FROM record WHERE n < 10") }
            try await shipper.ship(live.file, force: true)

            let objects = shipper.currentCatalog.versions[live.file] ?? []
            #expect(objects.map(\.index) == [0, 1, 2], "one copy, then one segment per ship with new frames")
            let latest = try contents(try await restore(target, to: root.appendingPathComponent("latest"), at: nil))
            let expected = try contents(live.path)
            #expect(latest.rows == Array(10..<60) && latest.rows == expected.rows)
            #expect(latest.integrity == "ok")
            let earlier = try contents(try await restore(target, to: root.appendingPathComponent("earlier"), at: between))
            #expect(earlier.rows == Array(0..<50) && earlier.integrity == "ok")
            try live.store.close()
        }
    }

    @Test func noFrameIsLostAcrossCheckpointsUnderConcurrentWrites() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            // Checkpoint at every ship that finds the WAL past one page.
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"),
                walPolicy: WALShippingPolicy(checkpointBytes: 4096))
            try await shipper.ship(live.file, force: true)
            let writes = 300
            let writing = WritingFlag()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for n in 0..<writes { try await insert(live.store, n..<(n + 1)) }
                    writing.value.withLock { $0 = false }
                }
                group.addTask {
                    // Readers hold snapshots meanwhile, so some checkpoints can not backfill everything.
                    while writing.value.withLock({ $0 }) {
                        _ = try await live.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM record") }
                    }
                }
                // Ship (and checkpoint) as long as the writer writes.
                while writing.value.withLock({ $0 }) {
                    try await shipper.ship(live.file, force: true)
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await group.waitForAll()
            }
            try await shipper.ship(live.file, force: true)
            let objects = shipper.currentCatalog.versions[live.file] ?? []
            // One generation throughout: every WAL restart after a checkpoint was followed, none forced a new copy.
            #expect(objects.filter { $0.index == 0 }.count == 1)
            #expect(objects.count >= 2)
            let restored = try contents(try await restore(target, to: root.appendingPathComponent("restored"), at: nil))
            #expect(restored.rows == Array(0..<writes))
            #expect(restored.integrity == "ok")
            try live.store.close()
        }
    }

    @Test func aMissingSegmentIsAClearError() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"))
            try await shipper.ship(live.file, force: true)
            for n in 0..<3 {
                try await insert(live.store, n..<(n + 1))
                try await shipper.ship(live.file, force: true)
            }
            let segment = try #require(shipper.currentCatalog.versions[live.file]?.first { $0.index == 2 })
            try await target.delete([segment.objectName])
            await #expect {
                _ = try await restore(target, to: root.appendingPathComponent("restored"), at: nil)
            } throws: { error in
                guard case BackupError.missingSegment(_, _, let index) = error else { return false }
                return index == 2
            }
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("restored/actors").path))
            try live.store.close()
        }
    }

    @Test func retentionRemovesWholeSupersededGenerations() throws {
        let file = "account.sqlite"
        let catalog = BackupCatalog(objectNames: [
            BackupVersion(file: file, generation: 100, size: 1).objectName,
            BackupVersion(file: file, generation: 100, index: 1, time: 150, size: 1).objectName,
            BackupVersion(file: file, generation: 200, size: 1).objectName,
            BackupVersion(file: file, generation: 200, index: 1, time: 250, size: 1).objectName,
            BackupVersion(file: file, generation: 200, index: 2, time: 350, size: 1).objectName,
            BackupVersion(file: file, generation: 400, size: 1).objectName,
        ])
        // Generation 200 covers 300: generation 100 goes, whole.
        #expect(Set(catalog.expired(before: 300).map(\.generation)) == [100])
        #expect(catalog.expired(before: 300).count == 2)
        #expect(catalog.expired(before: 150).isEmpty)
        #expect(try catalog.chain(of: file, at: 300).map(\.index) == [0, 1])
        #expect(try catalog.chain(of: file, at: 399).map(\.index) == [0, 1, 2])
        #expect(try catalog.chain(of: file, at: 99).isEmpty)
        #expect(BackupVersion(objectName: BackupVersion(file: file, generation: 200, index: 2, time: 350, size: 9).objectName)
            == BackupVersion(file: file, generation: 200, index: 2, time: 350, size: 9))
    }
}

/// Whether the test's writer still writes, shared with its tasks.
private final class WritingFlag: Sendable {
    let value = Mutex(true)
}
