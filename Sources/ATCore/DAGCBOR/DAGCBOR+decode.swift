extension DAGCBOR {
    /// Decodes exactly one canonical DAG-CBOR value occupying all of `bytes`.
    /// - Parameters:
    ///   - bytes: the encoded block.
    ///   - maxDepth: the limit on nested arrays and maps.
    /// - Throws: `DataModelError.invalidCBOR` for anything that is not canonical atproto DAG-CBOR.
    package static func decode(_ bytes: some Collection<UInt8>, maxDepth: Int = DAGCBOR.maxDepth) throws(DataModelError)
        -> LexValue
    {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(DataModelError) in try decode(buffer: buffer, maxDepth: maxDepth) }
        }
        if let result { return try result.get() }
        return try decode(Array(bytes), maxDepth: maxDepth)
    }

    /// Decodes one canonical DAG-CBOR value at the start of `bytes`, which may continue after it (as in
    /// subscription frames, where a header is followed by a body).
    /// - Returns: the value and the number of bytes it occupies.
    package static func decodePrefix(_ bytes: some Collection<UInt8>, maxDepth: Int = DAGCBOR.maxDepth)
        throws(DataModelError) -> (value: LexValue, length: Int)
    {
        let array = Array(bytes)
        let result = array.withUnsafeBufferPointer { buffer in
            Result { () throws(DataModelError) in
                var reader = Reader(buffer: buffer, maxDepth: maxDepth)
                let value = try reader.readValue(depth: 0)
                return (value, reader.position)
            }
        }
        return try result.get()
    }

    static func decode(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) throws(DataModelError) -> LexValue {
        var reader = Reader(buffer: buffer, maxDepth: maxDepth)
        let value = try reader.readValue(depth: 0)
        guard reader.position == buffer.count else { throw .invalidCBOR("trailing bytes after value") }
        return value
    }

    /// A cursor over the input; every read checks the remaining length first.
    struct Reader {
        let buffer: UnsafeBufferPointer<UInt8>
        let maxDepth: Int
        var position = 0

        init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
            self.buffer = buffer
            self.maxDepth = maxDepth
        }

        var remaining: Int { buffer.count - position }

        @inline(__always)
        mutating func readByte() throws(DataModelError) -> UInt8 {
            guard position < buffer.count else { throw .invalidCBOR("unexpected end of input") }
            defer { position += 1 }
            return buffer[position]
        }

        @inline(__always)
        mutating func readBigEndian(_ count: Int) throws(DataModelError) -> UInt64 {
            guard remaining >= count else { throw .invalidCBOR("unexpected end of input") }
            var value: UInt64 = 0
            for i in 0..<count { value = value << 8 | UInt64(buffer[position + i]) }
            position += count
            return value
        }

        /// Reads a head and checks that its argument is minimally encoded and definite.
        @inline(__always)
        mutating func readHead() throws(DataModelError) -> (major: UInt8, info: UInt8, argument: UInt64) {
            let initial = try readByte()
            let major = initial >> 5
            let info = initial & 0x1f
            switch info {
            case 0..<24:
                return (major, info, UInt64(info))
            case 24:
                let v = try readBigEndian(1)
                // Simple values 24..31 in one extra byte are never valid in atproto; let the caller reject them.
                if v < 24 && major != 7 { throw .invalidCBOR("non-minimal integer encoding") }
                return (major, info, v)
            case 25:
                let v = try readBigEndian(2)
                if v <= 0xff && major != 7 { throw .invalidCBOR("non-minimal integer encoding") }
                return (major, info, v)
            case 26:
                let v = try readBigEndian(4)
                if v <= 0xffff && major != 7 { throw .invalidCBOR("non-minimal integer encoding") }
                return (major, info, v)
            case 27:
                let v = try readBigEndian(8)
                if v <= 0xffff_ffff && major != 7 { throw .invalidCBOR("non-minimal integer encoding") }
                return (major, info, v)
            case 31:
                throw .invalidCBOR("indefinite length items are not allowed")
            default:
                throw .invalidCBOR("reserved additional information \(info)")
            }
        }

        /// Checks a length against the remaining input (each item needs at least `unit` bytes) before use.
        @inline(__always)
        func checkedLength(_ argument: UInt64, unit: Int = 1) throws(DataModelError) -> Int {
            guard argument <= UInt64(remaining / unit) else { throw .invalidCBOR("length exceeds remaining input") }
            return Int(argument)
        }

        mutating func readValue(depth: Int) throws(DataModelError) -> LexValue {
            let (major, info, argument) = try readHead()
            switch major {
            case 0:
                guard argument <= UInt64(Int64.max) else { throw .invalidCBOR("integer out of Int64 range") }
                return .integer(Int64(argument))
            case 1:
                guard argument <= UInt64(Int64.max) else { throw .invalidCBOR("integer out of Int64 range") }
                return .integer(-1 - Int64(argument))
            case 2:
                let count = try checkedLength(argument)
                defer { position += count }
                return .bytes(Array(UnsafeBufferPointer(rebasing: buffer[position..<position + count])))
            case 3:
                return .string(try readText(argument))
            case 4:
                guard depth < maxDepth else { throw .invalidCBOR("nesting deeper than \(maxDepth)") }
                let count = try checkedLength(argument)
                var items: [LexValue] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try readValue(depth: depth + 1)) }
                return .array(items)
            case 5:
                guard depth < maxDepth else { throw .invalidCBOR("nesting deeper than \(maxDepth)") }
                return .map(try readMap(argument, depth: depth))
            case 6:
                guard argument == DAGCBOR.cidTag else { throw .invalidCBOR("unsupported tag \(argument)") }
                return .link(try readCID())
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                case 25, 26, 27: throw .invalidCBOR("floats are not allowed in the atproto data model")
                default: throw .invalidCBOR("unsupported simple value")
                }
            }
        }

        mutating func readText(_ argument: UInt64) throws(DataModelError) -> String {
            let count = try checkedLength(argument)
            if count == 0 { return "" }
            let slice = UnsafeBufferPointer(rebasing: buffer[position..<position + count])
            guard let string = String(validatedUTF8: slice) else {
                throw .invalidCBOR("string is not valid UTF-8")
            }
            position += count
            return string
        }

        mutating func readMap(_ argument: UInt64, depth: Int) throws(DataModelError) -> [String: LexValue] {
            let count = try checkedLength(argument, unit: 2)
            var map: [String: LexValue] = [:]
            map.reserveCapacity(count)
            var previousStart = 0
            var previousCount = -1
            for _ in 0..<count {
                let (major, _, keyArgument) = try readHead()
                guard major == 3 else { throw .invalidCBOR("map keys must be strings") }
                let keyCount = try checkedLength(keyArgument)
                let keyStart = position
                if previousCount >= 0 {
                    guard keyOrder(previousStart, previousCount, keyStart, keyCount) else {
                        throw .invalidCBOR("map keys not in canonical order or duplicated")
                    }
                }
                let key = try readText(keyArgument)
                previousStart = keyStart
                previousCount = keyCount
                // Swift compares strings by canonical equivalence, so byte-distinct keys can still collide.
                guard map.updateValue(try readValue(depth: depth + 1), forKey: key) == nil else {
                    throw .invalidCBOR("map keys are canonically equivalent Unicode strings")
                }
            }
            return map
        }

        /// Whether the key at `a` sorts strictly before the key at `b` (length first, then bytewise).
        @inline(__always)
        func keyOrder(_ aStart: Int, _ aCount: Int, _ bStart: Int, _ bCount: Int) -> Bool {
            if aCount != bCount { return aCount < bCount }
            for i in 0..<aCount {
                let x = buffer[aStart + i]
                let y = buffer[bStart + i]
                if x != y { return x < y }
            }
            return false
        }

        mutating func readCID() throws(DataModelError) -> CID {
            let (major, _, argument) = try readHead()
            guard major == 2 else { throw .invalidCBOR("tag 42 must wrap a byte string") }
            let count = try checkedLength(argument)
            guard count > 1, buffer[position] == 0 else { throw .invalidCBOR("CID link must start with 0x00") }
            let slice = UnsafeBufferPointer(rebasing: buffer[(position + 1)..<(position + count)])
            position += count
            do {
                return try CID(bytes: slice)
            } catch {
                throw .invalidCBOR("invalid CID in link: \(error)")
            }
        }
    }
}
