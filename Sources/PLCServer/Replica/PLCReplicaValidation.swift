import ATCore
import Foundation
import Identity

/// The checks a replica applies to upstream `/export` lines: the line's shape, the CID against the operation, and
/// the directory's own chain rules (``PLCValidator/assureValidNext(did:current:proposed:now:)``: a signature by an
/// allowed rotation key, the prev chain, the 72-hour nullification window measured between the upstream's
/// `createdAt` stamps, nothing after a tombstone). The soft limits on newly submitted operations are not applied:
/// they are not part of what makes a stored operation valid.
package enum PLCReplicaValidation {
    /// One line read from the upstream, before the chain checks.
    package struct ParsedLine: Sendable {
        /// The line's position in the upstream log.
        package var position: Int64
        /// The line exactly as received.
        package var line: String
        /// The parsed entry, or why the line is unusable.
        package var entry: Result<PLCLogEntry, PLCError>
        /// The `did` field, when readable.
        package var did: String?
        /// The `cid` field, when readable.
        package var cid: String?
        /// The `createdAt` field normalised to milliseconds, when valid.
        package var createdAt: String?
    }

    /// Reads one `/export` line: `{did, operation, cid, nullified, createdAt}` (extra fields, such as the upstream's
    /// `nullified` flag at export time, are kept in the original line but not trusted).
    /// - Parameters:
    ///   - line: the line, without its newline.
    ///   - position: its position in the upstream log.
    package static func parse(_ line: String, position: Int64) -> ParsedLine {
        var parsed = ParsedLine(position: position, line: line, entry: .failure(.malformedOperation("unreadable")))
        guard let json = try? JSONValue(parsing: Array(line.utf8)), case .object(let members) = json else {
            parsed.entry = .failure(.malformedOperation("the export line is not a JSON object"))
            return parsed
        }
        if case .string(let did)? = members["did"] { parsed.did = did }
        if case .string(let cid)? = members["cid"] { parsed.cid = cid }
        if case .string(let raw)? = members["createdAt"], let createdAt = try? Datetime(raw) {
            parsed.createdAt = Datetime(createdAt.date).rawValue
        }
        let (didField, cidField, createdAtField) = (parsed.did, parsed.cid, parsed.createdAt)
        parsed.entry = Result { () throws(PLCError) -> PLCLogEntry in
            guard let rawDID = didField, let did = try? DID(rawDID), did.method == "plc" else {
                throw .malformedOperation("missing or invalid did")
            }
            guard let rawCID = cidField, let cid = try? CID(rawCID) else {
                throw .malformedOperation("missing or invalid cid")
            }
            guard let createdAtText = createdAtField, let createdAt = try? Datetime(createdAtText) else {
                throw .malformedOperation("missing or invalid createdAt")
            }
            guard let operationJSON = members["operation"] else { throw .malformedOperation("missing operation") }
            let operation = try PLCOperation(json: operationJSON)
            guard operation.cid == cid else {
                throw .malformedOperation("cid \(rawCID) is not the operation's CID (\(operation.cid))")
            }
            return PLCLogEntry(did: did, operation: operation, cid: cid, nullified: false, createdAt: createdAt.date)
        }
        return parsed
    }

    /// Decides a run of one DID's lines, in upstream order, against that DID's stored history.
    /// - Parameters:
    ///   - lines: the DID's lines from one page, oldest first (all parsed successfully, same DID).
    ///   - history: the DID's stored audit log (nullified operations included), oldest first.
    /// - Returns: one decision per line, in the same order.
    package static func decide(_ lines: [ParsedLine], history: [PLCLogEntry]) -> [PLCReplicaDecision] {
        var audit = history
        return lines.map { parsed in
            var decision = PLCReplicaDecision(
                position: parsed.position, line: parsed.line, did: parsed.did, cid: parsed.cid,
                createdAt: parsed.createdAt, outcome: .duplicate)
            let entry: PLCLogEntry
            switch parsed.entry {
            case .failure(let error):
                decision.outcome = .rejected(reason: error.description)
                return decision
            case .success(let value): entry = value
            }
            if audit.contains(where: { $0.cid == entry.cid }) { return decision }
            if let last = audit.last, entry.createdAt < last.createdAt {
                decision.outcome = .rejected(reason: "createdAt runs backwards within \(entry.did)")
                return decision
            }
            let current = audit.filter { !$0.nullified }
            do throws(PLCError) {
                let acceptance = try PLCValidator.assureValidNext(
                    did: entry.did, current: current, proposed: entry.operation, now: entry.createdAt)
                let nullified = Set(acceptance.nullified)
                for index in audit.indices where nullified.contains(audit[index].cid) { audit[index].nullified = true }
                audit.append(entry)
                decision.outcome = .accepted(entry, nullifies: acceptance.nullified)
            } catch {
                decision.outcome = .rejected(reason: error.description)
            }
            return decision
        }
    }
}
