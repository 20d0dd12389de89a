/// The names no one may register directly under a service handle domain: the reference PDS's list
/// (`src/handle/reserved.ts`), embedded by `scripts/generate-reserved-handles.py`.
///
/// The check is on the whole first label of a handle under a service domain, after lower-casing, as in the
/// reference's `ensureHandleServiceConstraints`: `billing.example.com` is reserved, `billing2.example.com` is not.
/// Handles under other domains are never checked against it.
enum ReservedHandles {
    /// Every reserved name (all lower case).
    static let names: Set<String> = Set(atpSpecific + commonlyReserved + famousAccounts)

    /// Whether `label`, the part of a handle in front of its service domain, is reserved.
    static func contains(_ label: some StringProtocol) -> Bool { names.contains(String(label)) }
}
