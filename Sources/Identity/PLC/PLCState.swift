import ATCore

/// A service entry of a did:plc identity: `{type, endpoint}`.
package struct PLCService: Sendable, Hashable {
    /// The service type, for example `AtprotoPersonalDataServer`.
    package var type: String
    /// The service URL.
    package var endpoint: String

    /// Creates a service entry.
    /// - Parameters:
    ///   - type: the service type.
    ///   - endpoint: the service URL.
    package init(type: String, endpoint: String) {
        self.type = type
        self.endpoint = endpoint
    }
}

/// What a did:plc identity says at one point in its log: the fields of a `plc_operation` other than `prev`/`sig`.
package struct PLCState: Sendable, Hashable {
    /// Priority-ordered `did:key` rotation keys; lower index means more authority.
    package var rotationKeys: [String]
    /// Verification method name (no `#`) → `did:key`.
    package var verificationMethods: [String: String]
    /// Priority-ordered URIs, `at://<handle>` for atproto.
    package var alsoKnownAs: [String]
    /// Service id (no `#`) → service.
    package var services: [String: PLCService]

    /// Creates a state.
    /// - Parameters:
    ///   - rotationKeys: the `did:key` rotation keys, most authoritative first.
    ///   - verificationMethods: name → `did:key`.
    ///   - alsoKnownAs: aliases.
    ///   - services: id → service.
    package init(
        rotationKeys: [String], verificationMethods: [String: String], alsoKnownAs: [String],
        services: [String: PLCService]
    ) {
        self.rotationKeys = rotationKeys
        self.verificationMethods = verificationMethods
        self.alsoKnownAs = alsoKnownAs
        self.services = services
    }

    /// The state of a new atproto account: an `atproto` signing key, one handle and an `atproto_pds` service.
    /// - Parameters:
    ///   - signingKey: the account's repo signing key as `did:key`.
    ///   - handle: the handle, written as `at://<handle>`.
    ///   - pdsEndpoint: the PDS URL, for example `https://pds.example.com`.
    ///   - rotationKeys: the rotation keys, most authoritative first.
    package static func atproto(signingKey: String, handle: Handle, pdsEndpoint: String, rotationKeys: [String])
        -> PLCState
    {
        PLCState(
            rotationKeys: rotationKeys,
            verificationMethods: ["atproto": signingKey],
            alsoKnownAs: ["at://\(handle.rawValue)"],
            services: ["atproto_pds": PLCService(type: "AtprotoPersonalDataServer", endpoint: pdsEndpoint)]
        )
    }

    /// The first `at://` alias, which atproto reads as the handle, is replaced (or inserted first) by `handle`.
    /// - Parameters:
    ///   - handle: the new handle.
    package mutating func setHandle(_ handle: Handle) {
        let uri = "at://\(handle.rawValue)"
        if let index = alsoKnownAs.firstIndex(where: { $0.hasPrefix("at://") }) {
            alsoKnownAs[index] = uri
        } else {
            alsoKnownAs.insert(uri, at: 0)
        }
    }

    /// Sets the `atproto_pds` service endpoint.
    /// - Parameters:
    ///   - endpoint: the PDS URL.
    package mutating func setPDSEndpoint(_ endpoint: String) {
        services["atproto_pds"] = PLCService(type: "AtprotoPersonalDataServer", endpoint: endpoint)
    }

    // MARK: - Data model

    /// The fields as data-model map entries (shared by operations and `/data`).
    var fields: [String: LexValue] {
        [
            "rotationKeys": .array(rotationKeys.map(LexValue.string)),
            "verificationMethods": .map(verificationMethods.mapValues(LexValue.string)),
            "alsoKnownAs": .array(alsoKnownAs.map(LexValue.string)),
            "services": .map(
                services.mapValues { .map(["type": .string($0.type), "endpoint": .string($0.endpoint)]) }),
        ]
    }

    /// Reads the four fields from a JSON object.
    init(fields json: [String: JSONValue]) throws(PLCError) {
        rotationKeys = try Self.strings(json["rotationKeys"], "rotationKeys")
        alsoKnownAs = try Self.strings(json["alsoKnownAs"], "alsoKnownAs")
        guard case .object(let methods) = json["verificationMethods"] else {
            throw .malformedOperation("verificationMethods must be an object")
        }
        verificationMethods = [:]
        for (name, value) in methods {
            guard case .string(let key) = value else {
                throw .malformedOperation("verificationMethods.\(name) must be a string")
            }
            verificationMethods[name] = key
        }
        guard case .object(let entries) = json["services"] else {
            throw .malformedOperation("services must be an object")
        }
        services = [:]
        for (id, value) in entries {
            guard case .object(let service) = value, service.count == 2,
                case .string(let type) = service["type"], case .string(let endpoint) = service["endpoint"]
            else { throw .malformedOperation("services.\(id) must be {type, endpoint} strings") }
            services[id] = PLCService(type: type, endpoint: endpoint)
        }
    }

    private static func strings(_ value: JSONValue?, _ name: String) throws(PLCError) -> [String] {
        guard case .array(let items) = value else { throw .malformedOperation("\(name) must be an array") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw .malformedOperation("\(name) must hold strings") }
            out.append(s)
        }
        return out
    }

    // MARK: - /data and DID document

    /// The directory's `/:did/data` JSON: `{did, verificationMethods, rotationKeys, alsoKnownAs, services}`.
    /// - Parameters:
    ///   - did: the identity's DID.
    package func dataJSON(did: DID) -> JSONValue {
        var map = fields
        map["did"] = .string(did.rawValue)
        return LexValue.map(map).jsonValue
    }

    /// Parses the `/:did/data` JSON.
    /// - Parameters:
    ///   - json: the response body.
    /// - Returns: the DID and the state.
    package static func parseData(_ json: JSONValue) throws(PLCError) -> (did: DID, state: PLCState) {
        guard case .object(let members) = json, case .string(let raw) = members["did"],
            let did = try? DID(raw)
        else { throw .malformedOperation("PLC data must be an object with a valid did") }
        return (did, try PLCState(fields: members))
    }

    /// Renders the DID document the directory serves at `/:did`.
    /// - Parameters:
    ///   - did: the identity's DID.
    package func didDocument(did: DID) -> DIDDocument {
        let methods = verificationMethods.sorted { $0.key < $1.key }.map { name, key in
            DIDDocument.VerificationMethod(
                id: "\(did.rawValue)#\(name)", type: "Multikey", controller: did.rawValue,
                publicKeyMultibase: key.hasPrefix("did:key:") ? String(key.dropFirst("did:key:".count)) : key)
        }
        let serviceEntries = services.sorted { $0.key < $1.key }.map { id, service in
            DIDDocument.Service(id: "#\(id)", type: service.type, serviceEndpoint: service.endpoint)
        }
        return DIDDocument(id: did, alsoKnownAs: alsoKnownAs, verificationMethod: methods, service: serviceEntries)
    }
}
