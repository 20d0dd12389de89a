import ATCore
import ATCrypto
import ATRepo
import Foundation
import Identity

extension AccountMigration {
    /// The final check before the old account is deactivated: the new repository verifies (every block, the MST, the
    /// commit signed by the key the DID document names now) and holds exactly the old one's records, with the same
    /// CIDs; every blob the records name is on the new PDS (but those the old one lacked too); the new account is
    /// active with a DID document pointing at it.
    func verify(_ sides: Sides, missingAtSource: [String]) async throws(AdminFailure) -> MigrationReport.Verification {
        console.begin("verify", total: 4)
        guard let did = try? DID(sides.did) else { throw .other("'\(sides.did)' is not a valid DID") }
        let document = try await didDocument(did)
        guard let key = document.signingKey else { throw .other("the DID document of \(did) has no #atproto key") }
        let newRepo = try Self.verified(
            try await sides.new.getRepo(did: sides.did), did: did, key: key, from: sides.new.baseURL)
        console.advance()
        // The old commit is signed by the old key, which the DID document no longer names.
        let oldRepo = try Self.verified(
            try await sides.old.getRepo(did: sides.did), did: did, key: nil, from: sides.old.baseURL)
        console.advance()
        let newRecords = Dictionary(newRepo.records.map { ($0.key, $0.cid) }, uniquingKeysWith: { first, _ in first })
        let oldRecords = Dictionary(oldRepo.records.map { ($0.key, $0.cid) }, uniquingKeysWith: { first, _ in first })
        if newRecords != oldRecords {
            let differing = Set(newRecords.keys).union(oldRecords.keys).sorted().first {
                newRecords[$0] != oldRecords[$0]
            }
            throw .other(
                "verification failed: the new repo has \(newRecords.count) records, the old one \(oldRecords.count); "
                    + "first difference: \(differing ?? "?")")
        }
        console.advance()
        let stillMissing = Set(try await sides.new.listMissingBlobs()).subtracting(missingAtSource)
        if let blob = stillMissing.sorted().first {
            throw .other("verification failed: \(stillMissing.count) blobs missing on the new PDS, e.g. \(blob)")
        }
        let status = try await sides.new.checkAccountStatus()
        guard status.activated, status.validDid else {
            throw .other(
                "verification failed: on \(sides.new.baseURL) the account is "
                    + (status.activated ? "active" : "not active") + " and its DID document "
                    + (status.validDid ? "points there" : "does not point there"))
        }
        console.advance()
        console.done(
            "\(newRecords.count) records and \(status.importedBlobs) blobs match; the repo verifies with the DID's key")
        return .init(records: newRecords.count, blobs: status.importedBlobs, commit: newRepo.cid.description)
    }

    /// `car` verified (with `key`, if any), or why it does not verify.
    private static func verified(_ car: [UInt8], did: DID, key: (any VerifyingKey)?, from url: String)
        throws(AdminFailure) -> VerifiedRepo
    {
        do {
            return try RepoVerifier.verify(car: car, did: did, key: key)
        } catch {
            throw .other("verification failed: the repo on \(url) does not verify: \(error)")
        }
    }
}
