extension DAGCBOR {
    /// Encodes a value canonically.
    /// - Parameters:
    ///   - value: the value to encode.
    package static func encode(_ value: LexValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(value, into: &out)
        return out
    }

    /// Appends the canonical encoding of a value.
    /// - Parameters:
    ///   - value: the value to encode.
    ///   - out: the buffer to append to.
    package static func encode(_ value: LexValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(0xf6)
        case .bool(let b):
            out.append(b ? 0xf5 : 0xf4)
        case .integer(let i):
            if i >= 0 {
                writeHead(.unsigned, UInt64(i), into: &out)
            } else {
                writeHead(.negative, UInt64(bitPattern: -1 - i), into: &out)
            }
        case .string(let s):
            writeString(s, into: &out)
        case .bytes(let b):
            writeHead(.bytes, UInt64(b.count), into: &out)
            out.append(contentsOf: b)
        case .link(let cid):
            writeLink(cid, into: &out)
        case .array(let items):
            writeHead(.array, UInt64(items.count), into: &out)
            for item in items { encode(item, into: &out) }
        case .map(let map):
            writeHead(.map, UInt64(map.count), into: &out)
            if map.count == 1, let (key, item) = map.first {
                writeString(key, into: &out)
                encode(item, into: &out)
                return
            }
            for (key, item) in map.sorted(by: { keyPrecedes($0.key, $1.key) }) {
                writeString(key, into: &out)
                encode(item, into: &out)
            }
        }
    }

    @inline(__always)
    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            writeHead(.text, UInt64(utf8.count), into: &out)
            out.append(contentsOf: utf8)
        }
    }

    @inline(__always)
    static func writeLink(_ cid: CID, into out: inout [UInt8]) {
        out.append(0xd8)
        out.append(UInt8(cidTag))
        writeHead(.bytes, UInt64(cid.bytes.count + 1), into: &out)
        out.append(0)
        out.append(contentsOf: cid.bytes)
    }

    /// Appends a head with the smallest argument encoding.
    @inline(__always)
    static func writeHead(_ major: Major, _ argument: UInt64, into out: inout [UInt8]) {
        let m = major.rawValue << 5
        switch argument {
        case 0..<24:
            out.append(m | UInt8(argument))
        case 24...0xff:
            out.append(m | 24)
            out.append(UInt8(argument))
        case 0x100...0xffff:
            out.append(m | 25)
            out.append(UInt8(truncatingIfNeeded: argument >> 8))
            out.append(UInt8(truncatingIfNeeded: argument))
        case 0x1_0000...0xffff_ffff:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        }
    }
}

// MARK: - Direct encoding

extension DAGCBOR {
    /// Appends a map or array head; the caller appends the entries (map keys in canonical order).
    /// - Parameters:
    ///   - count: the number of entries.
    ///   - isMap: a map head (else an array head).
    ///   - out: the output.
    @inline(__always)
    package static func appendHead(count: Int, isMap: Bool, into out: inout [UInt8]) {
        writeHead(isMap ? .map : .array, UInt64(count), into: &out)
    }

    /// Appends a text string.
    @inline(__always)
    package static func appendText(_ text: String, into out: inout [UInt8]) { writeString(text, into: &out) }

    /// Appends a byte string.
    @inline(__always)
    package static func appendBytes(_ bytes: some Collection<UInt8>, into out: inout [UInt8]) {
        writeHead(.bytes, UInt64(bytes.count), into: &out)
        out.append(contentsOf: bytes)
    }

    /// Appends an unsigned integer.
    @inline(__always)
    package static func appendUnsigned(_ value: UInt64, into out: inout [UInt8]) { writeHead(.unsigned, value, into: &out) }

    /// Appends a CID link, or `null` for `nil`.
    @inline(__always)
    package static func appendLink(_ cid: CID?, into out: inout [UInt8]) {
        if let cid { writeLink(cid, into: &out) } else { out.append(0xf6) }
    }
}
