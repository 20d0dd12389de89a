import ATCore
import Foundation
import TestFixtures
import Testing

@testable import Lexicon

@Suite struct KnownLexiconsTests {
    @Test func everyKnownRecordTypeIsARecord() throws {
        for type in KnownLexicons.recordTypes {
            #expect(KnownLexicons.catalog.hasRecordType(try NSID(type)), "\(type)")
        }
    }

    /// The embedded text must match the official lexicon files (re-run scripts/generate-known-lexicons.py).
    @Test(arguments: KnownLexicons.documentsJSON.keys.sorted())
    func embeddedDocumentMatchesTheOfficialFile(_ nsid: String) throws {
        let path = nsid.split(separator: ".").joined(separator: "/") + ".json"
        let official = try LexiconDocument(json: Array(Data(contentsOf: Fixtures.lexiconDirectory.appendingPathComponent(path))))
        #expect(try LexiconDocument(json: Array(KnownLexicons.documentsJSON[nsid]!.utf8)) == official)
    }

    func validate(_ json: String, _ collection: String, rkey: String = "3jzfcijpj2z2a") throws {
        try KnownLexicons.validator.validateRecord(
            try LexValue(jsonBytes: Array(json.utf8)), collection: try NSID(collection), rkey: try RecordKey(rkey))
    }

    @Test func realPostsValidate() throws {
        try validate(
            #"""
            {"$type": "app.bsky.feed.post", "text": "hello @alice.test", "createdAt": "2024-05-01T12:00:00.000Z",
             "langs": ["en"],
             "facets": [{"index": {"byteStart": 6, "byteEnd": 17},
                         "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:abcdefghijklmnopqrstuvwx"}]}],
             "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "a cat",
                 "image": {"$type": "blob", "ref": {"$link": "bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity"},
                           "mimeType": "image/jpeg", "size": 10000}}]}}
            """#, "app.bsky.feed.post")
        try validate(
            #"{"$type": "app.bsky.feed.like", "createdAt": "2024-05-01T12:00:00Z", "subject": {"uri": "at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3jzfcijpj2z2a", "cid": "bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"}}"#,
            "app.bsky.feed.like")
        try validate(#"{"$type": "app.bsky.actor.profile", "displayName": "Alice"}"#, "app.bsky.actor.profile", rkey: "self")
    }

    @Test func invalidPostsAreRejected() throws {
        let tooLong = String(repeating: "a", count: 301)
        #expect(throws: LexiconError.self) {
            try validate(#"{"$type": "app.bsky.feed.post", "text": "\#(tooLong)", "createdAt": "2024-05-01T12:00:00Z"}"#, "app.bsky.feed.post")
        }
        #expect(throws: LexiconError.self) {
            try validate(#"{"$type": "app.bsky.feed.post", "text": "no date"}"#, "app.bsky.feed.post")
        }
        #expect(throws: LexiconError.self) {
            try validate(#"{"$type": "app.bsky.feed.like", "createdAt": "2024-05-01T12:00:00Z", "subject": {"uri": "not a uri"}}"#, "app.bsky.feed.like")
        }
        #expect(throws: LexiconError.self) {
            try validate(#"{"$type": "app.bsky.actor.profile", "displayName": "Alice"}"#, "app.bsky.actor.profile", rkey: "other")
        }
    }

    @Test func unknownTypesAreNotInTheCatalog() throws {
        #expect(!KnownLexicons.catalog.hasRecordType(try NSID("com.example.unknown.thing")))
        #expect(throws: LexiconError.unknownSchema("com.example.unknown.thing#main")) {
            try validate(#"{"$type": "com.example.unknown.thing"}"#, "com.example.unknown.thing")
        }
    }
}
