import ATCore
import GRDB

/// Writes one actor's `account_pref` table (`app.bsky.actor.putPreferences`).
package struct PreferenceTransactor {
    let db: Database

    init(db: Database) { self.db = db }

    /// Replaces every preference in `namespace` (that the session may see) with `values`.
    /// - Parameters:
    ///   - values: preference objects, each with a `$type` inside `namespace`.
    ///   - namespace: for example `app.bsky`.
    ///   - fullAccess: whether the session has full access (else full-access-only preferences can be neither
    ///     written nor replaced).
    /// - Throws: `ActorStoreError.preferenceMissingType`, `.preferenceNotInNamespace` or
    ///   `.preferenceRequiresFullAccess`, before anything is written.
    package func putPreferences(_ values: [JSONValue], namespace: String, fullAccess: Bool) throws {
        var rows: [(name: String, json: String)] = []
        for value in values {
            guard let name = value["$type"]?.string else { throw ActorStoreError.preferenceMissingType }
            guard PreferenceRules.matches(namespace: namespace, name) else {
                throw ActorStoreError.preferenceNotInNamespace(name)
            }
            guard PreferenceRules.inScope(fullAccess: fullAccess, name) else {
                throw ActorStoreError.preferenceRequiresFullAccess(name)
            }
            rows.append((name, value.serializedString))
        }
        let existing = try Row.fetchAll(db, sql: "SELECT id, name FROM account_pref")
        for row in existing {
            let name = try row.text("name", table: "account_pref")
            guard PreferenceRules.matches(namespace: namespace, name),
                PreferenceRules.inScope(fullAccess: fullAccess, name)
            else { continue }
            try db.execute(sql: "DELETE FROM account_pref WHERE id = ?", arguments: [row["id"] as Int64?])
        }
        for row in rows {
            try db.execute(
                sql: "INSERT INTO account_pref (name, valueJson) VALUES (?, ?)",
                arguments: [row.name, row.json]
            )
        }
    }
}
