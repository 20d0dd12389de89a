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
    /// The record with its encoding and CID (`nil` for deletes): encoded once, when the write is made, and those
    /// bytes are what is hashed, stored and sent on the firehose.
    package var recordBlock: RecordBlock?
    /// The record (`nil` for deletes).
    package var record: LexValue? { recordBlock?.value }
    /// The record the writer expects to find at the path before the write (`swapRecord`); `nil` for no check.
    /// Checked by the store that applies the write, not by ``Repo/formatCommit(_:keypair:revs:revFloor:isRecordReferenced:)``.
    package var swapRecord: Swap?

    /// A `swapRecord` expectation.
    package enum Swap: Hashable, Sendable {
        /// No record may be at the path (the reference's `swapRecord: null`; only valid for creates).
        case absent
        /// The record at the path must have this CID (only valid for updates and deletes).
        case cid(CID)
    }

    /// The MST key, `collection/rkey`.
    package var path: String { "\(collection.rawValue)/\(rkey.rawValue)" }

    /// A write from its parts; the record is encoded here.
    /// - Parameters:
    ///   - action: what the write does.
    ///   - collection: the collection.
    ///   - rkey: the record key.
    ///   - record: the record (`nil` for deletes).
    ///   - swapRecord: the `swapRecord` expectation.
    package init(action: Action, collection: NSID, rkey: RecordKey, record: LexValue?, swapRecord: Swap?) {
        self.action = action
        self.collection = collection
        self.rkey = rkey
        self.recordBlock = record.map(RecordBlock.init)
        self.swapRecord = swapRecord
    }

    /// Creates a record at a path that must be empty.
    package static func create(
        _ collection: NSID, _ rkey: RecordKey, _ record: LexValue, swapRecord: Swap? = nil
    ) -> RepoWrite {
        RepoWrite(action: .create, collection: collection, rkey: rkey, record: record, swapRecord: swapRecord)
    }

    /// Replaces the record at a path that must hold one.
    package static func update(
        _ collection: NSID, _ rkey: RecordKey, _ record: LexValue, swapRecord: Swap? = nil
    ) -> RepoWrite {
        RepoWrite(action: .update, collection: collection, rkey: rkey, record: record, swapRecord: swapRecord)
    }

    /// Deletes the record at a path that must hold one.
    package static func delete(_ collection: NSID, _ rkey: RecordKey, swapRecord: Swap? = nil) -> RepoWrite {
        RepoWrite(action: .delete, collection: collection, rkey: rkey, record: nil, swapRecord: swapRecord)
    }
}

/// A record and its DAG-CBOR block.
package struct RecordBlock: Hashable, Sendable {
    /// The record.
    package let value: LexValue
    /// Its canonical DAG-CBOR encoding.
    package let bytes: [UInt8]
    /// The CID of ``bytes``.
    package let cid: CID

    /// Encodes `value` and hashes the bytes.
    /// - Parameters:
    ///   - value: the record.
    package init(_ value: LexValue) {
        self.value = value
        bytes = DAGCBOR.encode(value)
        cid = CID.dagCBOR(hashing: bytes)
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
