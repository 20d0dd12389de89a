import ActorStore
import ATCore
import ATCrypto
import Foundation
import Identity
import Logging
import Sequencer
import ServiceDB

/// The identity changes an account makes through `com.atproto.identity.*` (reference §h.5–h.6): a new handle (its
/// PLC operation signed with the PDS rotation key, or a did:web document checked), the recommended DID credentials,
/// PLC operations signed for the account and submitted for it. Each change is announced with `#identity` and the DID
/// document is re-read, so the DID cache does not serve the old one.
struct IdentityUpdater: Sendable {
    /// Accounts (handles).
    let serviceDB: ServiceDB
    /// The accounts' signing keys (the `atproto` verification method a PLC operation must keep).
    let actorStore: ActorStore
    /// The `#identity` events.
    let sequencer: Sequencer
    /// Where did:plc operations go.
    let plcClient: any PLCClient
    /// The PDS's PLC rotation key (signs handle updates and `signPlcOperation`).
    let plcRotationKey: Secp256k1Keypair
    /// DID documents (re-read after a change; did:web handles checked).
    let didDocuments: DIDDocumentSource
    /// Resolves external handles (DNS TXT, HTTPS well-known).
    let handleResolver: HandleResolver
    /// The service handle domains and `PDS_RECOVERY_DID_KEY`.
    let identity: PDSConfiguration.Identity
    /// The PDS's public URL: the `atproto_pds` endpoint every operation must keep.
    let publicURL: String

    /// The reference's name of the PDS service entry in a PLC operation.
    static let pdsServiceID = "atproto_pds"
    /// The reference's type of that entry.
    static let pdsServiceType = "AtprotoPersonalDataServer"

    // MARK: - Handles

    /// Lower-cases and checks a handle the account `did` asks for (reference `normalizeAndValidateHandle` with a
    /// DID): a service-domain handle follows the creation rules; any other must already resolve to `did`.
    /// - Parameters:
    ///   - raw: the handle asked for.
    ///   - did: the account.
    ///   - allowAnyValid: the admin's path (`com.atproto.admin.updateAccountHandle`): reserved names are accepted.
    /// - Throws: 400 `InvalidHandle`, `HandleNotAvailable`, or `InvalidRequest` "External handle did not resolve
    ///   to DID".
    func validateHandle(_ raw: String, for did: DID, allowAnyValid: Bool = false) async throws -> Handle {
        let rules = HandleRules(serviceDomains: identity.serviceHandleDomains)
        let handle: Handle
        do {
            handle = try Handle(raw.trimmingCharacters(in: .whitespaces))
        } catch {
            throw XRPCError.invalidRequest(error.description, name: XRPCErrorName.invalidHandle)
        }
        if rules.isServiceHandle(handle) {
            return try rules.normalizeAndValidate(handle.rawValue, allowReserved: allowAnyValid)
        }
        if handle.isDisallowedTLD {
            throw XRPCError.invalidRequest("Handle TLD is invalid or disallowed", name: XRPCErrorName.invalidHandle)
        }
        guard await handleResolver.resolve(handle) == did else {
            throw XRPCError.invalidRequest("External handle did not resolve to DID")
        }
        return handle
    }

    /// Gives `did` the (validated) `handle`, as the reference's `updateHandle`: a handle another account holds is
    /// refused; otherwise a did:plc gets a PLC operation replacing its `at://` alias (signed with the PDS rotation
    /// key), a did:web must already name the handle in its document, and the account row follows. `#identity` is
    /// sequenced either way (a failure there is only logged, as the reference).
    /// - Throws: 400 `HandleNotAvailable` "Handle already taken", `InvalidRequest` for a did:web document that does
    ///   not name the handle; the PLC directory's errors.
    func updateHandle(_ handle: Handle, for did: DID, logger: Logger) async throws {
        if let holder = try await serviceDB.account(handle: handle) {
            guard holder.did == did else {
                throw XRPCError.invalidRequest(
                    "Handle already taken: \(handle.rawValue)", name: XRPCErrorName.handleNotAvailable)
            }
        } else {
            if did.isPLC {
                try await plcClient.updateHandle(did, handle: handle, signer: plcRotationKey)
            } else {
                let document = try await didDocuments.document(did, forceRefresh: true)
                guard document?.handle == handle else {
                    throw XRPCError.invalidRequest("DID is not properly configured for handle")
                }
            }
            do {
                try await serviceDB.updateHandle(did: did, handle: handle)
            } catch ServiceDBError.handleTaken {
                throw XRPCError.invalidRequest(
                    "Handle already taken: \(handle.rawValue)", name: XRPCErrorName.handleNotAvailable)
            }
        }
        await announce(did, handle: handle, logger: logger)
    }

    // MARK: - PLC operations

    /// What the account's DID should hold for this PDS to serve it (`getRecommendedDidCredentials`).
    func recommendedCredentials(for did: DID, handle: Handle?) async throws -> PLCState {
        var rotationKeys = [plcRotationKey.did]
        if let recovery = identity.recoveryDIDKey { rotationKeys.insert(recovery, at: 0) }
        let signingKey = try await actorStore.keypair(did)
        return PLCState(
            rotationKeys: rotationKeys, verificationMethods: ["atproto": signingKey.did],
            alsoKnownAs: handle.map { ["at://\($0.rawValue)"] } ?? [],
            services: [Self.pdsServiceID: PLCService(type: Self.pdsServiceType, endpoint: publicURL)])
    }

    /// Signs, with the PDS rotation key, an update of `did`'s latest operation (`signPlcOperation`): the fields
    /// given replace the latest state's, the others are kept. The operation is returned, not submitted.
    /// - Throws: `PLCError.tombstoned` for a tombstoned DID; the directory's errors.
    func signOperation(
        for did: DID, rotationKeys: [String]?, alsoKnownAs: [String]?, verificationMethods: [String: String]?,
        services: [String: PLCService]?
    ) async throws -> PLCOperation {
        let last = try await plcClient.getLastOperation(did)
        guard var state = last.state else { throw PLCError.tombstoned }
        if let rotationKeys { state.rotationKeys = rotationKeys }
        if let alsoKnownAs { state.alsoKnownAs = alsoKnownAs }
        if let verificationMethods { state.verificationMethods = verificationMethods }
        if let services { state.services = services }
        return try PLCOperation.update(prev: last.cid, state: state, signer: plcRotationKey)
    }

    /// Checks and submits a signed operation for `did` (`submitPlcOperation`, every check of reference §h.6): it must
    /// keep the PDS rotation key, point `atproto_pds` here, keep the account's signing key and (when the account has
    /// a handle) its handle first in `alsoKnownAs`. Then `#identity` and a re-read of the DID document.
    /// - Throws: 400 `InvalidRequest` naming the failed check; the directory's errors.
    func submitOperation(_ operation: PLCOperation, for did: DID, handle: Handle?, logger: Logger) async throws {
        guard case .update(let state) = operation.kind, operation.sig != nil else {
            throw XRPCError.invalidRequest("Invalid operation")
        }
        guard state.rotationKeys.contains(plcRotationKey.did) else {
            throw XRPCError.invalidRequest("Rotation keys do not include server's rotation key")
        }
        let pds = state.services[Self.pdsServiceID]
        guard pds?.type == Self.pdsServiceType else {
            throw XRPCError.invalidRequest("Incorrect type on atproto_pds service")
        }
        guard pds?.endpoint == publicURL else {
            throw XRPCError.invalidRequest("Incorrect endpoint on atproto_pds service")
        }
        let signingKey = try await actorStore.keypair(did)
        guard state.verificationMethods["atproto"] == signingKey.did else {
            throw XRPCError.invalidRequest("Incorrect signing key")
        }
        if let handle, state.alsoKnownAs.first != "at://\(handle.rawValue)" {
            throw XRPCError.invalidRequest("Incorrect handle in alsoKnownAs")
        }
        try await plcClient.sendOperation(did, operation)
        await announce(did, handle: nil, logger: logger)
    }

    /// Sequences `#identity` and re-reads the DID document past the cache; failures are logged, as the reference
    /// does: the change itself is done.
    private func announce(_ did: DID, handle: Handle?, logger: Logger) async {
        do {
            try await sequencer.sequenceIdentity(did: did, handle: handle)
        } catch {
            logger.error(
                "Sequencing the #identity event failed", metadata: ["atproto.did": "\(did)", "error": "\(error)"])
        }
        do {
            _ = try await didDocuments.document(did, forceRefresh: true)
        } catch {
            logger.warning(
                "Re-reading the DID document after an identity change failed",
                metadata: ["atproto.did": "\(did)", "error": "\(error)"])
        }
    }
}
