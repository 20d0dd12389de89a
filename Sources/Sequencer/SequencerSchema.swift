import GRDB
import SQLiteSupport

/// The `sequencer.sqlite` schema: the reference PDS's `src/sequencer/db/migrations/001-init.ts`, statement for
/// statement, recorded in `kysely_migration` so that either implementation opens the other's file.
package enum SequencerSchema {
    /// The statements of migration `001`, as Kysely compiles them for SQLite.
    package static let migration001 = [
        #"create table "repo_seq" ("seq" integer primary key autoincrement, "did" varchar not null, "eventType" varchar not null, "event" blob not null, "invalidated" int2 default 0 not null, "sequencedAt" varchar not null)"#,
        #"create index "repo_seq_did_idx" on "repo_seq" ("did")"#,
        #"create index "repo_seq_event_type_idx" on "repo_seq" ("eventType")"#,
        #"create index "repo_seq_sequenced_at_index" on "repo_seq" ("sequencedAt")"#,
    ]

    /// The migrator for `sequencer.sqlite`.
    package static let migrator = KyselyMigrator([
        SchemaMigration("001") { db in
            for statement in migration001 { try db.execute(sql: statement) }
        }
    ])
}
