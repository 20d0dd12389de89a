import ATCore
import GRDB

/// Preference rules shared by reader and transactor (the reference's `prefMatchNamespace` and `prefInScope`).
enum PreferenceRules {
    /// Preferences only a full-access session (not an app password) may read or write.
    static let fullAccessOnly: Set<String> = ["app.bsky.actor.defs#personalDetailsPref"]

    /// Whether the preference type `name` belongs to `namespace` (equal, or `namespace.` prefix).
    static func matches(namespace: String, _ name: String) -> Bool {
        name == namespace || name.hasPrefix(namespace + ".")
    }

    /// Whether a session with or without full access may see the preference type `name`.
    static func inScope(fullAccess: Bool, _ name: String) -> Bool {
        fullAccess || !fullAccessOnly.contains(name)
    }
}

/// Reads one actor's `account_pref` table (`app.bsky.actor.getPreferences`).
package struct PreferenceReader {
    let db: Database

    init(db: Database) { self.db = db }

    /// The stored preference objects in `namespace`, in insertion order.
    /// - Parameters:
    ///   - namespace: for example `app.bsky`.
    ///   - fullAccess: whether the session has full access (else full-access-only preferences are hidden).
    package func preferences(namespace: String, fullAccess: Bool) throws -> [JSONValue] {
        let rows = try Row.fetchAll(db, sql: "SELECT name, valueJson FROM account_pref ORDER BY id")
        var values: [JSONValue] = []
        for row in rows {
            let name = try row.text("name", table: "account_pref")
            guard PreferenceRules.matches(namespace: namespace, name),
                PreferenceRules.inScope(fullAccess: fullAccess, name)
            else { continue }
            let json = try row.text("valueJson", table: "account_pref")
            do {
                values.append(try JSONValue(parsing: json))
            } catch {
                throw ActorStoreError.corruptRow(table: "account_pref", column: "valueJson", value: json)
            }
        }
        return values
    }
}
