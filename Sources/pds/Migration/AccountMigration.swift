import AsyncHTTPClient
import Foundation

/// Moves an account from the PDS it is on to another one, as the account's own client (the reference's
/// ACCOUNT_MIGRATION.md steps, as goat's `account migrate`): the account is created on the new PDS with its DID and a
/// service JWT from the old one, then phase by phase, the repository (`getRepo` → `importRepo`), the blobs its records
/// name (`listMissingBlobs` → `getBlob` → `uploadBlob`), the preferences, and the identity (a PLC operation the old PDS
/// signs with the emailed token and the new one submits); then the new account is activated, verified against the
/// old one, and only then is the old account deactivated.
///
/// Every phase first asks the new PDS what is already done, so running the migration again after an interruption
/// continues where it stopped: an existing account is logged into, a repository already imported at the old one's
/// revision is kept, blobs already uploaded are skipped, and a DID document already pointing at the new PDS is left
/// alone.
struct AccountMigration {
    /// What to move, and where.
    struct Plan: Sendable {
        /// The account's handle (or DID) on the old PDS.
        var handle: String
        /// Its password there.
        var password: String
        /// The old PDS's URL; `nil`: found from the handle's DID document.
        var sourceURL: String?
        /// The new PDS's URL.
        var targetURL: String
        /// The handle on the new PDS (default: the current one).
        var newHandle: String?
        /// The email on the new PDS (default: the current one).
        var newEmail: String?
        /// The password on the new PDS (default: the current one).
        var newPassword: String?
        /// An invite code of the new PDS.
        var inviteCode: String?
        /// The PLC token the old PDS emailed (default: requested, then asked for).
        var plcToken: String?
        /// The PLC directory DID documents are read from.
        var plcURL: String
    }

    /// The plan.
    let plan: Plan
    /// The HTTP client every call goes through.
    let http: HTTPClient
    /// Where progress goes.
    let console: MigrationConsole
    /// Makes a one-use invite code of the new PDS when it requires one and the plan has none (`nil`: cannot).
    let makeInviteCode: (() async throws(AdminFailure) -> String)?
    /// Asks the user for the PLC token emailed to the given address.
    let readPLCToken: (_ email: String?) async throws(AdminFailure) -> String

    /// The two sides once logged in.
    struct Sides {
        /// The account's DID.
        var did: String
        /// The old PDS, with the account's session.
        var old: PDSClient
        /// The new PDS, with the account's session.
        var new: PDSClient
        /// The handle and email on the new PDS.
        var handle: String
        var email: String?
        /// Whether the account was created by this run (rather than found from an earlier one).
        var created: Bool
    }

    /// Runs every phase, skipping what an earlier run did.
    /// - Returns: what was done.
    /// - Throws: ``AdminFailure``; the old account is then still active.
    func run() async throws(AdminFailure) -> MigrationReport {
        let sides = try await openSides()
        var report = MigrationReport(
            did: sides.did, handle: sides.handle, from: sides.old.baseURL, to: sides.new.baseURL,
            accountCreated: sides.created)
        report.repo = try await copyRepo(sides)
        report.blobs = try await copyBlobs(sides)
        report.preferences = try await copyPreferences(sides)
        report.identity = try await updateIdentity(sides)
        let status = try await sides.new.checkAccountStatus()
        if status.activated {
            report.activated = "already active"
        } else {
            try await sides.new.activateAccount()
            report.activated = "activated"
            console.note("account: activated on \(sides.new.baseURL)")
        }
        report.verification = try await verify(sides, missingAtSource: report.blobs.missingAtSource)
        try await sides.old.deactivateAccount()
        console.note("account: deactivated on \(sides.old.baseURL)")
        return report
    }
}
