import Foundation

/// Why a backup, restore or check failed; each description is one line for the command line.
package enum BackupError: Error, CustomStringConvertible, Sendable {
    /// `PDS_BACKUP_ENCRYPTION_KEY` is not 64 hex digits.
    case invalidKey
    /// No backup key is configured.
    case missingKey
    /// No target is configured.
    case missingTarget
    /// A `PDS_BACKUP_*` variable could not be parsed.
    case invalidValue(variable: String, value: String)
    /// The backup was written with another key.
    case wrongKey(expected: String, found: String)
    /// An object failed authentication (corrupted or tampered with), or its header does not match its name.
    case corrupted(object: String, reason: String)
    /// An object the catalog names could not be read.
    case missingObject(String)
    /// A generation's copy or one of its WAL segments is missing (a gap): the file can not be rebuilt past it.
    case missingSegment(file: String, generation: Int64, index: Int)
    /// The target holds no backup (no key check object).
    case noBackup(target: String)
    /// The target could not be reached or refused a request.
    case targetUnavailable(target: String, cause: String)
    /// The restore destination already holds a data directory.
    case destinationNotEmpty(String)
    /// A file of the data directory could not be copied.
    case snapshotFailed(path: String, cause: String)
    /// Nothing in the backup for the account named.
    case unknownAccount(String)

    package var description: String {
        switch self {
        case .invalidKey:
            return "PDS_BACKUP_ENCRYPTION_KEY must be 64 hex digits (32 bytes; make one with `openssl rand -hex 32`)"
        case .missingKey: return "PDS_BACKUP_ENCRYPTION_KEY is not set (backups are always encrypted)"
        case .missingTarget: return "PDS_BACKUP_TARGET is not set (a directory, or s3://bucket/prefix)"
        case .invalidValue(let variable, let value): return "\(variable)=\(value) is not a valid value"
        case .wrongKey(let expected, let found):
            return "wrong encryption key: the backup was written with key id \(expected), this key's id is \(found)"
        case .corrupted(let object, let reason): return "backup object \(object) is corrupted: \(reason)"
        case .missingObject(let name): return "backup object \(name) is missing"
        case .missingSegment(let file, let generation, let index):
            return "the backup of \(file) has a gap: object \(index) of generation \(generation) is missing "
                + "(restore to an earlier time, or to a later generation's)"
        case .noBackup(let target): return "no backup at \(target) (no key check object)"
        case .targetUnavailable(let target, let cause): return "backup target \(target) is unreachable: \(cause)"
        case .destinationNotEmpty(let path):
            return "\(path) already holds a data directory (account.sqlite): restore into an empty directory, or one "
                + "account with --did"
        case .snapshotFailed(let path, let cause): return "cannot copy \(path): \(cause)"
        case .unknownAccount(let did): return "the backup holds no files of \(did)"
        }
    }
}
