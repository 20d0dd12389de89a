/// Renders rows as a plain-text table for people: a header of upper-case column names, then one line per row, the
/// columns left-aligned and separated by two spaces (the last column is not padded, so lines carry no trailing
/// spaces).
///
/// ```
/// HANDLE          EMAIL                DID
/// alice.pds.test  alice@example.com    did:plc:…
/// ```
struct TableWriter {
    /// The column names.
    let columns: [String]
    /// The rows so far, each with one cell per column.
    private(set) var rows: [[String]] = []

    /// A table with these columns.
    init(columns: [String]) {
        self.columns = columns
    }

    /// A table with these columns, named in place: `TableWriter("DID", "HANDLE")`.
    init(_ columns: String...) {
        self.init(columns: columns)
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    mutating func append(_ cells: [String]) {
        rows.append((0..<columns.count).map { $0 < cells.count ? Self.clean(cells[$0]) : "" })
    }

    /// Adds a row given cell by cell.
    mutating func append(_ cells: String...) {
        append(cells)
    }

    /// The table, with a trailing newline.
    func render() -> String {
        let all = [columns.map { $0.uppercased() }] + rows
        let widths = (0..<columns.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for row in all {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column == row.count - 1 {
                    line += cell
                } else {
                    line += cell + String(repeating: " ", count: widths[column] - cell.count + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }

    /// Two columns, field and value, for one record (`account info`).
    static func record(_ fields: [(String, String)]) -> String {
        var table = TableWriter(columns: ["field", "value"])
        for (name, value) in fields { table.append([name, value]) }
        return table.render()
    }

    /// A cell on one line: control characters (a newline in a value) become spaces.
    private static func clean(_ cell: String) -> String {
        String(cell.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
    }
}
