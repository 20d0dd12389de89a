import ATCore

/// A small XML reader for S3 responses and writer for S3 request bodies.
///
/// S3 answers with simple documents (elements and text, no mixed content, no DTDs), so this parses just that:
/// elements (attributes skipped), text with the predefined and numeric entities, comments, processing instructions
/// and CDATA. Anything else is ``BlobStoreError/invalidResponse``.
struct S3XML: Sendable, Equatable {
    /// The element's local name (a namespace prefix is dropped).
    var name: String
    /// The concatenated text directly inside the element.
    var text: String
    /// The child elements, in order.
    var children: [S3XML]

    /// The first child named `name`.
    func child(_ name: String) -> S3XML? { children.first { $0.name == name } }

    /// All children named `name`.
    func children(_ name: String) -> [S3XML] { children.filter { $0.name == name } }

    /// The text of the first child named `name`.
    func text(of name: String) -> String? { child(name)?.text }

    // MARK: - Parsing

    /// Parses a document and returns its root element.
    static func parse(_ bytes: [UInt8]) throws(BlobStoreError) -> S3XML {
        var parser = Parser(bytes: bytes)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() throws(BlobStoreError) -> S3XML {
            var stack: [S3XML] = []
            var root: S3XML?
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "<") {
                    if starts(with: "<?") {
                        try skip(past: "?>")
                    } else if starts(with: "<!--") {
                        try skip(past: "-->")
                    } else if starts(with: "<![CDATA[") {
                        i += 9
                        let start = i
                        try skip(past: "]]>")
                        guard !stack.isEmpty else { throw .invalidResponse }
                        stack[stack.count - 1].text += String(decoding: bytes[start..<(i - 3)], as: UTF8.self)
                    } else if starts(with: "<!") {
                        try skip(past: ">")
                    } else if starts(with: "</") {
                        i += 2
                        let name = readName()
                        try skip(past: ">")
                        guard let element = stack.popLast(), element.name == localName(name) else {
                            throw .invalidResponse
                        }
                        if stack.isEmpty {
                            guard root == nil else { throw .invalidResponse }
                            root = element
                        } else {
                            stack[stack.count - 1].children.append(element)
                        }
                    } else {
                        i += 1
                        let name = readName()
                        guard !name.isEmpty else { throw .invalidResponse }
                        let selfClosing = try skipAttributes()
                        let element = S3XML(name: localName(name), text: "", children: [])
                        if selfClosing {
                            if stack.isEmpty {
                                guard root == nil else { throw .invalidResponse }
                                root = element
                            } else {
                                stack[stack.count - 1].children.append(element)
                            }
                        } else {
                            stack.append(element)
                        }
                    }
                } else {
                    let start = i
                    while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                    let text = try S3XML.unescape(bytes[start..<i])
                    if stack.isEmpty {
                        guard text.allSatisfy(\.isWhitespace) else { throw .invalidResponse }
                    } else {
                        stack[stack.count - 1].text += text
                    }
                }
            }
            guard stack.isEmpty, let root else { throw .invalidResponse }
            return root
        }

        func starts(with prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard i + count <= bytes.count else { return false }
            return prefix.withUTF8Buffer { p in (0..<count).allSatisfy { bytes[i + $0] == p[$0] } }
        }

        mutating func skip(past terminator: StaticString) throws(BlobStoreError) {
            while i < bytes.count {
                if starts(with: terminator) {
                    i += terminator.utf8CodeUnitCount
                    return
                }
                i += 1
            }
            throw .invalidResponse
        }

        mutating func readName() -> String {
            let start = i
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: ">") || c == UInt8(ascii: "/") || c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d {
                    break
                }
                i += 1
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        /// Skips to the end of a start tag; returns whether it was self-closing (`/>`).
        mutating func skipAttributes() throws(BlobStoreError) -> Bool {
            var quote: UInt8?
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    quote = c
                } else if c == UInt8(ascii: ">") {
                    return i >= 2 && bytes[i - 2] == UInt8(ascii: "/")
                }
            }
            throw .invalidResponse
        }

        func localName(_ name: String) -> String {
            guard let colon = name.lastIndex(of: ":") else { return name }
            return String(name[name.index(after: colon)...])
        }
    }

    private static func unescape(_ raw: ArraySlice<UInt8>) throws(BlobStoreError) -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i < raw.endIndex {
            guard raw[i] == UInt8(ascii: "&") else {
                out.append(raw[i])
                i += 1
                continue
            }
            guard let semicolon = raw[i...].firstIndex(of: UInt8(ascii: ";")), semicolon - i <= 10 else {
                throw .invalidResponse
            }
            let entity = String(decoding: raw[(i + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let value: UInt32?
                if entity.hasPrefix("#x") {
                    value = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    value = UInt32(entity.dropFirst())
                } else {
                    value = nil
                }
                guard let value, let scalar = Unicode.Scalar(value) else { throw .invalidResponse }
                out.append(contentsOf: Array(String(scalar).utf8))
            }
            i = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Writing

    /// Escapes text for element content.
    static func escape(_ text: String) -> String {
        escapeMarkup(text, apostrophe: .named)
    }
}
