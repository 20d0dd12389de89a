import Foundation

/// A `pds.env` file, in the format of the reference distribution's (docker compose's `env_file`): one `KEY=VALUE`
/// per line.
///
/// - Blank lines and lines starting with `#` are skipped; a leading `export ` is allowed.
/// - Spaces around the key and the value are trimmed.
/// - A value in double quotes may contain `#`, spaces and the escapes `\n`, `\t`, `\"`, `\\`; one in single quotes is
///   taken literally. Either may be followed by spaces and a `# comment`.
/// - An unquoted value ends at ` #` (an inline comment).
/// - A key given twice keeps its last value.
package enum EnvironmentFile {
    /// A line that is not `KEY=VALUE`, or a file that cannot be read.
    package struct ParseError: Error, CustomStringConvertible, Equatable {
        /// The 1-based line number.
        package var line: Int
        /// What is wrong, for people.
        package var message: String

        package var description: String { "line \(line): \(message)" }
    }

    /// Parses the text of an env file.
    /// - Throws: ``ParseError`` naming the first bad line.
    package static func parse(_ text: String) throws(ParseError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(line: index + 1, message: "expected KEY=VALUE")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard isValidKey(key) else {
                throw ParseError(line: index + 1, message: "invalid variable name '\(key)'")
            }
            do {
                values[key] = try value(line[line.index(after: equals)...])
            } catch {
                throw ParseError(line: index + 1, message: error.message)
            }
        }
        return values
    }

    /// Reads and parses the env file at `path`.
    /// - Throws: ``ParseError`` (line 0 when the file cannot be read).
    package static func load(path: String) throws(ParseError) -> [String: String] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            throw ParseError(line: 0, message: "no such file")
        } catch {
            throw ParseError(line: 0, message: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(text)
    }

    private struct ValueError: Error {
        var message: String
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    private static func isValidKey(_ key: String) -> Bool {
        func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
        }
        guard let first = key.unicodeScalars.first, isLetter(first) else { return false }
        return key.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }

    /// The value after `=`.
    private static func value(_ raw: Substring) throws(ValueError) -> String {
        let text = raw.drop { $0 == " " || $0 == "\t" }
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            let end = text.range(of: " #")?.lowerBound ?? text.range(of: "\t#")?.lowerBound ?? text.endIndex
            return text[..<end].trimmingCharacters(in: .whitespaces)
        }
        var result = ""
        var index = text.index(after: text.startIndex)
        var closed = false
        while index < text.endIndex {
            let character = text[index]
            if character == quote {
                closed = true
                index = text.index(after: index)
                break
            }
            if quote == "\"" && character == "\\" {
                let next = text.index(after: index)
                guard next < text.endIndex else { break }
                switch text[next] {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                default: result.append(text[next])
                }
                index = text.index(after: next)
                continue
            }
            result.append(character)
            index = text.index(after: index)
        }
        guard closed else { throw ValueError(message: "unterminated \(quote) quote") }
        let rest = text[index...].trimmingCharacters(in: .whitespaces)
        guard rest.isEmpty || rest.hasPrefix("#") else {
            throw ValueError(message: "unexpected text after the closing quote")
        }
        return result
    }
}
