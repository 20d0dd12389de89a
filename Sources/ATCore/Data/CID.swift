/// A content identifier: a self-describing hash link to a block of data.
///
/// atproto uses CIDv1 with the `dag-cbor` (records, commits, MST nodes) or `raw` (blobs) codec and a
/// sha2-256 multihash. CIDv0 (`Qm…`, base58btc, dag-pb) is parsed for completeness.
/// Only sha2-256 multihashes with a 32-byte digest are accepted.
package struct CID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The binary form: `version ‖ codec ‖ multihash` for v1, the bare multihash for v0.
    package let bytes: [UInt8]
    /// The CID version, 0 or 1.
    package let version: Int
    /// The content codec (multicodec) of the linked data.
    package let codec: Codec
    /// Where the 32-byte digest starts in `bytes`.
    private let digestOffset: Int

    /// A multicodec content type.
    package struct Codec: RawRepresentable, Hashable, Sendable {
        /// The multicodec code.
        package let rawValue: UInt64
        /// Creates a codec from its multicodec code.
        /// - Parameters:
        ///   - rawValue: the multicodec code.
        package init(rawValue: UInt64) { self.rawValue = rawValue }
        /// DAG-CBOR (0x71): records, commits and MST nodes.
        package static let dagCBOR = Codec(rawValue: 0x71)
        /// Raw bytes (0x55): blobs.
        package static let raw = Codec(rawValue: 0x55)
        /// DAG-PB (0x70): the implied codec of CIDv0.
        package static let dagPB = Codec(rawValue: 0x70)
    }

    /// The multihash code for sha2-256.
    package static let sha256Code: UInt64 = 0x12
    /// The length of a sha2-256 digest.
    package static let digestLength = 32

    // MARK: - Construction

    /// Creates a CIDv1 from a codec and a sha2-256 digest.
    /// - Parameters:
    ///   - codec: the content codec.
    ///   - digest: the 32-byte sha2-256 digest of the content.
    package init(codec: Codec, sha256Digest digest: some Collection<UInt8>) throws(DataModelError) {
        guard digest.count == CID.digestLength else { throw .invalidCID("sha2-256 digest must be 32 bytes") }
        var out: [UInt8] = []
        out.reserveCapacity(4 + CID.digestLength + 2)
        out.append(1)
        Varint.encode(codec.rawValue, into: &out)
        out.append(UInt8(CID.sha256Code))
        out.append(UInt8(CID.digestLength))
        let offset = out.count
        out.append(contentsOf: digest)
        self.bytes = out
        self.version = 1
        self.codec = codec
        self.digestOffset = offset
    }

    /// The CIDv1 (`dag-cbor`, sha2-256) of DAG-CBOR encoded bytes.
    /// - Parameters:
    ///   - bytes: the encoded block.
    package static func dagCBOR(hashing bytes: some Collection<UInt8>) -> CID {
        try! CID(codec: .dagCBOR, sha256Digest: sha256(bytes))
    }

    /// The CIDv1 (`raw`, sha2-256) of raw bytes, as used for blobs.
    /// - Parameters:
    ///   - bytes: the blob content.
    package static func raw(hashing bytes: some Collection<UInt8>) -> CID {
        try! CID(codec: .raw, sha256Digest: sha256(bytes))
    }

    /// Parses the binary form of a CID; the whole input must be one CID.
    /// - Parameters:
    ///   - bytes: the binary CID (no multibase prefix).
    package init(bytes: some Collection<UInt8>) throws(DataModelError) {
        let array = Array(bytes)
        let (cid, length) = try CID.parsePrefix(array[...])
        guard length == array.count else { throw .invalidCID("trailing bytes after CID") }
        self = cid
    }

    /// Parses a CID string: multibase base32 (`b…`) for v1, base58btc (`Qm…`) for v0.
    /// - Parameters:
    ///   - string: the textual CID.
    package init(_ string: some StringProtocol) throws(DataModelError) {
        let utf8 = string.utf8
        if utf8.count == 46, string.hasPrefix("Qm") {
            let decoded: [UInt8]
            do { decoded = try Multibase.base58Decode(string) } catch { throw .invalidCID("invalid base58 in CIDv0") }
            try self.init(bytes: decoded)
            guard version == 0 else { throw .invalidCID("invalid CIDv0") }
            return
        }
        guard utf8.first == UInt8(ascii: "b") else { throw .invalidCID("CID string must be base32 with 'b' prefix") }
        let decoded: [UInt8]
        do { decoded = try Multibase.base32Decode(string.dropFirst()) } catch { throw .invalidCID("invalid base32 in CID") }
        try self.init(bytes: decoded)
        guard version == 1 else { throw .invalidCID("CIDv0 must not be multibase encoded") }
    }

    private init(bytes: [UInt8], version: Int, codec: Codec, digestOffset: Int) {
        self.bytes = bytes
        self.version = version
        self.codec = codec
        self.digestOffset = digestOffset
    }

    /// Reads one CID from the start of `input`, which may continue past it (as in CAR blocks).
    /// - Parameters:
    ///   - input: bytes beginning with a binary CID.
    /// - Returns: the CID and how many bytes it occupied.
    package static func parsePrefix(_ input: ArraySlice<UInt8>) throws(DataModelError) -> (cid: CID, length: Int) {
        let start = input.startIndex
        guard input.count >= 2 else { throw .invalidCID("truncated CID") }
        if input[start] == 0x12 && input[start + 1] == 0x20 {
            let length = 2 + digestLength
            guard input.count >= length else { throw .invalidCID("truncated CIDv0") }
            let bytes = Array(input[start..<start + length])
            return (CID(bytes: bytes, version: 0, codec: .dagPB, digestOffset: 2), length)
        }
        var position = start
        func varint() throws(DataModelError) -> UInt64 {
            do {
                let (value, length) = try Varint.decode(input[position...])
                position += length
                return value
            } catch {
                throw .invalidCID("invalid varint in CID")
            }
        }
        let version = try varint()
        guard version == 1 else { throw .invalidCID("unsupported CID version \(version)") }
        let codec = try varint()
        let hashCode = try varint()
        guard hashCode == sha256Code else { throw .invalidCID("unsupported multihash 0x\(String(hashCode, radix: 16))") }
        let digestLength = try varint()
        guard digestLength == UInt64(CID.digestLength) else { throw .invalidCID("sha2-256 digest must be 32 bytes") }
        let digestOffset = position - start
        guard input.endIndex - position >= CID.digestLength else { throw .invalidCID("truncated CID digest") }
        let length = digestOffset + CID.digestLength
        let bytes = Array(input[start..<start + length])
        return (CID(bytes: bytes, version: 1, codec: Codec(rawValue: codec), digestOffset: digestOffset), length)
    }

    // MARK: - Accessors

    /// The multihash code (always sha2-256, 0x12).
    package var hashCode: UInt64 { CID.sha256Code }

    /// The 32-byte sha2-256 digest.
    package var digest: ArraySlice<UInt8> { bytes[digestOffset...] }

    /// The multihash: `code ‖ length ‖ digest`.
    package var multihash: ArraySlice<UInt8> { bytes[(digestOffset - 2)...] }

    /// The canonical string: base32 lowercase with a `b` prefix for v1, base58btc for v0.
    package var description: String {
        version == 0 ? Multibase.base58Encode(bytes) : "b" + Multibase.base32Encode(bytes)
    }

    /// Orders CIDs by their binary form.
    package static func < (lhs: CID, rhs: CID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Two CIDs are equal when their binary forms are.
    package static func == (lhs: CID, rhs: CID) -> Bool { lhs.bytes == rhs.bytes }

    /// Hashes the binary form.
    /// Hashes the last 16 bytes of the digest (already uniformly distributed) as two words, instead of feeding every
    /// byte of the CID to the hasher one at a time: CIDs key the hot dictionaries of MST diffs and block maps.
    package func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { raw in
            guard raw.count >= 16 else {
                hasher.combine(bytes: raw)
                return
            }
            hasher.combine(raw.loadUnaligned(fromByteOffset: raw.count - 16, as: UInt64.self))
            hasher.combine(raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self))
        }
    }
}

extension CID: Codable {
    /// Decodes a CID from its string form.
    /// - Parameters:
    ///   - decoder: the decoder holding a single string.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(try container.decode(String.self))
    }

    /// Encodes the CID as its string form.
    /// - Parameters:
    ///   - encoder: the encoder receiving a single string.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
