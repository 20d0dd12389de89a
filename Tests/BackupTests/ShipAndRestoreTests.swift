import ATCore
import Foundation
import GRDB
import Logging
import TestFixtures
import Testing

@testable import Backup

/// Ships a small data directory (WAL databases held open by writers, as the server holds them) to a directory
/// target and restores it, whole, at a point in time, and one account.
@Suite struct ShipAndRestoreTests {
    let key = BackupKey(bytes: Array(repeating: 3, count: 32))
    let did = try! DID("did:plc:backuptestaaaaaaaaaaaaaa")
    let otherDID = try! DID("did:plc:backuptestbbbbbbbbbbbbbb")

    /// A live data directory: account.sqlite listing two actors, their stores (WAL, open, never checkpointed), keys
    /// and one blob.
    struct Live {
        let layout: BackupLayout
        let account: DatabasePool
        let stores: [DID: DatabasePool]
    }

    func makeLive(_ root: URL) throws -> Live {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let layout = BackupLayout(dataDirectory: root, blobsDirectory: root.appendingPathComponent("blocks"))
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let account = try DatabasePool(path: layout.path(of: "account.sqlite")!.path, configuration: configuration)
        try account.write { db in
            try db.execute(sql: "CREATE TABLE actor (did TEXT PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO actor VALUES (?), (?)", arguments: [did.rawValue, otherDID.rawValue])
        }
        var stores: [DID: DatabasePool] = [:]
        for actor in [did, otherDID] {
            let path = layout.path(of: BackupFile.store(actor))!
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            let pool = try DatabasePool(path: path.path, configuration: configuration)
            try pool.write { db in try db.execute(sql: "CREATE TABLE record (text TEXT)") }
            stores[actor] = pool
            try Data(repeating: 0xAB, count: 32).write(to: layout.path(of: BackupFile.key(actor))!)
        }
        let blob = layout.path(of: BackupFile.blob(did, "bafkblob"))!
        try FileManager.default.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("blob bytes secret-blob-text".utf8).write(to: blob)
        return Live(layout: layout, account: account, stores: stores)
    }

    func texts(_ url: URL) throws -> [String] {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT text FROM record ORDER BY text") }
    }

    @Test func shipsChangesAndRestoresAtAPointInTime() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"))
            try await live.stores[did]!.write { try $0.execute(sql: "INSERT INTO record VALUES ('first-record-text')") }
            // A file modified within the coarse-clock slack of a version's generation is shipped again next time.
            try await Task.sleep(for: .milliseconds(100))
            try await shipper.shipAll()
            try await shipper.shipHighWaterMark(41)
            let firstCount = shipper.shipped.objects
            // Nothing changed: nothing shipped.
            try await shipper.shipAll()
            #expect(shipper.shipped.objects == firstCount)
            try await Task.sleep(for: .milliseconds(5))
            let between = BackupShipper.nowMilliseconds()
            try await Task.sleep(for: .milliseconds(5))
            try await live.stores[did]!.write { try $0.execute(sql: "INSERT INTO record VALUES ('second-record-text')") }
            // Only the changed actor's store goes.
            try await shipper.shipActor(did)
            try await shipper.shipActor(otherDID)
            #expect(shipper.shipped.objects == firstCount + 1)
            try await shipper.shipHighWaterMark(57)

            // No plaintext in the target: record text, blob bytes, key bytes.
            let enumerator = FileManager.default.enumerator(atPath: target.root.path)!
            while let name = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = target.root.appendingPathComponent(name).path
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue
                else { continue }
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                for needle in ["first-record-text", "secret-blob-text"] {
                    #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in \(name)")
                }
                #expect(bytes.range(of: Data(repeating: 0xAB, count: 32)) == nil, "key bytes in \(name)")
            }

            let restorer = BackupRestorer(target: target, key: key)
            let latest = root.appendingPathComponent("latest")
            let latestLayout = BackupLayout(dataDirectory: latest, blobsDirectory: latest.appendingPathComponent("blocks"))
            let summary = try await restorer.restore(into: latestLayout, at: nil, did: nil, seqGap: 100)
            #expect(summary.highWaterMark == 57 && summary.seqAtLeast == 157 && summary.accounts == 2)
            #expect(try texts(latestLayout.path(of: BackupFile.store(did))!) == ["first-record-text", "second-record-text"])
            #expect(try Data(contentsOf: latestLayout.path(of: BackupFile.blob(did, "bafkblob"))!) == Data("blob bytes secret-blob-text".utf8))
            #expect(try Data(contentsOf: latestLayout.path(of: BackupFile.key(did))!) == Data(repeating: 0xAB, count: 32))
            let marker = try BackupRestoreMarker.read(in: latest)
            #expect(marker == BackupRestoreMarker(seqAtLeast: 157, dids: nil))

            let earlier = root.appendingPathComponent("earlier")
            let earlierLayout = BackupLayout(dataDirectory: earlier, blobsDirectory: nil)
            _ = try await restorer.restore(into: earlierLayout, at: between, did: nil)
            #expect(try texts(earlierLayout.path(of: BackupFile.store(did))!) == ["first-record-text"])

            // A whole restore over an existing data directory is refused.
            await #expect(throws: BackupError.self) {
                _ = try await restorer.restore(into: latestLayout, at: nil, did: nil)
            }
        }
    }

    @Test func oneAccountRestoreLeavesOthersAlone() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"))
            try await live.stores[did]!.write { try $0.execute(sql: "INSERT INTO record VALUES ('kept')") }
            try await shipper.shipAll()
            // Both accounts change after the backup; the restore of one puts only that one back.
            try await live.stores[did]!.write { try $0.execute(sql: "INSERT INTO record VALUES ('lost')") }
            try await live.stores[otherDID]!.write { try $0.execute(sql: "INSERT INTO record VALUES ('other')") }
            for pool in live.stores.values { try pool.close() }
            try live.account.close()
            _ = try await BackupRestorer(target: target, key: key).restore(
                into: live.layout, at: nil, did: did)
            #expect(try texts(live.layout.path(of: BackupFile.store(did))!) == ["kept"])
            #expect(try texts(live.layout.path(of: BackupFile.store(otherDID))!) == ["other"])
            #expect(try BackupRestoreMarker.read(in: live.layout.dataDirectory)?.dids == [did.rawValue])
        }
    }

    @Test func wrongKeyWritesNothing() async throws {
        try await withTemporaryDirectory { root in
            let live = try makeLive(root.appendingPathComponent("data"))
            let target = DirectoryBackupTarget(root: root.appendingPathComponent("backup"))
            let shipper = try await BackupShipper(
                target: target, key: key, layout: live.layout, logger: Logger(label: "test"))
            try await shipper.shipAll()
            let wrong = BackupKey(bytes: Array(repeating: 4, count: 32))
            let destination = root.appendingPathComponent("restored")
            await #expect {
                _ = try await BackupRestorer(target: target, key: wrong).restore(
                    into: BackupLayout(dataDirectory: destination, blobsDirectory: nil), at: nil, did: nil)
            } throws: { error in
                if case BackupError.wrongKey = error { return true }
                return false
            }
            #expect(!FileManager.default.fileExists(atPath: destination.path))
            // And a server with the wrong key does not start shipping into that target.
            await #expect(throws: BackupError.self) {
                _ = try await BackupShipper(target: target, key: wrong, layout: live.layout, logger: Logger(label: "t"))
            }
        }
    }
}
