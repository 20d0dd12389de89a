import ATCore
import ATRepo

// MARK: - Encoding

extension SeqEvent {
    /// The stored body: the lexicon object without `seq` and `time`.
    package var body: LexValue {
        switch self {
        case .commit(let event): event.body
        case .sync(let event): event.body
        case .identity(let event): event.body
        case .account(let event): event.body
        }
    }

    /// The DAG-CBOR bytes stored in `repo_seq.event`.
    package var bodyBytes: [UInt8] { DAGCBOR.encode(body) }

    /// Parses a stored event.
    /// - Parameters:
    ///   - type: the `eventType` column.
    ///   - body: the decoded `event` column.
    /// - Throws: `SequencerError.invalidEvent` when a required field is missing or malformed.
    package init(type: SeqEventType, body: LexValue) throws {
        let fields = try EventFields(body, type: type)
        switch type {
        case .append:
            let ops = try fields.array("ops").enumerated().map { index, value in
                try RepoOp(event: value, index: index)
            }
            self = .commit(
                CommitEvent(
                    repo: try fields.did("repo"), commit: try fields.link("commit"), rev: try fields.tid("rev"),
                    since: try fields.optional("since") { try TID($0.string ?? "") },
                    blocks: try fields.bytes("blocks"),
                    ops: ops, prevData: try fields.optional("prevData") { $0.link },
                    rebase: try fields.optional("rebase") { $0.bool } ?? false,
                    tooBig: try fields.optional("tooBig") { $0.bool } ?? false,
                    blobs: try fields.optional("blobs") { try $0.array?.map { try EventFields.link($0, "blobs") } }
                        ?? []))
        case .sync:
            self = .sync(
                SyncEvent(did: try fields.did("did"), rev: try fields.tid("rev"), blocks: try fields.bytes("blocks")))
        case .identity:
            self = .identity(
                IdentityEvent(
                    did: try fields.did("did"), handle: try fields.optional("handle") { try Handle($0.string ?? "") }))
        case .account:
            guard let active = fields.map["active"]?.bool else { throw fields.error("active") }
            self = .account(
                AccountEvent(
                    did: try fields.did("did"), active: active,
                    status: try fields.optional("status") { $0.string.map(AccountEvent.Status.init(rawValue:)) }))
        }
    }

    /// Parses a stored `event` blob.
    /// - Parameters:
    ///   - type: the `eventType` column.
    ///   - bytes: the DAG-CBOR body.
    package init(type: SeqEventType, bodyBytes bytes: [UInt8]) throws {
        let body: LexValue
        do { body = try DAGCBOR.decode(bytes) } catch {
            throw SequencerError.invalidEvent("\(type.rawValue): \(error)")
        }
        try self.init(type: type, body: body)
    }
}

extension CommitEvent {
    /// `{repo, commit, rev, since, blocks, ops, rebase, tooBig, blobs, prevData?}`.
    var body: LexValue {
        var map: [String: LexValue] = [
            "repo": .string(repo.rawValue),
            "commit": .link(commit),
            "rev": .string(rev.rawValue),
            "since": since.map { .string($0.rawValue) } ?? .null,
            "blocks": .bytes(blocks),
            "ops": .array(ops.map(\.eventValue)),
            "rebase": .bool(rebase),
            "tooBig": .bool(tooBig),
            "blobs": .array(blobs.map { .link($0) }),
        ]
        if let prevData { map["prevData"] = .link(prevData) }
        return .map(map)
    }
}

extension SyncEvent {
    /// `{did, rev, blocks}`.
    var body: LexValue {
        .map(["did": .string(did.rawValue), "rev": .string(rev.rawValue), "blocks": .bytes(blocks)])
    }
}

extension IdentityEvent {
    /// `{did, handle?}`.
    var body: LexValue {
        var map: [String: LexValue] = ["did": .string(did.rawValue)]
        if let handle { map["handle"] = .string(handle.rawValue) }
        return .map(map)
    }
}

extension AccountEvent {
    /// `{did, active, status?}`.
    var body: LexValue {
        var map: [String: LexValue] = ["did": .string(did.rawValue), "active": .bool(active)]
        if let status { map["status"] = .string(status.rawValue) }
        return .map(map)
    }
}

extension RepoOp {
    /// `#repoOp`: `{action, path, cid: link | null, prev?: link}`.
    var eventValue: LexValue {
        var map: [String: LexValue] = [
            "action": .string(action.rawValue), "path": .string(path), "cid": cid.map { .link($0) } ?? .null,
        ]
        if let prev { map["prev"] = .link(prev) }
        return .map(map)
    }

    /// Parses a `#repoOp`.
    init(event value: LexValue, index: Int) throws {
        guard case .map(let map) = value,
            let actionName = map["action"]?.string, let action = RepoWrite.Action(rawValue: actionName),
            let path = map["path"]?.string
        else { throw SequencerError.invalidEvent("ops[\(index)]: action and path required") }
        let cid: CID?
        switch map["cid"] {
        case .link(let link): cid = link
        case .null, nil: cid = nil
        default: throw SequencerError.invalidEvent("ops[\(index)].cid must be a link or null")
        }
        let prev: CID?
        switch map["prev"] {
        case .link(let link): prev = link
        case .null, nil: prev = nil
        default: throw SequencerError.invalidEvent("ops[\(index)].prev must be a link")
        }
        self.init(action: action, path: path, cid: cid, prev: prev)
    }
}

// MARK: - Field access

/// Typed access to a stored event's map, with errors naming the field.
private struct EventFields {
    let map: [String: LexValue]
    let type: SeqEventType

    init(_ body: LexValue, type: SeqEventType) throws {
        guard case .map(let map) = body else {
            throw SequencerError.invalidEvent("\(type.rawValue): body is not a map")
        }
        self.map = map
        self.type = type
    }

    func error(_ field: String) -> SequencerError {
        .invalidEvent("\(type.rawValue): missing or malformed \(field)")
    }

    func did(_ field: String) throws -> DID {
        guard let string = map[field]?.string, let did = try? DID(string) else { throw error(field) }
        return did
    }

    func tid(_ field: String) throws -> TID {
        guard let string = map[field]?.string, let tid = try? TID(string) else { throw error(field) }
        return tid
    }

    func link(_ field: String) throws -> CID {
        guard let cid = map[field]?.link else { throw error(field) }
        return cid
    }

    static func link(_ value: LexValue, _ field: String) throws -> CID {
        guard let cid = value.link else { throw SequencerError.invalidEvent("\(field) must hold links") }
        return cid
    }

    func bytes(_ field: String) throws -> [UInt8] {
        guard let bytes = map[field]?.bytes else { throw error(field) }
        return bytes
    }

    func array(_ field: String) throws -> [LexValue] {
        guard let array = map[field]?.array else { throw error(field) }
        return array
    }

    /// `nil` for an absent or `null` field; otherwise `parse` must succeed with a non-`nil` value.
    func optional<T>(_ field: String, _ parse: (LexValue) throws -> T?) throws -> T? {
        guard let value = map[field], !value.isNull else { return nil }
        guard let parsed = try? parse(value) else { throw error(field) }
        return parsed
    }
}
