/// Keeps secrets out of log lines: the values of metadata keys that name a secret, and anything in a message or value
/// that looks like a JWT or an `Authorization` credential.
package enum LogRedaction {
    /// What replaces a redacted value.
    package static let placeholder = "[redacted]"

    /// Substrings of a metadata key (lower-cased) whose value is never logged.
    static let secretKeyParts = ["authorization", "password", "passwd", "token", "jwt", "secret", "cookie", "apikey"]

    /// Whether the value of metadata key `key` must not be logged.
    /// - Parameters:
    ///   - key: the metadata key.
    package static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeyParts.contains { hasBytes(lowered, $0) }
    }

    /// `metadata` with the values of secret keys replaced, and JWTs and credentials masked in the others.
    /// - Parameters:
    ///   - metadata: the metadata of a log line.
    package static func redact(_ metadata: [String: LogValue]) -> [String: LogValue] {
        var result: [String: LogValue] = [:]
        result.reserveCapacity(metadata.count)
        for (key, value) in metadata {
            result[key] = isSecretKey(key) ? .string(placeholder) : redact(value)
        }
        return result
    }

    /// `value` with JWTs and credentials masked (recursively).
    static func redact(_ value: LogValue) -> LogValue {
        switch value {
        case .string(let string): .string(redact(string))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let values): .dictionary(redact(values))
        }
    }

    /// `text` with every JWT-shaped run (`eyJ…​.…​.…`) and every `Bearer`/`Basic` credential masked.
    /// - Parameters:
    ///   - text: a message or a metadata value.
    package static func redact(_ text: String) -> String {
        guard hasBytes(text, "eyJ") || hasBytes(text, "Bearer ") || hasBytes(text, "Basic ") else { return text }
        var output = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("Bearer ") || rest.hasPrefix("Basic ") {
                let scheme = rest.hasPrefix("Bearer ") ? "Bearer " : "Basic "
                let afterScheme = rest.dropFirst(scheme.count)
                let credential = afterScheme.prefix(while: isCredentialCharacter)
                if !credential.isEmpty {
                    output += scheme + placeholder
                    rest = afterScheme.dropFirst(credential.count)
                    continue
                }
            }
            if rest.hasPrefix("eyJ") {
                let run = rest.prefix(while: { isBase64URL($0) || $0 == "." })
                if run.split(separator: ".", omittingEmptySubsequences: false).count >= 3 {
                    output += placeholder
                    rest = rest.dropFirst(run.count)
                    continue
                }
            }
            output.append(rest.removeFirst())
        }
        return output
    }

    /// Whether `text` contains `needle`, compared byte for byte in UTF-8. The access log runs this on every key and value
    /// of every line; the String-protocol `contains` goes through the generic string-processing algorithms and cost a
    /// measurable share of each request (bench-http, `--log-level info`).
    static func hasBytes(_ text: String, _ needle: String) -> Bool {
        var text = text
        var needle = needle
        return text.withUTF8 { haystack in
            needle.withUTF8 { pattern in
                guard let first = pattern.first else { return true }
                guard haystack.count >= pattern.count else { return false }
                var start = 0
                while start <= haystack.count - pattern.count {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < pattern.count && haystack[start + offset] == pattern[offset] { offset += 1 }
                        if offset == pattern.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    private static func isBase64URL(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }

    private static func isCredentialCharacter(_ character: Character) -> Bool {
        isBase64URL(character) || character == "." || character == "+" || character == "/" || character == "="
            || character == "~"
    }
}

/// A metadata value as the log handler writes it.
package indirect enum LogValue: Sendable, Equatable {
    case string(String)
    case array([LogValue])
    case dictionary([String: LogValue])
}
