import ATCore
import Foundation
import GRDB

extension Row {
    /// A non-null text column.
    func text(_ column: String, table: String) throws -> String {
        guard let value: String = self[column] else {
            throw ActorStoreError.corruptRow(table: table, column: column, value: "NULL")
        }
        return value
    }

    /// A CID stored as its string form.
    func cid(_ column: String, table: String) throws -> CID {
        let string = try text(column, table: table)
        do { return try CID(string) } catch {
            throw ActorStoreError.corruptRow(table: table, column: column, value: string)
        }
    }

    /// A TID stored as text (a repo revision).
    func tid(_ column: String, table: String) throws -> TID {
        let string = try text(column, table: table)
        do { return try TID(string) } catch {
            throw ActorStoreError.corruptRow(table: table, column: column, value: string)
        }
    }

    /// An AT-URI stored as text.
    func uri(_ column: String, table: String) throws -> ATURI {
        let string = try text(column, table: table)
        do { return try ATURI(string) } catch {
            throw ActorStoreError.corruptRow(table: table, column: column, value: string)
        }
    }

    /// A non-null blob column as bytes.
    func bytes(_ column: String, table: String) throws -> [UInt8] {
        guard let data: Data = self[column] else {
            throw ActorStoreError.corruptRow(table: table, column: column, value: "NULL")
        }
        return Array(data)
    }
}

/// SQLite's default limit on bound parameters is 32766 since 3.32; statements with `IN (…)` lists are chunked well
/// below it, as the reference does (500 per query).
let sqlChunkSize = 500

/// `?, ?, …` with `count` placeholders.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}
