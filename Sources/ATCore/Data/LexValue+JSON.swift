extension LexValue {
    /// Converts parsed JSON to the data model: `{"$link": cid}` becomes a link, `{"$bytes": base64}` bytes, numbers
    /// must be integers (an integral literal such as `123.0` is accepted), and the `$type`/blob rules apply.
    /// - Parameters:
    ///   - json: the parsed JSON.
    ///   - requireMap: whether the top level must be an object, as for records and other nodes.
    package init(json: JSONValue, requireMap: Bool = true) throws(DataModelError) {
        if requireMap, case .object = json {} else if requireMap {
            throw .invalidDataModel("top-level value must be an object")
        }
        self = try LexValue.convert(json)
    }

    /// Parses JSON text into the data model; see ``init(json:requireMap:)``.
    /// - Parameters:
    ///   - bytes: UTF-8 JSON.
    ///   - requireMap: whether the top level must be an object.
    package init(jsonBytes bytes: some Collection<UInt8>, requireMap: Bool = true) throws(DataModelError) {
        try self.init(json: try JSONValue(parsing: bytes), requireMap: requireMap)
    }

    private static func convert(_ json: JSONValue) throws(DataModelError) -> LexValue {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .number(let literal): return .integer(try integer(fromJSONLiteral: literal))
        case .array(let items):
            var out: [LexValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try convert(item)) }
            return .array(out)
        case .object(let members):
            if let link = members["$link"] {
                guard members.count == 1, case .string(let s) = link else {
                    throw .invalidDataModel("$link must be the only member and a string")
                }
                do { return .link(try CID(s)) } catch { throw .invalidDataModel("invalid CID in $link") }
            }
            if let bytes = members["$bytes"] {
                guard members.count == 1, case .string(let s) = bytes else {
                    throw .invalidDataModel("$bytes must be the only member and a string")
                }
                return .bytes(try Base64.decode(s))
            }
            var map: [String: LexValue] = [:]
            map.reserveCapacity(members.count)
            for (key, value) in members { map[key] = try convert(value) }
            try validateObjectRules(map)
            return .map(map)
        }
    }

    /// The exact Int64 value of a JSON number literal, or an error if it is fractional or out of range.
    static func integer(fromJSONLiteral literal: String) throws(DataModelError) -> Int64 {
        var utf8 = Substring(literal).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        var digits: [UInt8] = []
        var scale = 0
        var exponent = 0
        var seenDot = false
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let c = utf8[index]
            if c == UInt8(ascii: ".") {
                seenDot = true
            } else if c | 0x20 == UInt8(ascii: "e") {
                var expDigits = utf8[utf8.index(after: index)...]
                var expNegative = false
                if let sign = expDigits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                    expNegative = sign == UInt8(ascii: "-")
                    expDigits = expDigits.dropFirst()
                }
                for d in expDigits { exponent = min(exponent * 10 + Int(d - UInt8(ascii: "0")), 100_000) }
                if expNegative { exponent = -exponent }
                break
            } else {
                digits.append(c - UInt8(ascii: "0"))
                if seenDot { scale -= 1 }
            }
            index = utf8.index(after: index)
        }
        scale += exponent
        while scale < 0, digits.last == 0 {
            digits.removeLast()
            scale += 1
        }
        var magnitude: UInt64 = 0
        for d in digits {
            let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { throw .invalidDataModel("integer out of range") }
            magnitude = s
        }
        if magnitude == 0 { return 0 }
        guard scale >= 0 else { throw .invalidDataModel("floats are not allowed in the data model") }
        for _ in 0..<scale {
            let (m, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw .invalidDataModel("integer out of range") }
            magnitude = m
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .invalidDataModel("integer out of range") }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .invalidDataModel("integer out of range") }
        return Int64(magnitude)
    }

    // MARK: - Output

    /// The JSON form: links as `{"$link": …}`, bytes as `{"$bytes": …}` (unpadded base64).
    package var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .integer(let i): .number(String(i))
        case .string(let s): .string(s)
        case .bytes(let b): .object(["$bytes": .string(Base64.encode(b))])
        case .link(let cid): .object(["$link": .string(cid.description)])
        case .array(let items): .array(items.map(\.jsonValue))
        case .map(let map): .object(map.mapValues(\.jsonValue))
        }
    }

    /// Compact, deterministic JSON bytes (members sorted by name).
    package var jsonBytes: [UInt8] { jsonValue.serialized }

    /// Compact, deterministic JSON text.
    package var jsonString: String { jsonValue.serializedString }
}
