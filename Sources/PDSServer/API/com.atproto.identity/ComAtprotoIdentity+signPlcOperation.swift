import ATCore
import Hummingbird
import Identity
import ServiceDB

extension ComAtprotoIdentity {
    /// Output of `com.atproto.identity.signPlcOperation`.
    struct SignPlcOperationOutput: ResponseGenerator {
        var operation: PLCOperation

        func response(from request: Request, context: some RequestContext) throws -> Response {
            let body = JSONValue.object(["operation": operation.jsonValue]).serialized
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// `com.atproto.identity.signPlcOperation` (FULL, taken-down accounts too): with the `plc_operation` token
    /// emailed by `requestPlcOperationSignature`, an update of the caller's latest PLC operation signed with the PDS
    /// rotation key (fields not given are kept). The operation is returned, not submitted; the token is used up.
    func signPlcOperation(_ request: Request) async throws -> SignPlcOperationOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, allowTakendown: true, oauth: .identity("*"))
        let input = try await XRPCBody.lexValue(request)
        guard let token = input["token"]?.string, !token.isEmpty else {
            throw XRPCError.invalidRequest("email confirmation token required to sign PLC operations")
        }
        try await serviceDB.assertValidEmailToken(did: caller.did, purpose: .plcOperation, token: token)
        let operation = try await updater.signOperation(
            for: caller.did,
            rotationKeys: try Self.strings(input["rotationKeys"], "rotationKeys"),
            alsoKnownAs: try Self.strings(input["alsoKnownAs"], "alsoKnownAs"),
            verificationMethods: try Self.verificationMethods(input["verificationMethods"]),
            services: try Self.services(input["services"]))
        try await serviceDB.deleteEmailToken(did: caller.did, purpose: .plcOperation)
        return SignPlcOperationOutput(operation: operation)
    }

    /// An optional array of strings of the input.
    static func strings(_ value: LexValue?, _ name: String) throws -> [String]? {
        guard let value, value != .null else { return nil }
        guard case .array(let items) = value, let strings = Optional(items.compactMap(\.string)),
            strings.count == items.count
        else { throw XRPCError.invalidRequest("Input/\(name) must be an array of strings") }
        return strings
    }

    /// The optional `verificationMethods` map (name → `did:key`).
    static func verificationMethods(_ value: LexValue?) throws -> [String: String]? {
        guard let value, value != .null else { return nil }
        guard case .map(let entries) = value else {
            throw XRPCError.invalidRequest("Input/verificationMethods must be an object")
        }
        var methods: [String: String] = [:]
        for (name, key) in entries {
            guard let key = key.string else {
                throw XRPCError.invalidRequest("Input/verificationMethods/\(name) must be a string")
            }
            methods[name] = key
        }
        return methods
    }

    /// The optional `services` map (id → `{type, endpoint}`).
    static func services(_ value: LexValue?) throws -> [String: PLCService]? {
        guard let value, value != .null else { return nil }
        guard case .map(let entries) = value else { throw XRPCError.invalidRequest("Input/services must be an object") }
        var services: [String: PLCService] = [:]
        for (id, service) in entries {
            guard let type = service["type"]?.string, let endpoint = service["endpoint"]?.string else {
                throw XRPCError.invalidRequest("Input/services/\(id) must have a string type and endpoint")
            }
            services[id] = PLCService(type: type, endpoint: endpoint)
        }
        return services
    }
}
