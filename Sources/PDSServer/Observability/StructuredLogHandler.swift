import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The log handler `pds serve` installs: one line per event, logfmt by default or JSON (`LOG_FORMAT=json`), with the
/// timestamp, level, label, message and metadata (the request id included, through ``RequestLogContext``), secrets
/// redacted (``LogRedaction``).
///
/// logfmt: `ts=2026-01-01T00:00:00.000Z level=info label=pds msg="Starting PDS" pds.devMode=true`.
/// JSON: `{"timestamp":"…","level":"info","label":"pds","message":"Starting PDS","metadata":{"pds.devMode":"true"}}`.
package struct StructuredLogHandler: LogHandler {
    /// The line format.
    package enum Format: String, Sendable {
        case logfmt
        case json

        /// `LOG_FORMAT`: `json`, else logfmt.
        package init(environment value: String?) {
            self = value?.lowercased() == "json" ? .json : .logfmt
        }
    }

    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let format: Format
    private let output: @Sendable (String) -> Void

    /// A handler.
    /// - Parameters:
    ///   - label: the logger's label.
    ///   - format: the line format.
    ///   - metadataProvider: adds metadata to every line (the request id).
    ///   - output: where each line goes (with its newline); standard output by default.
    package init(
        label: String, format: Format, metadataProvider: Logger.MetadataProvider? = nil,
        output: @escaping @Sendable (String) -> Void = StandardOutput.write
    ) {
        self.label = label
        self.format = format
        self.metadataProvider = metadataProvider
        self.output = output
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let line = Self.format(
            format, timestamp: Self.timestamp(), level: event.level, label: label,
            message: LogRedaction.redact(event.message.description),
            metadata: LogRedaction.redact(merged.mapValues(Self.value)))
        output(line)
    }

    /// One line (with its newline).
    package static func format(
        _ format: Format, timestamp: String, level: Logger.Level, label: String, message: String,
        metadata: [String: LogValue]
    ) -> String {
        switch format {
        case .json:
            var line = #"{"timestamp":"# + jsonString(timestamp) + #","level":"# + jsonString(level.rawValue)
            line += #","label":"# + jsonString(label) + #","message":"# + jsonString(message)
            line += #","metadata":"# + json(.dictionary(metadata)) + "}\n"
            return line
        case .logfmt:
            var line = "ts=\(timestamp) level=\(level.rawValue) label=\(logfmtValue(label)) msg=\(logfmtValue(message))"
            for key in metadata.keys.sorted() {
                line += " \(logfmtKey(key))=\(logfmtValue(flat(metadata[key]!)))"
            }
            return line + "\n"
        }
    }

    // MARK: - Values

    private static func value(_ value: Logger.Metadata.Value) -> LogValue {
        switch value {
        case .string(let string): .string(string)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(Self.value))
        case .dictionary(let values): .dictionary(values.mapValues(Self.value))
        }
    }

    private static func flat(_ value: LogValue) -> String {
        switch value {
        case .string(let string): string
        case .array(let values): "[" + values.map(flat).joined(separator: ", ") + "]"
        case .dictionary(let values):
            "[" + values.keys.sorted().map { "\($0): \(flat(values[$0]!))" }.joined(separator: ", ") + "]"
        }
    }

    // MARK: - JSON

    private static func json(_ value: LogValue) -> String {
        switch value {
        case .string(let string): return jsonString(string)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.keys.sorted().map { jsonString($0) + ":" + json(values[$0]!) }.joined(separator: ",")
                + "}"
        }
    }

    /// `string` as a JSON string literal.
    static func jsonString(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: - logfmt

    /// A logfmt key: characters other than letters, digits and `._-/` become `_`.
    static func logfmtKey(_ key: String) -> String {
        let cleaned = String(
            key.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) ? $0 : "_" })
        return cleaned.isEmpty ? "_" : cleaned
    }

    /// A logfmt value: bare when it has no space, `=`, quote or control character, else quoted with escapes.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 }
        guard needsQuotes else { return value }
        return jsonString(value)
    }

    // MARK: - Time

    /// Now as RFC 3339 UTC with milliseconds.
    static func timestamp() -> String {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(milliseconds % 1000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}

/// Standard output, one whole line per write (lines from concurrent tasks never interleave).
package enum StandardOutput {
    private static let lock = Mutex(())

    /// Writes `line` to standard output.
    @Sendable package static func write(_ line: String) {
        var bytes = Array(line.utf8)
        guard !bytes.isEmpty else { return }
        lock.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    systemWrite(buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// `write(2)` to standard output.
private func systemWrite(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(1, pointer, count)
    #else
        Darwin.write(1, pointer, count)
    #endif
}
