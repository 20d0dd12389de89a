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

/// What the reference's Kysely migrator executes for a new actor store: its bookkeeping tables, then
/// `actor-store/db/migrations/001-init.ts` (reference-pds.md §c.1), then the `001` row.
let referenceActorDDL = [
    #"create table if not exists "kysely_migration" ("name" varchar(255) not null primary key, "timestamp" varchar(255) not null)"#,
    #"create table if not exists "kysely_migration_lock" ("id" varchar(255) not null primary key, "is_locked" integer default 0 not null)"#,
    #"insert into "kysely_migration_lock" ("id", "is_locked") values ('migration_lock', 0)"#,
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
    #"insert into "kysely_migration" ("name", "timestamp") values ('001', '2023-11-01T10:00:00.000Z')"#,
]
