import Foundation

/// The `com.atproto` and `app.bsky` methods a migration calls, typed.
extension PDSClient {
    /// `com.atproto.server.describeServer`: what identifies the service and how accounts are made there.
    struct ServerDescription: Decodable {
        var did: String
        var inviteCodeRequired: Bool?
    }

    /// A session (`createSession` and `createAccount` output).
    struct Session: Decodable {
        var did: String
        var handle: String
        var accessJwt: String
        var email: String?
        var active: Bool?
    }

    /// `com.atproto.server.checkAccountStatus` output.
    struct AccountStatus: Decodable {
        var activated: Bool
        var validDid: Bool
        var repoCommit: String
        var repoRev: String
        var repoBlocks: Int
        var indexedRecords: Int
        var expectedBlobs: Int
        var importedBlobs: Int
    }

    /// `com.atproto.sync.getLatestCommit` output.
    struct LatestCommit: Decodable {
        var cid: String
        var rev: String
    }

    func describeServer() async throws(AdminFailure) -> ServerDescription {
        try await json(ServerDescription.self, "com.atproto.server.describeServer", authenticated: false)
    }

    /// The DID `handle` resolves to, as this PDS resolves it.
    func resolveHandle(_ handle: String) async throws(AdminFailure) -> String {
        struct Output: Decodable { var did: String }
        return try await json(
            Output.self, "com.atproto.identity.resolveHandle", [("handle", handle)], authenticated: false
        ).did
    }

    func createSession(identifier: String, password: String) async throws(AdminFailure) -> Session {
        try await json(
            Session.self, "com.atproto.server.createSession",
            body: .json(.object(["identifier": .string(identifier), "password": .string(password)])),
            authenticated: false)
    }

    /// A service JWT for `audience`, bound to the method `lxm`.
    func getServiceAuth(audience: String, lxm: String) async throws(AdminFailure) -> String {
        struct Output: Decodable { var token: String }
        return try await json(
            Output.self, "com.atproto.server.getServiceAuth", [("aud", audience), ("lxm", lxm)]
        ).token
    }

    /// `createAccount` for an existing DID, with a service JWT from the account's current PDS.
    func createAccount(
        did: String, handle: String, email: String, password: String, inviteCode: String?, serviceAuth: String
    ) async throws(AdminFailure) -> Session {
        var input: [String: JSONValue] = [
            "did": .string(did), "handle": .string(handle), "email": .string(email), "password": .string(password),
        ]
        if let inviteCode { input["inviteCode"] = .string(inviteCode) }
        return try await json(
            Session.self, "com.atproto.server.createAccount", body: .json(.object(input)), bearer: serviceAuth)
    }

    func checkAccountStatus() async throws(AdminFailure) -> AccountStatus {
        try await json(AccountStatus.self, "com.atproto.server.checkAccountStatus")
    }

    func getLatestCommit(did: String) async throws(AdminFailure) -> LatestCommit {
        try await json(LatestCommit.self, "com.atproto.sync.getLatestCommit", [("did", did)], authenticated: false)
    }

    /// The repository CAR of `did`.
    func getRepo(did: String) async throws(AdminFailure) -> [UInt8] {
        try await call("com.atproto.sync.getRepo", [("did", did)]).body
    }

    func importRepo(_ car: [UInt8]) async throws(AdminFailure) {
        _ = try await call("com.atproto.repo.importRepo", body: .bytes(car, contentType: "application/vnd.ipld.car"))
    }

    /// Every blob CID the account's records name that this PDS does not hold, all pages.
    func listMissingBlobs() async throws(AdminFailure) -> [String] {
        struct Output: Decodable {
            struct Blob: Decodable { var cid: String }
            var blobs: [Blob]
            var cursor: String?
        }
        var cids: [String] = []
        var cursor: String?
        repeat {
            var parameters = [("limit", "1000")]
            if let cursor { parameters.append(("cursor", cursor)) }
            let page = try await json(Output.self, "com.atproto.repo.listMissingBlobs", parameters)
            cids += page.blobs.map(\.cid)
            cursor = page.blobs.isEmpty ? nil : page.cursor
        } while cursor != nil
        return cids
    }

    /// A blob's bytes and content type.
    func getBlob(did: String, cid: String) async throws(AdminFailure) -> (bytes: [UInt8], contentType: String) {
        let reply = try await call("com.atproto.sync.getBlob", [("did", did), ("cid", cid)])
        return (reply.body, reply.contentType ?? "application/octet-stream")
    }

    /// Uploads a blob; the CID the PDS computed.
    func uploadBlob(_ bytes: [UInt8], contentType: String) async throws(AdminFailure) -> String {
        let method = "com.atproto.repo.uploadBlob"
        let output = try await json(JSONValue.self, method, body: .bytes(bytes, contentType: contentType))
        guard let cid = output["blob"]?["ref"]?["$link"]?.string else {
            throw .badResponse(url: baseURL, method: method, detail: "no blob.ref")
        }
        return cid
    }

    /// The account's preferences (`{"preferences": [...]}`), as they are.
    func getPreferences() async throws(AdminFailure) -> JSONValue {
        try await json(JSONValue.self, "app.bsky.actor.getPreferences")
    }

    func putPreferences(_ preferences: JSONValue) async throws(AdminFailure) {
        _ = try await call("app.bsky.actor.putPreferences", body: .json(preferences))
    }

    /// The DID credentials (rotation keys, handle, signing key, PDS endpoint) this PDS wants in the DID document.
    func getRecommendedDidCredentials() async throws(AdminFailure) -> JSONValue {
        try await json(JSONValue.self, "com.atproto.identity.getRecommendedDidCredentials")
    }

    /// Asks the PDS to email the account a token for ``signPlcOperation(token:credentials:)``.
    func requestPlcOperationSignature() async throws(AdminFailure) {
        _ = try await call("com.atproto.identity.requestPlcOperationSignature", post: true)
    }

    /// A PLC operation with `credentials`, signed by this PDS's rotation key.
    func signPlcOperation(token: String, credentials: JSONValue) async throws(AdminFailure) -> JSONValue {
        let method = "com.atproto.identity.signPlcOperation"
        let output = try await json(
            JSONValue.self, method, body: .json(credentials.merging(["token": .string(token)])))
        guard let operation = output["operation"] else {
            throw .badResponse(url: baseURL, method: method, detail: "no operation")
        }
        return operation
    }

    func submitPlcOperation(_ operation: JSONValue) async throws(AdminFailure) {
        _ = try await call("com.atproto.identity.submitPlcOperation", body: .json(.object(["operation": operation])))
    }

    func activateAccount() async throws(AdminFailure) {
        _ = try await call("com.atproto.server.activateAccount", post: true)
    }

    func deactivateAccount() async throws(AdminFailure) {
        _ = try await call("com.atproto.server.deactivateAccount", body: .json(.object([:])))
    }
}
