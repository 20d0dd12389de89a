import ATCore
import ATCrypto
import ATRepo
import Foundation
import GRDB
import TestFixtures
import Testing

@testable import ActorStore

/// A `store.sqlite` as the reference PDS creates it must open and work, and ours must have the same schema.
@Suite struct ReferenceSchemaTests {

    /// Builds a reference-style actor directory for `did` with one commit-like root block and one record.
    static func makeReferenceStore(_ store: ActorStore, did: DID, keypair: Secp256k1Keypair) throws -> (CID, CID) {
        let location = store.location(of: did)
        try FileManager.default.createDirectory(at: location.directory, withIntermediateDirectories: true)
        try Data(keypair.exportPrivateKey()).write(to: location.key)
        let queue = try DatabaseQueue(path: location.database.path)
        let record: LexValue = ["$type": "app.bsky.feed.post", "text": "from the reference"]
        let recordBytes = DAGCBOR.encode(record)
        let recordCID = CID.dagCBOR(hashing: recordBytes)
        let commit: LexValue = ["did": .string(did.rawValue), "version": 3, "data": .link(recordCID), "rev": "3krefaaaaaaa2"]
        let commitBytes = DAGCBOR.encode(commit)
        let commitCID = CID.dagCBOR(hashing: commitBytes)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")  // ensureWal() at creation
            for statement in referenceActorDDL { try db.execute(sql: statement) }
            for (cid, bytes) in [(recordCID, recordBytes), (commitCID, commitBytes)] {
                try db.execute(
                    sql: "insert into repo_block (cid, repoRev, size, content) values (?, ?, ?, ?)",
                    arguments: [cid.description, "3krefaaaaaaa2", bytes.count, Data(bytes)])
            }
            try db.execute(
                sql: "insert into repo_root (did, cid, rev, indexedAt) values (?, ?, ?, ?)",
                arguments: [did.rawValue, commitCID.description, "3krefaaaaaaa2", "2023-11-01T10:00:00.000Z"])
            try db.execute(
                sql: "insert into record (uri, cid, collection, rkey, repoRev, indexedAt) values (?, ?, ?, ?, ?, ?)",
                arguments: ["at://\(did.rawValue)/app.bsky.feed.post/3kref", recordCID.description, "app.bsky.feed.post",
                    "3kref", "3krefaaaaaaa2", "2023-11-01T10:00:00.000Z"])
        }
        try queue.close()
        return (commitCID, recordCID)
    }

    @Test func referenceCreatedStoreOpensAndWorks() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(1)
            let keypair = Secp256k1Keypair()
            let (commitCID, recordCID) = try Self.makeReferenceStore(store, did: did, keypair: keypair)
            #expect(await store.exists(did))

            let (root, record) = try await store.read(did) { reader throws in
                (try reader.repo.root(), try reader.record.getRecord(uri: try ATURI("at://\(did.rawValue)/app.bsky.feed.post/3kref")))
            }
            #expect(root?.cid == commitCID)
            #expect(root?.rev.rawValue == "3krefaaaaaaa2")
            #expect(record?.cid == recordCID)
            #expect(record?.value["text"]?.string == "from the reference")
            #expect(try await store.keypair(did).did == keypair.did)

            // Write through it: a new block, a new root, a record, a preference.
            let newRev = try TID("3krefaaaaaaa3")
            try await store.transact(did) { txn throws in
                var blocks = BlockMap()
                let cid = blocks.add(["$type": "app.bsky.feed.post", "text": "from swift"])
                try txn.storage.putMany(blocks, rev: newRev)
                try txn.storage.updateRoot(cid, rev: newRev)
                let uri = ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("3kswift"))
                try txn.record.indexRecord(uri: uri, cid: cid, record: nil, repoRev: newRev)
                try txn.pref.putPreferences([try JSONValue(parsing: #"{"$type":"app.bsky.actor.defs#savedFeedsPref"}"#)],
                    namespace: "app.bsky", fullAccess: true)
            }
            await store.close()

            // The file still looks like the reference's: the same single migration row, one root row.
            let queue = try DatabaseQueue(path: store.location(of: did).database.path)
            try await queue.read { db throws in
                #expect(try String.fetchAll(db, sql: "SELECT name FROM kysely_migration") == ["001"])
                #expect(try Row.fetchAll(db, sql: "SELECT * FROM repo_root").count == 1)
                #expect(try String.fetchOne(db, sql: "SELECT rev FROM repo_root") == "3krefaaaaaaa3")
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM record") == 2)
                #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            }
            try queue.close()
        }
    }

    @Test func newStoresHaveTheReferenceSchema() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let (ours, theirs) = (testDID(2), testDID(3))
            try await store.create(ours, keypair: Secp256k1Keypair())
            _ = try Self.makeReferenceStore(store, did: theirs, keypair: Secp256k1Keypair())
            await store.close()
            let ourSchema = try Self.schema(store.location(of: ours).database)
            let theirSchema = try Self.schema(store.location(of: theirs).database)
            #expect(ourSchema == theirSchema)
            #expect(ourSchema.contains("table account_pref: id INTEGER pk1 null, name varchar pk0 notnull, valueJson TEXT pk0 notnull"))
            let queue = try DatabaseQueue(path: store.location(of: ours).database.path)
            let (migrations, lock, journal) = try await queue.read { db throws in
                (
                    try String.fetchAll(db, sql: "SELECT name FROM kysely_migration"),
                    try Row.fetchAll(db, sql: "SELECT id, is_locked FROM kysely_migration_lock").map { "\($0["id"] as String? ?? "")=\($0["is_locked"] as Int? ?? -1)" },
                    try String.fetchOne(db, sql: "PRAGMA journal_mode")
                )
            }
            try queue.close()
            #expect(migrations == ["001"])
            #expect(lock == ["migration_lock=0"])
            #expect(journal == "wal")
        }
    }

    @Test func aStoreFromANewerVersionIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let store = try makeStore(dir)
            let did = testDID(4)
            _ = try Self.makeReferenceStore(store, did: did, keypair: Secp256k1Keypair())
            let queue = try DatabaseQueue(path: store.location(of: did).database.path)
            try await queue.write { db in
                try db.execute(sql: "insert into kysely_migration values ('002', '2030-01-01T00:00:00.000Z')")
            }
            try queue.close()
            await #expect(throws: (any Error).self) { try await store.read(did) { _ in 0 } }
            await store.close()
            #expect(openFiles(under: dir).isEmpty)
        }
    }

    /// Tables (columns with type, pk position, nullability) and indexes (columns, uniqueness), in name order.
    static func schema(_ url: URL) throws -> [String] {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        return try queue.read { db in
            var lines: [String] = []
            let tables = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            for table in tables {
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(table)\")").map { row in
                    "\(row["name"] as String? ?? "") \(row["type"] as String? ?? "") pk\(row["pk"] as Int? ?? 0) "
                        + ((row["notnull"] as Int? ?? 0) == 1 ? "notnull" : "null")
                        + ((row["dflt_value"] as String?).map { " default \($0)" } ?? "")
                }
                lines.append("table \(table): " + columns.joined(separator: ", "))
                let indexes = try Row.fetchAll(db, sql: "PRAGMA index_list(\"\(table)\")")
                    .map { ($0["name"] as String? ?? "", $0["unique"] as Int? ?? 0, $0["origin"] as String? ?? "") }
                    .sorted { $0.0 < $1.0 }
                for (name, unique, origin) in indexes {
                    let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [name])
                    let label = origin == "c" ? name : origin  // autoindex names are generated
                    lines.append("  index \(label) unique=\(unique) (\(columns.joined(separator: ", ")))")
                }
            }
            return lines
        }
    }
}
