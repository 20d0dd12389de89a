import ATCore
import ATRepo
import Foundation
import GRDB
import SQLiteSupport
import TestFixtures
import Testing

@testable import Sequencer

/// A `sequencer.sqlite` created by the reference PDS must open and work, and ours must have the same schema.
@Suite struct ReferenceSchemaTests {
    /// What the reference's Kysely migrator executes for a new sequencer database: its bookkeeping tables, then
    /// `sequencer/db/migrations/001-init.ts` (reference-pds.md §c.3), then the `001` row.
    static let referenceDDL = [
        #"create table if not exists "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)"#,
        #"create table if not exists "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null)"#,
        #"insert into "kysely_migration_lock" ("id", "is_locked") values ('migration_lock', 0)"#,
        #"create table "repo_seq" ("seq" integer primary key autoincrement, "did" varchar not null, "eventType" varchar not null, "event" blob not null, "invalidated" int2 default 0 not null, "sequencedAt" varchar not null)"#,
        #"create index "repo_seq_did_idx" on "repo_seq" ("did")"#,
        #"create index "repo_seq_event_type_idx" on "repo_seq" ("eventType")"#,
        #"create index "repo_seq_sequenced_at_index" on "repo_seq" ("sequencedAt")"#,
        #"insert into "kysely_migration" ("name", "timestamp") values ('001', '2023-11-01T10:00:00.000Z')"#,
    ]

    /// Creates the file as the reference would and writes rows the way its `sequenceEvts` does.
    static func makeReferenceDatabase(at url: URL, rows: [(did: String, type: String, body: LexValue, at: String)])
        throws
    {
        let queue = try DatabaseQueue(path: url.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            for statement in referenceDDL { try db.execute(sql: statement) }
            for row in rows {
                try db.execute(
                    sql:
                        #"insert into "repo_seq" ("did", "eventType", "event", "sequencedAt") values (?, ?, ?, ?) returning "seq""#,
                    arguments: [row.did, row.type, Data(DAGCBOR.encode(row.body)), row.at])
            }
        }
        try queue.close()
    }

    static func schema(of url: URL) throws -> [String] {
        let queue = try DatabaseQueue(path: url.path)
        defer { try? queue.close() }
        return try queue.read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT type || ' ' || name || ': ' || sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
            )
        }
    }

    @Test func referenceCreatedDatabaseOpensAndWorks() async throws {
        try await withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("sequencer.sqlite")
            let did = testDID(1)
            let store = MemoryBlockstore()
            let repo = try Repo.create(storage: store, did: did, keypair: testKeypair)
            let (_, commit) = try repo.applyWrites(
                [.create(try NSID("app.bsky.feed.post"), try RecordKey("r1"), testRecord("hello"))],
                keypair: testKeypair)
            let commitEvent = SeqEvent.commit(CommitEvent(did: did, commit: commit))
            // An older PDS version's commit body carried `prev` and no `prevData`; a `tombstone` type is no longer
            // emitted. Both must be tolerated.
            guard case .map(var legacyCommit) = commitEvent.body else { return }
            legacyCommit["prev"] = .null
            legacyCommit["prevData"] = nil
            try Self.makeReferenceDatabase(
                at: url,
                rows: [
                    (
                        did.rawValue, "identity", ["did": .string(did.rawValue), "handle": "ref.test"],
                        "2024-05-01T12:00:00.000Z"
                    ),
                    (did.rawValue, "append", commitEvent.body, "2024-05-01T12:00:01.000Z"),
                    (did.rawValue, "tombstone", ["did": .string(did.rawValue)], "2024-05-01T12:00:02.000Z"),
                    (did.rawValue, "append", .map(legacyCommit), "2024-05-01T12:00:03.000Z"),
                ])

            let sequencer = try makeSequencer(dir)
            #expect(try await sequencer.currentSeq() == 4)
            let range = try await sequencer.requestSeqRange(after: nil)
            #expect(range.events.map(\.seq) == [1, 2, 4])
            #expect(range.through == 4)
            #expect(try range.events[0].event() == .identity(IdentityEvent(did: did, handle: try Handle("ref.test"))))
            #expect(try range.events[1].event() == commitEvent)
            // The legacy row is emitted as stored (with its `prev`), plus seq and time.
            guard case .message("#commit", let legacy) = range.events[2].frame else {
                Issue.record("not a #commit")
                return
            }
            #expect(legacy["prev"] == .null)
            #expect(legacy["seq"] == .integer(4))
            #expect(legacy["time"] == .string("2024-05-01T12:00:03.000Z"))
            #expect(try sequencer.lastCommitRev(did: did) == commit.rev)

            #expect(try await sequencer.sequenceIdentity(did: did) == 5)
            // Nothing was migrated again.
            let migrations = try await sequencer.pool.read { db in
                try String.fetchAll(db, sql: "SELECT name || ' ' || timestamp FROM kysely_migration")
            }
            #expect(migrations == ["001 2023-11-01T10:00:00.000Z"])
        }
    }

    @Test func ourSchemaIsTheReferenceSchema() async throws {
        try await withTemporaryDirectory { dir in
            let referenceDir = dir.appendingPathComponent("reference")
            try FileManager.default.createDirectory(at: referenceDir, withIntermediateDirectories: true)
            let referenceURL = referenceDir.appendingPathComponent("sequencer.sqlite")
            try Self.makeReferenceDatabase(at: referenceURL, rows: [])
            do { _ = try makeSequencer(dir) }
            let ours = try Self.schema(of: dir.appendingPathComponent("sequencer.sqlite"))
            let theirs = try Self.schema(of: referenceURL)
            #expect(ours == theirs)
            #expect(ours.contains { $0.hasPrefix("table sqlite_sequence") })
        }
    }

    @Test func aFileFromANewerVersionIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("sequencer.sqlite")
            try Self.makeReferenceDatabase(at: url, rows: [])
            let queue = try DatabaseQueue(path: url.path)
            try queue.write { db in
                try db.execute(
                    sql: "INSERT INTO kysely_migration (name, timestamp) VALUES ('002', '2030-01-01T00:00:00.000Z')")
            }
            try queue.close()
            #expect(throws: MigrationError.unknownMigrations(["002"])) { try makeSequencer(dir) }
        }
    }
}
