import ATCore
import Foundation
import Identity

extension AccountMigration {
    /// Finds the old PDS, logs in there, and logs in on the new PDS, creating the account there first when an
    /// earlier run did not.
    func openSides() async throws(AdminFailure) -> Sides {
        let (did, sourceURL) = try await locateAccount()
        let target = PDSClient(baseURL: plan.targetURL, http: http)
        let source = PDSClient(baseURL: sourceURL, http: http)
        let targetService = try await target.describeServer()
        let sourceService = try await source.describeServer()
        guard targetService.did != sourceService.did else {
            throw .usage(
                "\(plan.handle) is on \(sourceURL), which is the target (\(targetService.did)); to finish a "
                    + "migration whose identity step is done, pass --from-url with the old PDS's URL")
        }
        let session = try await source.createSession(identifier: plan.handle, password: plan.password)
        guard session.did == did else {
            throw .other("\(sourceURL) logged in \(session.did), but \(plan.handle) resolves to \(did)")
        }
        let old = source.authorized(session.accessJwt)
        let handle = plan.newHandle ?? session.handle
        let email = plan.newEmail ?? session.email
        let password = plan.newPassword ?? plan.password
        console.note("account: \(did) on \(sourceURL) → \(target.baseURL) (\(targetService.did))")

        // An account left by an earlier run: its password is the one this run would have set.
        if let existing = try? await target.createSession(identifier: did, password: password), existing.did == did {
            console.note("account: already on \(target.baseURL), continuing")
            return Sides(
                did: did, old: old, new: target.authorized(existing.accessJwt), handle: existing.handle,
                email: existing.email, created: false)
        }
        guard let email else {
            throw .usage("\(sourceURL) did not say the account's email: pass --new-email")
        }
        let serviceAuth = try await old.getServiceAuth(
            audience: targetService.did, lxm: "com.atproto.server.createAccount")
        var invite = plan.inviteCode
        if invite == nil, targetService.inviteCodeRequired == true {
            guard let makeInviteCode else {
                throw .usage("\(target.baseURL) requires an invite code: pass --invite-code")
            }
            invite = try await makeInviteCode()
        }
        let created = try await target.createAccount(
            did: did, handle: handle, email: email, password: password, inviteCode: invite,
            serviceAuth: serviceAuth)
        console.note("account: created on \(target.baseURL) (deactivated until the move is done)")
        return Sides(
            did: did, old: old, new: target.authorized(created.accessJwt), handle: created.handle, email: email,
            created: true)
    }

    /// The account's DID and its PDS's URL: with `--from-url`, the handle as that PDS resolves it; otherwise the
    /// handle resolved by DNS or HTTPS, and the PDS its DID document names.
    private func locateAccount() async throws(AdminFailure) -> (did: String, url: String) {
        if let sourceURL = plan.sourceURL {
            if plan.handle.hasPrefix("did:") { return (plan.handle, sourceURL) }
            return (try await PDSClient(baseURL: sourceURL, http: http).resolveHandle(plan.handle), sourceURL)
        }
        let did: DID
        if plan.handle.hasPrefix("did:") {
            guard let parsed = try? DID(plan.handle) else { throw .usage("'\(plan.handle)' is not a valid DID") }
            did = parsed
        } else {
            guard let handle = try? Handle(plan.handle) else {
                throw .usage("'\(plan.handle)' is not a valid handle")
            }
            guard let resolved = await HandleResolver().resolve(handle) else {
                throw .notFound(
                    "\(handle) does not resolve to a DID (DNS _atproto TXT or https well-known); pass --from-url")
            }
            did = resolved
        }
        let document = try await didDocument(did)
        guard let endpoint = document.pdsEndpoint else {
            throw .other("the DID document of \(did) names no PDS (#atproto_pds)")
        }
        return (did.rawValue, endpoint)
    }

    /// The DID document of `did` as the PLC directory (or did:web host) serves it now.
    func didDocument(_ did: DID) async throws(AdminFailure) -> DIDDocument {
        let resolver = DIDResolver(
            configuration: .init(plcURL: plan.plcURL, fetch: .init(timeout: .seconds(10), ssrfProtection: false)))
        let document: DIDDocument?
        do {
            document = try await resolver.resolveNoCache(did)
        } catch {
            throw .unreachable(url: plan.plcURL, reason: "cannot resolve \(did): \(error)")
        }
        guard let document else { throw .notFound("\(did) has no DID document at \(plan.plcURL)") }
        return document
    }
}
