import Foundation
import Testing

@testable import ATCore

@Suite struct SyntaxTypesTests {
    // MARK: - DID and handle

    @Test func didComponents() throws {
        let did = try DID("did:plc:7iza6de2dwap2sbkpav7c6c6")
        #expect(did.method == "plc")
        #expect(did.identifier == "7iza6de2dwap2sbkpav7c6c6")
        #expect(did.isPLC && !did.isWeb)
        let web = try DID("did:web:localhost%3A1234")
        #expect(web.isWeb && web.identifier == "localhost%3A1234")
        #expect(try DID("did:method::.").identifier == ":.")
    }

    @Test func handleIsLowercased() throws {
        let handle = try Handle("Alice.BSKY.Social")
        #expect(handle.rawValue == "alice.bsky.social")
        #expect(handle == (try Handle("alice.bsky.social")))
        #expect(handle.description == "alice.bsky.social")
        #expect(handle.tld == "social")
    }

    @Test func handleDisallowedTLDs() throws {
        #expect(try Handle("laptop.local").isDisallowedTLD)
        #expect(try Handle("x.ARPA").isDisallowedTLD)
        #expect(Handle.invalid.isDisallowedTLD)
        #expect(Handle.invalid.rawValue == "handle.invalid")
        #expect(try !Handle("alice.bsky.social").isDisallowedTLD)
        #expect(try !Handle("example.com").isDisallowedTLD)
    }

    @Test func nsidComponents() throws {
        let nsid = try NSID("app.bsky.feed.post")
        #expect(nsid.authority == "app.bsky.feed")
        #expect(nsid.name == "post")
    }

    // MARK: - AT URI

    @Test func atURIComponents() throws {
        let uri = try ATURI("at://did:plc:asdf123/com.atproto.feed.post/3jzfcijpj2z2a")
        #expect(uri.authority == .did(try DID("did:plc:asdf123")))
        #expect(uri.collection == (try NSID("com.atproto.feed.post")))
        #expect(uri.recordKey == (try RecordKey("3jzfcijpj2z2a")))

        let repo = try ATURI("at://Alice.Example.com")
        #expect(repo.authority == .handle(try Handle("alice.example.com")))
        #expect(repo.collection == nil && repo.recordKey == nil)
        #expect(repo.rawValue == "at://Alice.Example.com")

        let collection = try ATURI("at://did:plc:asdf123/app.bsky.feed.like")
        #expect(collection.collection?.name == "like" && collection.recordKey == nil)
    }

    @Test func atURIFragmentAndQuery() throws {
        let withPointer = try ATURI("at://did:plc:asdf123/com.atproto.feed.post/rec#/text")
        #expect(withPointer.fragment == "/text")
        #expect(withPointer.recordKey?.rawValue == "rec")
        #expect(throws: SyntaxError.self) { try ATURI("at://did:plc:asdf123/com.atproto.feed.post?x=1") }
        #expect(throws: SyntaxError.self) { try ATURI("at://did:plc:asdf123#frag") }
    }

    @Test func atURIFromParts() throws {
        let did = try DID("did:plc:asdf123")
        let uri = ATURI(did: did, collection: try NSID("app.bsky.feed.post"), rkey: try RecordKey("abc"))
        #expect(uri.rawValue == "at://did:plc:asdf123/app.bsky.feed.post/abc")
        #expect(try ATURI(uri.rawValue) == uri)
        #expect(ATURI(authority: .did(did)).rawValue == "at://did:plc:asdf123")
    }

    @Test func atIdentifierKinds() throws {
        #expect(try ATIdentifier("did:plc:abc").did != nil)
        #expect(try ATIdentifier("XX.LCS.MIT.EDU").handle?.rawValue == "xx.lcs.mit.edu")
    }

    @Test func errorsCarryReasons() {
        #expect(throws: SyntaxError.invalidDID("must start with \"did:\"")) { try DID("DID:plc:abc") }
        #expect(throws: SyntaxError.invalidHandle("must have at least two segments")) { try Handle("john") }
        do {
            _ = try ATURI("at://did:plc:asdf123/com.atproto.feed.post/%23")
            Issue.record("expected failure")
        } catch {
            #expect(error.reason.hasPrefix("record key:"))
        }
    }

    // MARK: - Datetime

    @Test func datetimeDate() throws {
        #expect(try Datetime("1970-01-01T00:00:00Z").date == Date(timeIntervalSince1970: 0))
        #expect(try Datetime("1970-01-01T01:00:00+01:00").date == Date(timeIntervalSince1970: 0))
        #expect(try Datetime("1985-04-12T23:20:50.5-07:00").date == Date(timeIntervalSince1970: 482_221_250.5))
        #expect(try Datetime("0000-01-01T00:00:00.000Z").date == Date(timeIntervalSince1970: -62_167_219_200))
        #expect(throws: SyntaxError.self) { try Datetime("2023-02-29T00:00:00Z") }
        #expect(try Datetime("2024-02-29T00:00:00Z").date == Date(timeIntervalSince1970: 1_709_164_800))
    }

    @Test func datetimeNowFormat() throws {
        let now = Datetime.now()
        let bytes = Array(now.rawValue.utf8)
        #expect(bytes.count == 24)
        #expect(now.rawValue.hasSuffix("Z") && bytes[19] == UInt8(ascii: "."))
        let reparsed = try Datetime(now.rawValue)
        #expect(reparsed == now)
        #expect(abs(reparsed.date.timeIntervalSinceNow) < 5)
    }

    @Test func datetimeFromDate() {
        #expect(Datetime(Date(timeIntervalSince1970: 482_196_050.1239)).rawValue == "1985-04-12T23:20:50.123Z")
        #expect(Datetime(Date(timeIntervalSince1970: -1)).rawValue == "1969-12-31T23:59:59.000Z")
        #expect(Datetime(Date(timeIntervalSince1970: 951_782_400)).rawValue == "2000-02-29T00:00:00.000Z")
    }

    // MARK: - Codable

    private struct Envelope: Codable, Equatable {
        var did: DID
        var handle: Handle
        var nsid: NSID
        var rkey: RecordKey
        var tid: TID
        var uri: ATURI
        var actor: ATIdentifier
        var createdAt: Datetime
        var lang: Language
        var cid: CIDString
        var link: URIString
    }

    @Test func codableRoundTrip() throws {
        let value = Envelope(
            did: try DID("did:plc:asdf123"), handle: try Handle("Alice.Test"), nsid: try NSID("app.bsky.feed.post"),
            rkey: try RecordKey("self"), tid: try TID("3jzfcijpj2z2a"),
            uri: try ATURI("at://did:plc:asdf123/app.bsky.feed.post/3jzfcijpj2z2a"),
            actor: try ATIdentifier("alice.test"), createdAt: try Datetime("1985-04-12T23:20:50.123Z"),
            lang: try Language("pt-BR"),
            cid: try CIDString("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
            link: try URIString("https://example.com/")
        )
        let data = try JSONEncoder().encode(value)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        #expect(json["handle"] == "alice.test")
        #expect(json["uri"] == "at://did:plc:asdf123/app.bsky.feed.post/3jzfcijpj2z2a")
        #expect(try JSONDecoder().decode(Envelope.self, from: data) == value)
    }

    @Test func decodingValidates() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DID.self, from: Data(#""did:X:1""#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TID.self, from: Data(#""zzzzzzzzzzzzz""#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ATURI.self, from: Data(#""at://x""#.utf8)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ATIdentifier.self, from: Data(#""@handle""#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Datetime.self, from: Data(#""1985-00-12T23:20:50Z""#.utf8))
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DID.self, from: Data("12".utf8)) }
    }
}
