/// A reference to a blob inside a record.
///
/// The current form is `{$type: "blob", ref: <raw CID link>, mimeType, size}`. Old records may hold the legacy
/// form `{cid: "<CID string>", mimeType}`, which has no size; it is recognised and re-emitted unchanged.
package struct BlobRef: Hashable, Sendable {
    /// The CID of the blob's bytes (codec `raw` for current blobs).
    package var ref: CID
    /// The declared MIME type.
    package var mimeType: String
    /// The size in bytes; `nil` for the legacy form.
    package var size: Int64?

    /// Creates a current-form blob reference.
    /// - Parameters:
    ///   - ref: the blob's CID.
    ///   - mimeType: the MIME type.
    ///   - size: the size in bytes.
    package init(ref: CID, mimeType: String, size: Int64) {
        self.ref = ref
        self.mimeType = mimeType
        self.size = size
    }

    /// Recognises a blob reference in either form; `nil` when `value` is not one.
    /// - Parameters:
    ///   - value: a candidate map.
    package init?(_ value: LexValue) {
        guard case .map(let map) = value else { return nil }
        if map["$type"]?.string == "blob" {
            guard map.count == 4,
                case .link(let ref) = map["ref"],
                case .string(let mimeType) = map["mimeType"],
                case .integer(let size) = map["size"], size >= 0
            else { return nil }
            self.init(ref: ref, mimeType: mimeType, size: size)
            return
        }
        guard map.count == 2,
            case .string(let cidString) = map["cid"],
            case .string(let mimeType) = map["mimeType"],
            let ref = try? CID(cidString)
        else { return nil }
        self.init(legacyRef: ref, mimeType: mimeType)
    }

    private init(legacyRef: CID, mimeType: String) {
        self.ref = legacyRef
        self.mimeType = mimeType
        self.size = nil
    }

    /// Whether this is the legacy `{cid, mimeType}` form.
    package var isLegacy: Bool { size == nil }

    /// The data-model value, in the same form it was read in.
    package var lexValue: LexValue {
        if let size {
            return .map(["$type": .string("blob"), "ref": .link(ref), "mimeType": .string(mimeType), "size": .integer(size)])
        }
        return .map(["cid": .string(ref.description), "mimeType": .string(mimeType)])
    }

    /// Every blob reference inside `value`, depth first; map entries are visited in canonical key order so the
    /// result is deterministic.
    /// - Parameters:
    ///   - value: a record or any data-model value.
    package static func all(in value: LexValue) -> [BlobRef] {
        var found: [BlobRef] = []
        collect(value, into: &found)
        return found
    }

    private static func collect(_ value: LexValue, into found: inout [BlobRef]) {
        switch value {
        case .array(let items):
            for item in items { collect(item, into: &found) }
        case .map(let map):
            if let blob = BlobRef(value) {
                found.append(blob)
                return
            }
            for key in map.keys.sorted(by: DAGCBOR.keyPrecedes) { collect(map[key]!, into: &found) }
        default:
            break
        }
    }
}
