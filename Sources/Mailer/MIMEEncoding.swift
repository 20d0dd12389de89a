import Foundation

/// The encodings a message's headers and bodies need: RFC 2047 encoded words, quoted-printable (RFC 2045 §6.7) and
/// the RFC 5322 date.
package enum MIMEEncoding {
    /// A header value as is when it is printable ASCII and fits the line, else as UTF-8 `B` encoded words (each at
    /// most 75 characters, split on character boundaries) folded onto continuation lines.
    /// - Parameters:
    ///   - value: the header's text.
    ///   - headerNameLength: the length of `Name: ` before it (for the first line's budget).
    package static func encodedHeaderValue(_ value: String, headerNameLength: Int) -> String {
        let printable = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if printable && value.utf8.count + headerNameLength <= 78 && !value.contains("=?") { return value }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 45 bytes → 60 base64 characters + 12 for `=?UTF-8?B?` and `?=`.
        for character in value {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// `text` in quoted-printable with CRLF line ends: bytes other than printable ASCII (and `=`) as `=XX`, a space
    /// or tab ending a line encoded, lines longer than 76 characters broken with soft breaks.
    package static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map { line -> String in
            let bytes = Array(line.utf8)
            var output: [UInt8] = []
            var lineLength = 0
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                var token: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last) {
                    token = [byte]
                } else {
                    token = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
                // Keep room for a soft break's `=` unless this is the line's last token.
                let limit = last ? 76 : 75
                if lineLength + token.count > limit {
                    output += Array("=\r\n".utf8)
                    lineLength = 0
                }
                output += token
                lineLength += token.count
            }
            return String(decoding: output, as: UTF8.self)
        }.joined(separator: "\r\n")
    }

    /// The RFC 5322 date, for example `Thu, 03 Dec 2026 06:00:00 +0000`.
    package static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
