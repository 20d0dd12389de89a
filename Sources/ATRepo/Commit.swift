import ATCore
import ATCrypto

/// A signed repository commit, format version 3: `{did, version: 3, data, rev, prev, sig}`.
package struct Commit: Hashable, Sendable {
    /// The repository format version this code writes.
    package static let currentVersion = 3

    /// The account DID.
    package var did: DID
    /// The format version (3; version 2 commits are read too).
    package var version: Int
    /// The MST root CID.
    package var data: CID
    /// The revision, a TID greater than every earlier revision of the repo.
    package var rev: TID
    /// The previous commit's CID; always `nil` in commits this code writes.
    package var prev: CID?
    /// The 64-byte compact signature over the unsigned encoding.
    package var sig: [UInt8]

    /// Builds and signs a version 3 commit.
    /// - Parameters:
    ///   - did: the account DID.
    ///   - data: the MST root CID.
    ///   - rev: the new revision.
    ///   - keypair: the account's signing key.
    package static func sign(did: DID, data: CID, rev: TID, keypair: some Keypair) throws -> Commit {
        var commit = Commit(did: did, version: currentVersion, data: data, rev: rev, prev: nil, sig: [])
        commit.sig = try keypair.sign(commit.unsignedBytes)
        return commit
    }

    /// The unsigned commit, `{did, version, data, rev, prev}`.
    package var unsignedValue: LexValue {
        .map([
            "did": .string(did.rawValue), "version": .integer(Int64(version)), "data": .link(data),
            "rev": .string(rev.rawValue), "prev": prev.map { .link($0) } ?? .null,
        ])
    }

    /// The DAG-CBOR bytes that are signed.
    package var unsignedBytes: [UInt8] { DAGCBOR.encode(unsignedValue) }

    /// The signed commit object.
    package var value: LexValue {
        guard case .map(var map) = unsignedValue else { preconditionFailure() }
        map["sig"] = .bytes(sig)
        return .map(map)
    }

    /// The signed commit's DAG-CBOR block.
    package var bytes: [UInt8] { DAGCBOR.encode(value) }

    /// The signed commit's CID.
    package var cid: CID { CID.dagCBOR(hashing: bytes) }

    /// Whether the signature verifies with `key`.
    /// - Parameters:
    ///   - key: the account's signing key (from its DID document).
    package func verifySignature(with key: any VerifyingKey) -> Bool {
        key.verify(signature: sig, message: unsignedBytes)
    }

    /// Parses a commit block.
    /// - Parameters:
    ///   - bytes: the DAG-CBOR block.
    /// - Throws: `RepoError.invalidCommit` when a field is missing, has the wrong type, or is unknown.
    package init(bytes: [UInt8]) throws(RepoError) {
        let value: LexValue
        do { value = try DAGCBOR.decode(bytes) } catch { throw .invalidCommit("not DAG-CBOR: \(error)") }
        try self.init(value: value)
    }

    /// Parses a decoded commit object.
    /// - Parameters:
    ///   - value: the decoded block.
    package init(value: LexValue) throws(RepoError) {
        guard case .map(let map) = value else { throw .invalidCommit("commit must be a map") }
        let known: Set<String> = ["did", "version", "data", "rev", "prev", "sig"]
        if let unknown = map.keys.first(where: { !known.contains($0) }) {
            throw .invalidCommit("unknown field \(unknown)")
        }
        guard let didString = map["did"]?.string, let did = try? DID(didString) else { throw .invalidCommit("bad did") }
        guard let version = map["version"]?.integer, version == 3 || version == 2 else {
            throw .invalidCommit("unsupported version")
        }
        guard let data = map["data"]?.link, data.codec == .dagCBOR else { throw .invalidCommit("bad data link") }
        guard let revString = map["rev"]?.string, let rev = try? TID(revString) else { throw .invalidCommit("bad rev") }
        guard let sig = map["sig"]?.bytes else { throw .invalidCommit("missing sig") }
        var prev: CID?
        switch map["prev"] {
        case .null?: prev = nil
        case .link(let cid)?: prev = cid
        default: throw .invalidCommit("prev must be null or a link")
        }
        self.init(did: did, version: Int(version), data: data, rev: rev, prev: prev, sig: sig)
    }

    /// A commit from its fields (no signing or checks).
    package init(did: DID, version: Int, data: CID, rev: TID, prev: CID?, sig: [UInt8]) {
        self.did = did
        self.version = version
        self.data = data
        self.rev = rev
        self.prev = prev
        self.sig = sig
    }
}
