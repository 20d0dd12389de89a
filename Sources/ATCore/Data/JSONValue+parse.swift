extension JSONValue {
    /// The default limit on nested arrays and objects when parsing.
    package static let maxDepth = 128

    /// Parses one strict RFC 8259 JSON text (surrounding whitespace allowed, nothing else).
    /// - Parameters:
    ///   - bytes: UTF-8 JSON.
    ///   - maxDepth: the limit on nested arrays and objects.
    package init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONValue.maxDepth) throws(DataModelError) {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(DataModelError) in
                var parser = JSONParser(buffer: buffer, maxDepth: maxDepth)
                parser.skipWhitespace()
                let value = try parser.parseValue(depth: 0)
                parser.skipWhitespace()
                guard parser.position == buffer.count else { throw parser.fail("unexpected text after the JSON value") }
                return value
            }
        }
        if let result {
            self = try result.get()
        } else {
            try self.init(parsing: Array(bytes), maxDepth: maxDepth)
        }
    }

    /// Parses a JSON string.
    /// - Parameters:
    ///   - text: the JSON text.
    package init(parsing text: String) throws(DataModelError) {
        try self.init(parsing: Array(text.utf8))
    }
}

/// A strict recursive-descent JSON parser over a byte buffer.
struct JSONParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    func fail(_ message: String) -> DataModelError {
        .invalidJSON("\(message) at offset \(position)")
    }

    mutating func skipWhitespace() {
        while position < buffer.count {
            switch buffer[position] {
            case 0x20, 0x09, 0x0a, 0x0d: position += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: StaticString) throws(DataModelError) {
        let count = literal.utf8CodeUnitCount
        guard buffer.count - position >= count else { throw fail("unexpected end of input") }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for i in 0..<count where buffer[position + i] != expected[i] { throw fail("invalid literal") }
        position += count
    }

    mutating func parseValue(depth: Int) throws(DataModelError) -> JSONValue {
        guard position < buffer.count else { throw fail("unexpected end of input") }
        switch buffer[position] {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw fail("nesting too deep") }
            return try parseObject(depth: depth)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw fail("nesting too deep") }
            return try parseArray(depth: depth)
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        default:
            throw fail("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(DataModelError) -> JSONValue {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < buffer.count && buffer[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else { throw fail("expected member name") }
            let key = try parseString()
            skipWhitespace()
            guard position < buffer.count, buffer[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            guard members.updateValue(value, forKey: key) == nil else { throw fail("duplicate member name") }
            skipWhitespace()
            guard position < buffer.count else { throw fail("unexpected end of input") }
            let c = buffer[position]
            position += 1
            if c == UInt8(ascii: "}") { return .object(members) }
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
        }
    }

    private mutating func parseArray(depth: Int) throws(DataModelError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if position < buffer.count && buffer[position] == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < buffer.count else { throw fail("unexpected end of input") }
            let c = buffer[position]
            position += 1
            if c == UInt8(ascii: "]") { return .array(items) }
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
        }
    }

    private mutating func digits() -> Int {
        let start = position
        while position < buffer.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(buffer[position]) { position += 1 }
        return position - start
    }

    private mutating func parseNumber() throws(DataModelError) -> String {
        let start = position
        if buffer[position] == UInt8(ascii: "-") { position += 1 }
        guard position < buffer.count else { throw fail("truncated number") }
        if buffer[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw fail("invalid number")
        }
        if position < buffer.count, buffer[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail("invalid number fraction") }
        }
        if position < buffer.count, buffer[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < buffer.count, buffer[position] == UInt8(ascii: "+") || buffer[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else { throw fail("invalid number exponent") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
    }

    private mutating func hex4() throws(DataModelError) -> UInt32 {
        guard buffer.count - position >= 4 else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = buffer[position]
            position += 1
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    mutating func parseString() throws(DataModelError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes.
        while position < buffer.count {
            let c = buffer[position]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<position])
                position += 1
                if slice.isEmpty { return "" }
                guard let s = String(validatedUTF8: slice) else { throw fail("invalid UTF-8") }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character in string") }
            position += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buffer[start..<position]))
        while true {
            guard position < buffer.count else { throw fail("unterminated string") }
            let c = buffer[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                let s = bytes.withUnsafeBufferPointer { String(validatedUTF8: $0) }
                guard let s else { throw fail("invalid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard position < buffer.count else { throw fail("unterminated escape") }
                let e = buffer[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0c)
                case UInt8(ascii: "n"): bytes.append(0x0a)
                case UInt8(ascii: "r"): bytes.append(0x0d)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar) {
                        guard buffer.count - position >= 6, buffer[position] == UInt8(ascii: "\\"),
                            buffer[position + 1] == UInt8(ascii: "u")
                        else { throw fail("unpaired surrogate") }
                        position += 2
                        let low = try hex4()
                        guard (0xdc00..<0xe000).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if (0xdc00..<0xe000).contains(scalar) {
                        throw fail("unpaired surrogate")
                    }
                    bytes.append(contentsOf: Unicode.Scalar(scalar)!.utf8)
                default:
                    throw fail("invalid escape")
                }
            default:
                if c < 0x20 { throw fail("control character in string") }
                bytes.append(c)
            }
        }
    }
}
