import Foundation
import GRDB
import ServiceDB
import TestFixtures
import Testing

/// The `lexicon` table (permission set cache) as the reference writes it.
@Suite struct ServiceDBLexiconTests {
    @Test func upsertReadsBackAndForgetsOldFailures() async throws {
        try await withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("account.sqlite")
            let db = try ServiceDB(url: url)
            // A row as the reference writes one.
            let queue = try DatabaseQueue(path: url.path)
            try await queue.write {
                try $0.execute(
                    sql: """
                        INSERT INTO "lexicon" ("nsid", "createdAt", "updatedAt", "lastSucceededAt", "uri", "lexicon")
                        VALUES ('com.example.perms.basic', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
                        '2026-01-01T00:00:00.000Z', 'at://did:plc:x/com.atproto.lexicon.schema/com.example.perms.basic',
                        '{"id":"com.example.perms.basic"}')
                        """)
            }
            let found = try #require(try await db.lexicon(nsid: "com.example.perms.basic"))
            #expect(found.lexicon == #"{"id":"com.example.perms.basic"}"# && found.lastSucceededAt == found.createdAt)

            let then = Date(timeIntervalSince1970: 1_800_000_000)
            let failure = ServiceDB.LexiconRecord(
                nsid: "com.example.perms.gone", createdAt: then, updatedAt: then, lastSucceededAt: nil, uri: nil,
                lexicon: nil)
            try await db.upsertLexicon(failure, forgetFailuresBefore: then.addingTimeInterval(-300))
            #expect(try await db.lexicon(nsid: "com.example.perms.gone") == failure)
            // A later write forgets failures last tried before the cut-off; resolved entries stay however old.
            var updated = found
            updated.updatedAt = then.addingTimeInterval(400)
            try await db.upsertLexicon(updated, forgetFailuresBefore: then.addingTimeInterval(100))
            #expect(try await db.lexicon(nsid: "com.example.perms.gone") == nil)
            #expect(try await db.lexicon(nsid: "com.example.perms.basic")?.updatedAt == updated.updatedAt)
        }
    }
}
