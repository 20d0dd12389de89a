import Foundation

/// A table for people: a header row and left-aligned columns separated by two spaces, each as wide as its widest
/// cell.
struct TextTable {
    /// The column titles.
    var header: [String]
    /// The rows, each with one cell per column.
    var rows: [[String]] = []

    /// Creates an empty table with these column titles.
    init(_ header: String...) { self.header = header }

    /// Adds a row.
    mutating func append(_ cells: String...) { rows.append(cells) }

    /// The table as lines of text (no trailing spaces).
    var rendered: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
