import Foundation

extension AccountMigration {
    /// The repository: the old PDS's CAR imported on the new one, unless the new one already holds that commit (an
    /// earlier run) or the account is already active there (it then owns its repo).
    func copyRepo(_ sides: Sides) async throws(AdminFailure) -> MigrationReport.Repo {
        console.begin("repo", total: 2)
        let status = try await sides.new.checkAccountStatus()
        if status.activated {
            console.done("the account is already active on the new PDS, nothing to import")
            return .init(outcome: "already active", records: status.indexedRecords, rev: status.repoRev, bytes: 0)
        }
        let latest = try await sides.old.getLatestCommit(did: sides.did)
        if status.repoRev == latest.rev && status.repoCommit == latest.cid {
            console.done("already imported (rev \(latest.rev), \(status.indexedRecords) records)")
            return .init(
                outcome: "already imported", records: status.indexedRecords, rev: latest.rev, bytes: 0)
        }
        let car = try await sides.old.getRepo(did: sides.did)
        console.advance()
        try await sides.new.importRepo(car)
        console.advance()
        let imported = try await sides.new.checkAccountStatus()
        console.done("imported \(imported.indexedRecords) records (rev \(imported.repoRev), \(car.count) bytes)")
        return .init(outcome: "imported", records: imported.indexedRecords, rev: imported.repoRev, bytes: car.count)
    }

    /// The blobs the imported records name that the new PDS lacks, copied one by one (those already uploaded by an
    /// earlier run are not listed, so not copied again). A blob the old PDS does not have either is noted and
    /// skipped.
    func copyBlobs(_ sides: Sides) async throws(AdminFailure) -> MigrationReport.Blobs {
        let missing = try await sides.new.listMissingBlobs()
        console.begin("blobs", total: missing.count)
        var copied = 0
        var bytes = 0
        var missingAtSource: [String] = []
        for cid in missing {
            let blob: (bytes: [UInt8], contentType: String)
            do {
                blob = try await sides.old.getBlob(did: sides.did, cid: cid)
            } catch .server(_, _, _, "BlobNotFound", _) {
                missingAtSource.append(cid)
                console.advance()
                continue
            }
            let uploaded = try await sides.new.uploadBlob(blob.bytes, contentType: blob.contentType)
            guard uploaded == cid else {
                throw .other("blob \(cid) from \(sides.old.baseURL) was stored as \(uploaded) by \(sides.new.baseURL)")
            }
            copied += 1
            bytes += blob.bytes.count
            console.advance()
        }
        let status = try await sides.new.checkAccountStatus()
        let present = status.expectedBlobs - missing.count
        var summary = "\(copied) copied (\(bytes) bytes), \(max(present, 0)) already there"
        if !missingAtSource.isEmpty { summary += ", \(missingAtSource.count) missing on the old PDS too" }
        console.done(summary)
        return .init(
            expected: status.expectedBlobs, copied: copied, alreadyPresent: max(present, 0), bytes: bytes,
            missingAtSource: missingAtSource)
    }

    /// The preferences, copied as they are (a put replaces them, so this is repeatable).
    func copyPreferences(_ sides: Sides) async throws(AdminFailure) -> Int {
        console.begin("preferences", total: 1)
        let preferences = try await sides.old.getPreferences()
        try await sides.new.putPreferences(preferences)
        console.advance()
        var count = 0
        if case .array(let items) = preferences["preferences"] { count = items.count }
        console.done("\(count) copied")
        return count
    }

    /// The identity: unless the DID document already names the new PDS and its key, a PLC operation with the new
    /// PDS's recommended credentials, signed by the old PDS with the emailed token and submitted by the new one.
    func updateIdentity(_ sides: Sides) async throws(AdminFailure) -> String {
        if try await sides.new.checkAccountStatus().validDid {
            console.begin("identity", total: 0)
            console.done("the DID document already points at the new PDS")
            return "already updated"
        }
        guard sides.did.hasPrefix("did:plc:") else {
            throw .other(
                "\(sides.did) is not a did:plc: point its document at \(sides.new.baseURL) with the key from "
                    + "com.atproto.identity.getRecommendedDidCredentials, then run this again")
        }
        let token: String
        if let given = plan.plcToken {
            token = given
        } else {
            try await sides.old.requestPlcOperationSignature()
            console.note(
                "identity: \(sides.old.baseURL) emailed a PLC token to \(sides.email ?? "the account's address")")
            token = try await readPLCToken(sides.email)
        }
        console.begin("identity", total: 3)
        let credentials = try await sides.new.getRecommendedDidCredentials()
        console.advance()
        let operation = try await sides.old.signPlcOperation(token: token, credentials: credentials)
        console.advance()
        try await sides.new.submitPlcOperation(operation)
        console.advance()
        console.done("the DID document now points at the new PDS")
        return "updated"
    }
}
