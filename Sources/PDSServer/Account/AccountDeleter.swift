import ATCore
import Foundation
import Logging
import Sequencer
import ServiceDB

/// `com.atproto.server.deleteAccount`: the password and a `delete_account` token, then the account is removed.
///
/// Order as the reference's: first the account rows (the source of truth: sessions, app passwords, tokens, the
/// actor and account rows), then the `#account {active: false, status: deleted}` event (which also drops the
/// account's earlier events from the sequencer), and in every case the actor store directory and the blobs. No PLC
/// tombstone is sent: the DID stays the user's, to move elsewhere.
struct AccountDeleter: Sendable {
    /// Accounts, passwords and tokens.
    let serviceDB: ServiceDB
    /// Password checks.
    let passwords: PasswordVerifier
    /// The `#account` event.
    let sequencer: Sequencer
    /// Deletes the actor store and the blobs (``AccountProvisioner/destroyActor(_:)``).
    let destroyActor: @Sendable (DID) async throws -> Void
    /// The wall clock (token expiry).
    let now: @Sendable () -> Date

    /// Deletes the account after checking its password and token.
    /// - Throws: 400 `InvalidRequest` "account not found", 401 "Invalid did or password", `InvalidToken`,
    ///   `ExpiredToken`.
    func delete(did rawDID: String, password: String, token: String, logger: Logger) async throws {
        guard password.count <= 512 else {
            throw XRPCError.authRequired("Password too long. Consider resetting your password.")
        }
        guard let did = try? DID(rawDID), let account = try await serviceDB.account(did: did) else {
            throw XRPCError.invalidRequest("account not found")
        }
        guard let stored = account.passwordScrypt, try await passwords.verify(password, stored: stored) else {
            throw XRPCError.authRequired("Invalid did or password")
        }
        try await serviceDB.assertValidEmailToken(did: did, purpose: .deleteAccount, token: token, now: now())
        try await remove(did, logger: logger)
    }

    /// Removes the account with no further check (`com.atproto.admin.deleteAccount`, after the checks of
    /// ``delete(did:password:token:logger:)``): rows, `#account` deleted, actor store and blobs.
    func remove(_ did: DID, logger: Logger) async throws {
        try await serviceDB.deleteAccount(did: did)
        var sequencingError: (any Error)?
        do { _ = try await sequencer.sequenceAccountDeletion(did: did) } catch { sequencingError = error }
        try await destroyActor(did)
        if let sequencingError {
            logger.error(
                "Sequencing the account deletion failed",
                metadata: ["atproto.did": "\(did)", "error": "\(String(reflecting: sequencingError))"])
            throw sequencingError
        }
    }
}
