/// What `pds account migrate` did, phase by phase: a table for people, JSON with `--json`.
struct MigrationReport {
    /// The repository phase.
    struct Repo {
        /// `imported`, `already imported` or `already active`.
        var outcome: String
        /// The records indexed on the new PDS.
        var records: Int
        /// The revision there.
        var rev: String
        /// The CAR's size when imported by this run.
        var bytes: Int
    }

    /// The blob phase.
    struct Blobs {
        /// The blobs the records name.
        var expected = 0
        /// Copied by this run.
        var copied = 0
        /// Already on the new PDS (an earlier run).
        var alreadyPresent = 0
        /// The bytes copied.
        var bytes = 0
        /// Named by records but on neither PDS.
        var missingAtSource: [String] = []
    }

    /// The final check.
    struct Verification {
        /// The records that match.
        var records: Int
        /// The blobs on the new PDS.
        var blobs: Int
        /// The new repo's commit.
        var commit: String
    }

    var did: String
    var handle: String
    var from: String
    var to: String
    /// Whether this run created the account on the new PDS.
    var accountCreated: Bool
    var repo = Repo(outcome: "", records: 0, rev: "", bytes: 0)
    var blobs = Blobs()
    var preferences = 0
    /// `updated` or `already updated`.
    var identity = ""
    /// `activated` or `already active`.
    var activated = ""
    var verification = Verification(records: 0, blobs: 0, commit: "")

    /// The table.
    var table: String {
        TableWriter.record([
            ("DID", did), ("Handle", handle), ("From", from), ("To", to),
            ("Account", accountCreated ? "created" : "already there"),
            ("Repo", "\(repo.outcome): \(repo.records) records, rev \(repo.rev)"),
            ("Blobs", "\(blobs.copied) copied, \(blobs.alreadyPresent) already there, \(blobs.expected) in all"),
            ("Preferences", "\(preferences) copied"),
            ("Identity", identity), ("New account", activated),
            ("Verified", "\(verification.records) records, \(verification.blobs) blobs, commit \(verification.commit)"),
            ("Old account", "deactivated"),
        ]) + "The account now lives on \(to).\n"
    }

    /// The JSON summary.
    var json: JSONValue {
        .object([
            "did": .string(did), "handle": .string(handle), "from": .string(from), "to": .string(to),
            "accountCreated": .bool(accountCreated),
            "repo": .object([
                "outcome": .string(repo.outcome), "records": .int(Int64(repo.records)), "rev": .string(repo.rev),
                "bytes": .int(Int64(repo.bytes)),
            ]),
            "blobs": .object([
                "expected": .int(Int64(blobs.expected)), "copied": .int(Int64(blobs.copied)),
                "alreadyPresent": .int(Int64(blobs.alreadyPresent)), "bytes": .int(Int64(blobs.bytes)),
                "missingAtSource": .array(blobs.missingAtSource.map(JSONValue.string)),
            ]),
            "preferences": .int(Int64(preferences)), "identity": .string(identity), "activated": .string(activated),
            "verified": .object([
                "records": .int(Int64(verification.records)), "blobs": .int(Int64(verification.blobs)),
                "commit": .string(verification.commit),
            ]),
            "oldAccount": .string("deactivated"),
        ])
    }
}
