import GRDB
import SQLiteSupport

/// The actor store schema: the reference PDS's `actor-store/db/migrations/001-init.ts`, statement for statement as
/// Kysely compiles it for SQLite, so that a store created here opens in the reference and the other way round.
enum ActorSchema {
    /// The reference's only actor-store migration.
    static let initial = SchemaMigration("001") { db in
        for statement in statements { try db.execute(sql: statement) }
    }

    /// The migrator for actor stores.
    static let migrator = KyselyMigrator([initial])

    /// The DDL of migration `001`.
    static let statements: [String] = [
        #"create table "repo_root" ("did" varchar primary key, "cid" varchar not null, "rev" varchar not null, "indexedAt" varchar not null)"#,
        #"create table "repo_block" ("cid" varchar primary key, "repoRev" varchar not null, "size" integer not null, "content" blob not null)"#,
        #"create index "repo_block_repo_rev_idx" on "repo_block" ("repoRev", "cid")"#,
        #"create table "record" ("uri" varchar primary key, "cid" varchar not null, "collection" varchar not null, "rkey" varchar not null, "repoRev" varchar not null, "indexedAt" varchar not null, "takedownRef" varchar)"#,
        #"create index "record_cid_idx" on "record" ("cid")"#,
        #"create index "record_collection_idx" on "record" ("collection")"#,
        #"create index "record_repo_rev_idx" on "record" ("repoRev")"#,
        #"create table "blob" ("cid" varchar primary key, "mimeType" varchar not null, "size" integer not null, "tempKey" varchar, "width" integer, "height" integer, "createdAt" varchar not null, "takedownRef" varchar)"#,
        #"create index "blob_tempkey_idx" on "blob" ("tempKey")"#,
        #"create table "record_blob" ("blobCid" varchar not null, "recordUri" varchar not null, constraint "record_blob_pkey" primary key ("blobCid", "recordUri"))"#,
        #"create table "backlink" ("uri" varchar not null, "path" varchar not null, "linkTo" varchar not null, constraint "backlinks_pkey" primary key ("uri", "path"))"#,
        #"create index "backlink_link_to_idx" on "backlink" ("path", "linkTo")"#,
        #"create table "account_pref" ("id" integer primary key autoincrement, "name" varchar not null, "valueJson" text not null)"#,
    ]
}
