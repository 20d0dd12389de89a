import ATCore

/// A link from a record to a DID or another record that must stay unique per actor: a follow or block `subject`
/// DID, a like or repost `subject.uri` (the reference's `getBacklinks`).
package struct Backlink: Hashable, Sendable {
    /// The linking record.
    package let uri: ATURI
    /// The field path, `subject` or `subject.uri`.
    package let path: String
    /// The DID or AT-URI linked to.
    package let linkTo: String

    /// A backlink.
    /// - Parameters:
    ///   - uri: the linking record.
    ///   - path: the field path.
    ///   - linkTo: the target.
    package init(uri: ATURI, path: String, linkTo: String) {
        self.uri = uri
        self.path = path
        self.linkTo = linkTo
    }

    /// The backlinks a record at `uri` makes: none unless it is a follow, block, like or repost whose subject is a
    /// valid DID (follow, block) or AT-URI (like, repost).
    /// - Parameters:
    ///   - uri: the record's URI.
    ///   - record: the record value.
    package static func of(uri: ATURI, record: LexValue) -> [Backlink] {
        switch record.type {
        case "app.bsky.graph.follow", "app.bsky.graph.block":
            guard let subject = record["subject"]?.string, (try? DID(subject)) != nil else { return [] }
            return [Backlink(uri: uri, path: "subject", linkTo: subject)]
        case "app.bsky.feed.like", "app.bsky.feed.repost":
            guard let subject = record["subject"]?["uri"]?.string, (try? ATURI(subject)) != nil else { return [] }
            return [Backlink(uri: uri, path: "subject.uri", linkTo: subject)]
        default:
            return []
        }
    }
}
