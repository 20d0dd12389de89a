import ATCore

/// One operation as a plcbundle line: the upstream's original JSON line and the fields the index needs.
package struct PLCBundleLine: Sendable, Equatable {
    /// The JSON line exactly as exported, without its newline.
    package var line: String
    /// The operation's DID.
    package var did: String
    /// Its `createdAt`.
    package var createdAt: String

    /// Creates a line.
    package init(line: String, did: String, createdAt: String) {
        self.line = line
        self.did = did
        self.createdAt = createdAt
    }
}

/// plcbundle v1 serialisation and hashes.
package enum PLCBundleHashing {
    /// The serialisation: each original line followed by `\n`, concatenated, UTF-8.
    /// - Parameters:
    ///   - lines: the bundle's lines, in export order.
    package static func serialise(_ lines: some Sequence<String>) -> [UInt8] {
        var bytes: [UInt8] = []
        for line in lines {
            bytes.append(contentsOf: line.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// Lowercase hex SHA-256 of `bytes` (`content_hash` over the serialisation, `compressed_hash` over the file).
    package static func hash(_ bytes: some Collection<UInt8>) -> String { Hex.encode(sha256(bytes)) }

    /// The chain hash: SHA-256 of `plcbundle:genesis:<content>` for the first bundle, of `<parent>:<content>` after.
    /// - Parameters:
    ///   - parent: the previous bundle's chain hash, `nil` (or empty) for the first bundle.
    ///   - contentHash: this bundle's content hash.
    package static func chainHash(parent: String?, contentHash: String) -> String {
        guard let parent, !parent.isEmpty else { return hash(Array("plcbundle:genesis:\(contentHash)".utf8)) }
        return hash(Array("\(parent):\(contentHash)".utf8))
    }

    /// The bundle file name: the number zero-padded to six digits, `.jsonl.zst`.
    package static func fileName(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".jsonl.zst"
    }
}
