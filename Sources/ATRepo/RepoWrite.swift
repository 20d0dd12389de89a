import ATCore

/// One record write in a commit.
package struct RepoWrite: Hashable, Sendable {
    /// What the write does.
    package enum Action: String, Hashable, Sendable {
        case create, update, delete
    }

    /// What the write does.
    package var action: Action
    /// The record's collection.
    package var collection: NSID
    /// The record key.
    package var rkey: RecordKey
    /// The record (`nil` for deletes).
    package var record: LexValue?

    /// The MST key, `collection/rkey`.
    package var path: String { "\(collection.rawValue)/\(rkey.rawValue)" }

    /// Creates a record at a path that must be empty.
    package static func create(_ collection: NSID, _ rkey: RecordKey, _ record: LexValue) -> RepoWrite {
        RepoWrite(action: .create, collection: collection, rkey: rkey, record: record)
    }

    /// Replaces the record at a path that must hold one.
    package static func update(_ collection: NSID, _ rkey: RecordKey, _ record: LexValue) -> RepoWrite {
        RepoWrite(action: .update, collection: collection, rkey: rkey, record: record)
    }

    /// Deletes the record at a path that must hold one.
    package static func delete(_ collection: NSID, _ rkey: RecordKey) -> RepoWrite {
        RepoWrite(action: .delete, collection: collection, rkey: rkey, record: nil)
    }
}

/// One operation of a commit, as the firehose `#commit` event lists it.
package struct RepoOp: Hashable, Sendable {
    /// create, update or delete.
    package var action: RepoWrite.Action
    /// The MST key, `collection/rkey`.
    package var path: String
    /// The new record CID (`nil` for deletes).
    package var cid: CID?
    /// The previous record CID (`nil` for creates).
    package var prev: CID?

    /// An op from its fields.
    package init(action: RepoWrite.Action, path: String, cid: CID?, prev: CID?) {
        self.action = action
        self.path = path
        self.cid = cid
        self.prev = prev
    }
}
