import Foundation
import Logging
import ServiceDB

/// Resolves the permission sets `include:` scopes name, caches them in `account.sqlite`'s `lexicon` table, and
/// expands scopes into the granular permissions tokens carry, as the reference's `LexiconManager`.
///
/// A cached entry is used for ``refreshInterval`` after its last attempt; after that the set is resolved again,
/// and a failed attempt keeps the last good document (so a session does not lose its permissions when the
/// authority is briefly unreachable) while a set that never resolved stays a cached failure for the same interval.
package struct OAuthPermissionSets: Sendable {
    /// How long an entry is used before it is resolved again (the reference's `LEXICON_REFRESH_FREQUENCY`).
    package static let refreshInterval: TimeInterval = 300

    let serviceDB: ServiceDB
    let source: any LexiconDocumentSource
    let now: @Sendable () -> Date
    let logger: Logger

    /// Creates the manager.
    /// - Parameters:
    ///   - serviceDB: the account database (its `lexicon` table).
    ///   - source: where documents are resolved from.
    ///   - now: the clock.
    ///   - logger: resolution failures are logged here.
    package init(
        serviceDB: ServiceDB, source: any LexiconDocumentSource, now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger = Logger(label: "pds.oauth.lexicon")
    ) {
        self.serviceDB = serviceDB
        self.source = source
        self.now = now
        self.logger = logger
    }

    /// The include scopes of a scope string.
    package static func includes(in scope: String) -> [OAuthIncludeScope] {
        scope.split(separator: " ").compactMap { OAuthIncludeScope(String($0)) }
    }

    /// The permission sets every `include:` of `scope` names, by NSID.
    /// - Throws: ``OAuthError`` `invalid_scope` naming the first set that does not resolve to a permission set;
    ///   database errors.
    package func permissionSets(scope: String) async throws -> [String: OAuthPermissionSet] {
        var sets: [String: OAuthPermissionSet] = [:]
        for nsid in Set(Self.includes(in: scope).map(\.nsid)).sorted() {
            sets[nsid] = try await permissionSet(nsid: nsid)
        }
        return sets
    }

    /// `scope` with every `include:` replaced by the granular scopes its set grants (unchanged when it has none).
    /// - Throws: as ``permissionSets(scope:)``.
    package func tokenScope(_ scope: String) async throws -> String {
        let includes = Self.includes(in: scope)
        guard !includes.isEmpty else { return scope }
        let sets = try await permissionSets(scope: scope)
        var tokens: [String] = []
        for token in scope.split(separator: " ").map(String.init) {
            let expanded = OAuthIncludeScope(token).flatMap { include in sets[include.nsid].map(include.scopes) }
            for item in expanded ?? [token] where !tokens.contains(item) { tokens.append(item) }
        }
        return tokens.joined(separator: " ")
    }

    /// The permission set `nsid`, from the cache or resolved.
    /// - Throws: ``OAuthError`` `invalid_scope` when it does not resolve or is not a permission set.
    package func permissionSet(nsid: String) async throws -> OAuthPermissionSet {
        let record = try await cachedOrResolved(nsid: nsid)
        guard let json = record.lexicon else {
            throw OAuthError.invalidScope("The permission set \(nsid) could not be resolved; try again later")
        }
        do {
            return try OAuthPermissionSet(nsid: nsid, document: Data(json.utf8))
        } catch {
            throw OAuthError.invalidScope(error.description)
        }
    }

    /// The cached entry when it is fresh; otherwise the result of a new resolution, stored.
    func cachedOrResolved(nsid: String) async throws -> ServiceDB.LexiconRecord {
        let current = now()
        let stored = try await serviceDB.lexicon(nsid: nsid)
        if let stored, current.timeIntervalSince(stored.updatedAt) < Self.refreshInterval { return stored }
        var record =
            stored
            ?? .init(nsid: nsid, createdAt: current, updatedAt: current, lastSucceededAt: nil, uri: nil, lexicon: nil)
        record.updatedAt = current
        do {
            let (uri, json) = try await source.document(nsid: nsid)
            record.uri = uri
            record.lexicon = String(decoding: json, as: UTF8.self)
            record.lastSucceededAt = current
        } catch {
            logger.warning(
                "Permission set resolution failed",
                metadata: ["nsid": "\(nsid)", "error": "\(error)", "cached": "\(record.lexicon != nil)"])
        }
        try await serviceDB.upsertLexicon(
            record, forgetFailuresBefore: current.addingTimeInterval(-Self.refreshInterval))
        return record
    }
}
