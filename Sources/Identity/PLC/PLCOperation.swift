import ATCore

/// A did:plc operation: a regular `plc_operation`, a `plc_tombstone`, or a legacy genesis `create`.
///
/// Operations are signed and hashed as DAG-CBOR made only of strings, arrays, maps and null: `prev` is the
/// previous operation's CID *as a string*, never a link. JSON and DAG-CBOR carry the same fields.
package struct PLCOperation: Sendable, Hashable {
    /// What the operation does.
    package enum Kind: Sendable, Hashable {
        /// `plc_operation`: the full new state.
        case update(PLCState)
        /// `plc_tombstone`: permanently deactivates the DID.
        case tombstone
        /// The deprecated genesis format, valid only as the first operation.
        case legacyCreate(LegacyCreate)
    }

    /// The fields of a legacy `create` operation.
    package struct LegacyCreate: Sendable, Hashable {
        /// The atproto signing key (`did:key`).
        package var signingKey: String
        /// The single recovery key (`did:key`).
        package var recoveryKey: String
        /// The bare handle.
        package var handle: String
        /// The PDS URL.
        package var service: String
    }

    /// The operation body.
    package var kind: Kind
    /// The previous operation's CID string, `nil` for a genesis operation.
    package var prev: String?
    /// The base64url signature, `nil` while unsigned.
    package var sig: String?

    /// Creates an operation.
    /// - Parameters:
    ///   - kind: the body.
    ///   - prev: the previous operation's CID string, or `nil` for genesis.
    ///   - sig: the base64url signature, or `nil` when unsigned.
    package init(kind: Kind, prev: String?, sig: String? = nil) {
        self.kind = kind
        self.prev = prev
        self.sig = sig
    }

    /// The `type` string.
    package var type: String {
        switch kind {
        case .update: "plc_operation"
        case .tombstone: "plc_tombstone"
        case .legacyCreate: "create"
        }
    }

    /// Whether this is a tombstone.
    package var isTombstone: Bool { if case .tombstone = kind { true } else { false } }

    /// The state after this operation, with legacy `create` operations normalized; `nil` for a tombstone.
    package var state: PLCState? {
        switch kind {
        case .update(let state): return state
        case .tombstone: return nil
        case .legacyCreate(let legacy):
            let handle = legacy.handle.hasPrefix("at://") ? legacy.handle : "at://\(Self.stripScheme(legacy.handle))"
            let service =
                legacy.service.hasPrefix("http://") || legacy.service.hasPrefix("https://")
                ? legacy.service : "https://\(legacy.service)"
            return PLCState(
                rotationKeys: [legacy.recoveryKey, legacy.signingKey],
                verificationMethods: ["atproto": legacy.signingKey],
                alsoKnownAs: [handle],
                services: ["atproto_pds": PLCService(type: "AtprotoPersonalDataServer", endpoint: service)]
            )
        }
    }

    private static func stripScheme(_ s: String) -> Substring {
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { return s.dropFirst(scheme.count) }
        return s[...]
    }

    // MARK: - Encodings

    /// The data-model value without `sig`: what is signed.
    package var unsignedValue: LexValue {
        var map: [String: LexValue] = ["type": .string(type), "prev": prev.map(LexValue.string) ?? .null]
        switch kind {
        case .update(let state):
            map.merge(state.fields) { _, new in new }
        case .tombstone:
            break
        case .legacyCreate(let legacy):
            map["signingKey"] = .string(legacy.signingKey)
            map["recoveryKey"] = .string(legacy.recoveryKey)
            map["handle"] = .string(legacy.handle)
            map["service"] = .string(legacy.service)
        }
        return .map(map)
    }

    /// The data-model value, with `sig` when signed.
    package var value: LexValue {
        guard let sig, case .map(var map) = unsignedValue else { return unsignedValue }
        map["sig"] = .string(sig)
        return .map(map)
    }

    /// The JSON form served and submitted over HTTP.
    package var jsonValue: JSONValue { value.jsonValue }

    /// The DAG-CBOR bytes of the (signed) operation.
    package var cborBytes: [UInt8] { DAGCBOR.encode(value) }

    /// The operation's CID: CIDv1, dag-cbor, sha2-256 of ``cborBytes``.
    package var cid: CID { CID.dagCBOR(hashing: cborBytes) }

    /// The DID a signed genesis operation creates: `did:plc:` + the first 24 base32 characters of its SHA-256.
    package var derivedDID: DID {
        let identifier = Multibase.base32Encode(sha256(cborBytes)).prefix(24)
        // 24 lowercase base32 characters always form a valid did:plc.
        return try! DID("did:plc:\(identifier)")
    }

    // MARK: - Parsing

    /// Parses an operation from JSON, strictly: the exact fields of its type, with the right JSON types.
    /// - Parameters:
    ///   - json: the parsed JSON object.
    /// - Throws: `PLCError.malformedOperation` naming the problem.
    package init(json: JSONValue) throws(PLCError) {
        guard case .object(let members) = json else { throw .malformedOperation("operation must be an object") }
        guard case .string(let type) = members["type"] else { throw .malformedOperation("missing type") }
        let allowed: Set<String>
        switch type {
        case "plc_operation":
            allowed = ["type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev", "sig"]
            kind = .update(try PLCState(fields: members))
        case "plc_tombstone":
            allowed = ["type", "prev", "sig"]
            kind = .tombstone
        case "create":
            allowed = ["type", "signingKey", "recoveryKey", "handle", "service", "prev", "sig"]
            func string(_ name: String) throws(PLCError) -> String {
                guard case .string(let s) = members[name] else { throw .malformedOperation("\(name) must be a string") }
                return s
            }
            kind = .legacyCreate(
                LegacyCreate(
                    signingKey: try string("signingKey"), recoveryKey: try string("recoveryKey"),
                    handle: try string("handle"), service: try string("service")))
        default:
            throw .malformedOperation("unknown type '\(type)'")
        }
        if let unexpected = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .malformedOperation("unexpected field '\(unexpected)'")
        }
        switch members["prev"] {
        case .null?:
            guard type != "plc_tombstone" else { throw .malformedOperation("a tombstone must have a prev") }
            prev = nil
        case .string(let s)?:
            guard type != "create" else { throw .malformedOperation("a legacy create must have prev null") }
            guard let cid = try? CID(s), cid.version == 1, cid.codec == .dagCBOR else {
                throw .malformedOperation("prev is not a dag-cbor CIDv1: \(s)")
            }
            prev = s
        default:
            throw .malformedOperation("prev must be present, as a CID string or null")
        }
        guard case .string(let sig) = members["sig"] else { throw .malformedOperation("missing sig") }
        guard let bytes = try? Base64.decodeURL(sig, strict: true), bytes.count == 64 else {
            throw .malformedOperation("sig must be 64 bytes of unpadded base64url")
        }
        self.sig = sig
    }

    /// Parses an operation from JSON bytes; see ``init(json:)``.
    /// - Parameters:
    ///   - bytes: UTF-8 JSON.
    package init(jsonBytes bytes: some Collection<UInt8>) throws(PLCError) {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw .malformedOperation("\(error)") }
        try self.init(json: json)
    }
}
