import ATCore
import Foundation
import Identity

/// Where a replica stands in its upstream's `/export`: committed with every page, so a restart resumes exactly
/// after the last committed operation.
///
/// The upstream pages with `after=<createdAt>` (strictly later), and several operations can share one
/// millisecond, so the replica asks again from one millisecond before ``createdAt`` and skips the operations it
/// already processed at that instant (``boundaryCIDs``) — none is lost at a page boundary and none is added twice.
package struct PLCReplicaCursor: Sendable, Codable, Equatable {
    /// The upstream directory this database replicates.
    package var upstream: String
    /// The `createdAt` of the last processed operation, `nil` before the first.
    package var createdAt: String?
    /// The CIDs (as the upstream wrote them; ``boundaryKey(cid:line:)``) of the processed lines at ``createdAt``.
    package var boundaryCIDs: [String]
    /// How many upstream lines were processed (accepted, duplicate or rejected): the next line's position.
    package var position: Int64
    /// How many operations were accepted and stored.
    package var accepted: Int64
    /// How many were rejected (recorded in the rejections table, never served).
    package var rejected: Int64

    /// A cursor at the start of `upstream`'s log.
    package init(upstream: String) {
        self.upstream = upstream
        createdAt = nil
        boundaryCIDs = []
        position = 0
        accepted = 0
        rejected = 0
    }

    /// Moves past one processed line.
    /// - Parameters:
    ///   - createdAt: the line's `createdAt`, if it had a valid one (a line without one counts as at ``createdAt``).
    ///   - key: the line's ``boundaryKey(cid:line:)``.
    mutating func advance(createdAt lineCreatedAt: String?, key: String) {
        position += 1
        guard let lineCreatedAt, lineCreatedAt > (createdAt ?? "") else {
            if createdAt != nil, lineCreatedAt == nil || lineCreatedAt == createdAt { boundaryCIDs.append(key) }
            return
        }
        createdAt = lineCreatedAt
        boundaryCIDs = [key]
    }

    /// Whether a line of a page fetched from this cursor was processed before (it is at ``createdAt`` and its key
    /// is listed).
    func alreadyProcessed(createdAt lineCreatedAt: String?, key: String) -> Bool {
        guard createdAt != nil, lineCreatedAt == nil || lineCreatedAt == createdAt else { return false }
        return boundaryCIDs.contains(key)
    }

    /// What identifies a line among those sharing a millisecond: its `cid` field, or for a line without one the
    /// SHA-256 of the line.
    static func boundaryKey(cid: String?, line: String) -> String {
        cid ?? "line:" + Hex.encode(sha256(Array(line.utf8)))
    }

    /// The `after` parameter for the next page: one millisecond before ``createdAt``.
    var afterParameter: String? {
        guard let createdAt, let date = try? Datetime(createdAt).date else { return nil }
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded() - 1
        return Datetime(Date(timeIntervalSince1970: (milliseconds + 0.5) / 1000)).rawValue
    }
}

/// What the replica decided about one upstream `/export` line.
package struct PLCReplicaDecision: Sendable {
    /// The outcome.
    package enum Outcome: Sendable {
        /// Valid: stored, nullifying the listed operations of the same DID.
        case accepted(PLCLogEntry, nullifies: [CID])
        /// Already stored (a page overlap); nothing changes.
        case duplicate
        /// Invalid: recorded with the reason and never served.
        case rejected(reason: String)
    }

    /// The line's position in the upstream log, as this replica counts it.
    package var position: Int64
    /// The line exactly as the upstream sent it.
    package var line: String
    /// The `did` field, when readable.
    package var did: String?
    /// The `cid` field, when readable.
    package var cid: String?
    /// The `createdAt` field normalised to milliseconds, when valid.
    package var createdAt: String?
    /// The decision.
    package var outcome: Outcome
}

/// An upstream operation the replica refused, as listed at `/_replica/rejected`.
package struct PLCRejectedOperation: Sendable, Equatable {
    /// The line's position in the upstream log.
    package var position: Int64
    /// The `did` field, when readable.
    package var did: String?
    /// The `cid` field, when readable.
    package var cid: String?
    /// The `createdAt` field, when valid.
    package var createdAt: String?
    /// Why it was refused.
    package var reason: String
    /// The line exactly as the upstream sent it.
    package var line: String
    /// When the replica refused it.
    package var rejectedAt: String

    /// The JSON form for the status API.
    package var jsonValue: JSONValue {
        var members: [String: JSONValue] = [
            "position": .number(String(position)), "reason": .string(reason), "line": .string(line),
            "rejectedAt": .string(rejectedAt),
        ]
        if let did { members["did"] = .string(did) }
        if let cid { members["cid"] = .string(cid) }
        if let createdAt { members["createdAt"] = .string(createdAt) }
        return .object(members)
    }
}
