import ATCore
import Hummingbird

/// Our extension's backup methods (DESIGN §7), admin Basic auth only; `pds backup restore --did` calls them when a
/// server runs on the data directory. No lexicon is published for them, so the lexicon middleware passes them
/// unchecked (``methods`` lists them for `XRPCLexiconMiddlewareTests`).
///
/// - `dev.swiftpds.backup.restoreAccount` (procedure): input `{did, staging}` (the name of a staging directory under
///   `<data>/tmp/restore/` holding that account's restored files); output ``LiveAccountRestore/Summary``.
struct DevSwiftpdsBackup: Sendable {
    /// The NSIDs served here.
    static let methods: Set<String> = [restoreAccountMethod]
    /// `dev.swiftpds.backup.restoreAccount`.
    static let restoreAccountMethod = LiveAccountRestore.method

    /// Request authentication (admin Basic).
    let auth: AuthVerifier
    /// The live one-account restore.
    let restorer: LiveAccountRestore

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        router.post("/xrpc/\(Self.restoreAccountMethod)") { request, _ in try await restoreAccount(request) }
    }
}
