import ATCore
import Lexicon

/// The lexicon validator on records: the input is a JSON record, validated against the record type its `$type`
/// names when the embedded lexicons have it, else as an `app.bsky.feed.post`.
enum LexiconHarness {
    static let fallback = try! NSID("app.bsky.feed.post")
    static let rkey = try! RecordKey("3jzfcijpj2z2a")

    static func run(_ input: [UInt8]) {
        guard let value = try? LexValue(jsonBytes: input) else { return }
        var collection = fallback
        if let type = value["$type"]?.string, let nsid = try? NSID(type), KnownLexicons.catalog.hasRecordType(nsid) {
            collection = nsid
        }
        _ = try? KnownLexicons.validator.validateRecord(value, collection: collection, rkey: rkey)
    }
}
