import Foundation
import Hummingbird
import ServiceDB

extension ComAtprotoServer {
    /// Input of `com.atproto.server.createAppPassword`.
    struct CreateAppPasswordInput: Decodable {
        var name: String
        var privileged: Bool?
    }

    /// Output of `com.atproto.server.createAppPassword`.
    struct CreateAppPasswordOutput: ResponseEncodable {
        var name: String
        var password: String
        var createdAt: String
        var privileged: Bool
    }

    /// `com.atproto.server.createAppPassword` (FULL, takedown checked): the password is returned once.
    func createAppPassword(_ request: Request) async throws -> CreateAppPasswordOutput {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.full, checkTakedown: true)
        let input = try await XRPCBody.decode(CreateAppPasswordInput.self, from: request)
        let name = input.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else {
            throw XRPCError.invalidRequest("App password name must be 1 to 100 characters")
        }
        let created = try await serviceDB.createAppPassword(
            did: caller.did, name: name, privileged: input.privileged ?? false)
        return CreateAppPasswordOutput(
            name: created.record.name, password: created.password, createdAt: created.record.createdAt,
            privileged: created.record.privileged)
    }
}
