import ActorStore
import ATCore
import ATRepo
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Lexicon
import Logging
import Sequencer
import ServiceDB

extension ComAtprotoRepo {
    /// Output of `com.atproto.repo.describeRepo`.
    struct DescribeRepoOutput: ResponseEncodable {
        var handle: String
        var did: String
        var didDoc: DIDDocument
        var collections: [String]
        var handleIsCorrect: Bool
    }

    /// `com.atproto.repo.describeRepo` (public): 400 `RepoTakendown`/`RepoDeactivated` for such accounts;
    /// `handleIsCorrect` compares the account's handle with the DID document's.
    func describeRepo(_ request: Request) async throws -> DescribeRepoOutput {
        let repo = try XRPCParameters(request).require("repo")
        guard let account = try await findAccount(repo) else {
            throw XRPCError.invalidRequest("Could not find user: \(repo)")
        }
        if account.takedownRef != nil {
            throw XRPCError.invalidRequest("Repo has been takendown: \(repo)", name: XRPCErrorName.repoTakendown)
        }
        if account.deactivatedAt != nil {
            throw XRPCError.invalidRequest("Repo has been deactivated: \(repo)", name: XRPCErrorName.repoDeactivated)
        }
        let document: DIDDocument?
        do {
            document = try await didDocument(account.did)
        } catch {
            throw XRPCError.invalidRequest("Could not resolve DID: \(account.did.rawValue)")
        }
        guard let document else { throw XRPCError.invalidRequest("Could not resolve DID: \(account.did.rawValue)") }
        let collections = try await actorStore.read(account.did) { store in
            try store.record.listCollections()
        }
        let handle = account.handle ?? Handle.invalid
        return DescribeRepoOutput(
            handle: handle.rawValue, did: account.did.rawValue, didDoc: document, collections: collections,
            handleIsCorrect: account.handle != nil && document.handle == account.handle)
    }
}
