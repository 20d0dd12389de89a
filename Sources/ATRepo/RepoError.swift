import ATCore

/// Errors from the repository layer (MST, commits, CAR import/export).
package enum RepoError: Error, Equatable, Sendable {
    case missingBlock(CID)
    case invalidCommit(String)
    case invalidMST(String)
}
