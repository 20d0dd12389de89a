import ATCore
import Foundation

/// An operation as the directory indexed it: an entry of `/:did/log/audit` and of `/export`.
package struct PLCLogEntry: Sendable, Hashable {
    /// The DID the operation belongs to.
    package var did: DID
    /// The operation.
    package var operation: PLCOperation
    /// The operation's CID.
    package var cid: CID
    /// Whether a recovery operation nullified it.
    package var nullified: Bool
    /// When the directory accepted it.
    package var createdAt: Date

    /// Creates an entry.
    /// - Parameters:
    ///   - did: the DID.
    ///   - operation: the operation.
    ///   - cid: its CID.
    ///   - nullified: whether it was nullified.
    ///   - createdAt: when it was accepted.
    package init(did: DID, operation: PLCOperation, cid: CID, nullified: Bool, createdAt: Date) {
        self.did = did
        self.operation = operation
        self.cid = cid
        self.nullified = nullified
        self.createdAt = createdAt
    }

    /// The audit-log JSON: `{did, operation, cid, nullified, createdAt}`.
    package var jsonValue: JSONValue {
        .object([
            "did": .string(did.rawValue),
            "operation": operation.jsonValue,
            "cid": .string(cid.description),
            "nullified": .bool(nullified),
            "createdAt": .string(Datetime(createdAt).rawValue),
        ])
    }

    /// Parses an audit-log entry, checking that `cid` is the operation's CID.
    /// - Parameters:
    ///   - json: one element of `/:did/log/audit`.
    package init(json: JSONValue) throws(PLCError) {
        guard case .object(let members) = json, case .string(let rawDID) = members["did"],
            let did = try? DID(rawDID), let operationJSON = members["operation"],
            case .string(let rawCID) = members["cid"], let cid = try? CID(rawCID),
            case .string(let rawCreatedAt) = members["createdAt"], let createdAt = try? Datetime(rawCreatedAt)
        else { throw .malformedOperation("audit log entry must have did, operation, cid and createdAt") }
        let operation = try PLCOperation(json: operationJSON)
        guard operation.cid == cid else { throw .malformedOperation("audit log cid does not match its operation") }
        let nullified: Bool
        switch members["nullified"] {
        case .bool(let b)?: nullified = b
        case nil: nullified = false
        default: throw .malformedOperation("nullified must be a boolean")
        }
        self.init(did: did, operation: operation, cid: cid, nullified: nullified, createdAt: createdAt.date)
    }
}
