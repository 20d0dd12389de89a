/// An AT URI in the restricted syntax used by Lexicon: `at://AUTHORITY[/COLLECTION[/RKEY]]`.
///
/// The authority is a DID or handle, the collection an ``NSID`` and the record key a ``RecordKey``. Queries are
/// rejected. A fragment is tolerated only in the JSON-pointer form `#/…` (restricted characters, no whitespace),
/// as the reference implementation does; `#`, `##` and non-pointer fragments are rejected.
/// The raw value is kept verbatim (a handle authority is not lowercased in ``rawValue``).
package struct ATURI: ValidatedString {
    /// The maximum length of an AT URI, in bytes.
    package static let maxLength = 8 * 1024

    /// The URI as it appears on the wire.
    package let rawValue: String
    /// The repository: a DID or handle.
    package let authority: ATIdentifier
    /// The collection, if the URI names one.
    package let collection: NSID?
    /// The record key, if the URI names a record.
    package let recordKey: RecordKey?
    /// The fragment after `#`, including its leading `/`, if any.
    package let fragment: Substring?

    /// Parses and validates an AT URI.
    ///
    /// - Parameters:
    ///   - string: For example `at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3jzfcijpj2z2a`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        let raw = String(string)
        guard raw.utf8.count <= Self.maxLength else { throw .invalidATURI("longer than \(Self.maxLength) bytes") }
        guard raw.hasPrefix("at://") else { throw .invalidATURI("must start with \"at://\"") }
        var path = raw.dropFirst(5)
        var fragment: Substring? = nil
        if let hash = path.firstIndex(of: "#") {
            let frag = path[path.index(after: hash)...]
            guard Self.isValidFragment(frag) else {
                throw .invalidATURI("fragment must be a JSON pointer starting with \"/\"")
            }
            fragment = frag
            path = path[..<hash]
        }
        if path.contains("?") { throw .invalidATURI("query parts are not supported") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 3 else { throw .invalidATURI("path may have at most a collection and a record key") }
        do {
            self.authority = try ATIdentifier(parts[0])
        } catch {
            throw .invalidATURI("authority: \(error.reason)")
        }
        if parts.count >= 2 {
            do { self.collection = try NSID(parts[1]) } catch { throw .invalidATURI("collection: \(error.reason)") }
        } else {
            self.collection = nil
        }
        if parts.count == 3 {
            do { self.recordKey = try RecordKey(parts[2]) } catch { throw .invalidATURI("record key: \(error.reason)") }
        } else {
            self.recordKey = nil
        }
        self.rawValue = raw
        self.fragment = fragment.map { raw[$0.startIndex..<$0.endIndex] }
    }

    /// Builds an AT URI from validated parts.
    ///
    /// - Parameters:
    ///   - authority: The repository.
    ///   - collection: The collection, required when `rkey` is given.
    ///   - rkey: The record key.
    package init(authority: ATIdentifier, collection: NSID? = nil, rkey: RecordKey? = nil) {
        precondition(rkey == nil || collection != nil, "an AT URI with a record key needs a collection")
        var raw = "at://" + authority.rawValue
        if let collection { raw += "/" + collection.rawValue }
        if let rkey { raw += "/" + rkey.rawValue }
        self.rawValue = raw
        self.authority = authority
        self.collection = collection
        self.recordKey = rkey
        self.fragment = nil
    }

    /// Builds the AT URI of a record.
    ///
    /// - Parameters:
    ///   - did: The repository DID.
    ///   - collection: The record's collection.
    ///   - rkey: The record key.
    package init(did: DID, collection: NSID, rkey: RecordKey) {
        self.init(authority: .did(did), collection: collection, rkey: rkey)
    }

    /// Equality of the raw strings.
    package static func == (lhs: ATURI, rhs: ATURI) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the raw string.
    package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    private static func isValidFragment(_ fragment: Substring) -> Bool {
        guard fragment.utf8.first == UInt8(ascii: "/") else { return false }
        return fragment.utf8.allSatisfy { b in
            if SyntaxASCII.isAlphanumeric(b) { return true }
            switch b {
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "@"),
                UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                UInt8(ascii: "="), UInt8(ascii: "%"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "/"),
                UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
