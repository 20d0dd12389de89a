import ATCore

extension MST {
    /// The longest MST key accepted, in bytes.
    package static let maxKeyLength = 1024

    /// The depth (layer) of a key: the number of leading zero bits of `sha256(key)`, in 2-bit steps (fanout 4).
    /// - Parameters:
    ///   - key: the key bytes (UTF-8 of the repo path).
    package static func layer(of key: some Collection<UInt8>) -> Int {
        var zeros = 0
        for byte in sha256(key) {
            if byte == 0 {
                zeros += 8
                continue
            }
            zeros += byte.leadingZeroBitCount
            break
        }
        return zeros / 2
    }

    /// The depth of a key given as a string.
    /// - Parameters:
    ///   - key: the repo path.
    package static func layer(of key: String) -> Int { layer(of: Array(key.utf8)) }

    /// The number of leading bytes two keys share.
    /// - Parameters:
    ///   - lhs: a key.
    ///   - rhs: another key.
    package static func commonPrefixLength(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Int {
        var count = 0
        for (a, b) in zip(lhs, rhs) {
            guard a == b else { break }
            count += 1
        }
        return count
    }

    /// Whether `key` is a valid repo path: `collection/rkey`, both parts non-empty, at most ``maxKeyLength`` bytes,
    /// only `A-Za-z0-9 . - _ : ~`, and neither part `.` nor `..`.
    /// - Parameters:
    ///   - key: the key bytes.
    package static func isValidKey(_ key: some Collection<UInt8>) -> Bool {
        guard !key.isEmpty, key.count <= maxKeyLength else { return false }
        var slashIndex: Int?
        var index = 0
        for byte in key {
            switch byte {
            case UInt8(ascii: "/"):
                guard slashIndex == nil else { return false }
                slashIndex = index
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: ":"), UInt8(ascii: "~"):
                break
            default:
                return false
            }
            index += 1
        }
        guard let slash = slashIndex, slash > 0, slash < key.count - 1 else { return false }
        let bytes = Array(key)
        for part in [bytes[..<slash], bytes[(slash + 1)...]]
        where part.elementsEqual(".".utf8) || part.elementsEqual("..".utf8) {
            return false
        }
        return true
    }

    /// Whether `key` is a valid repo path (see ``isValidKey(_:)-(some Collection<UInt8>)``).
    /// - Parameters:
    ///   - key: the repo path.
    package static func isValidKey(_ key: String) -> Bool { isValidKey(Array(key.utf8)) }

    /// Throws unless `key` is a valid repo path.
    /// - Parameters:
    ///   - key: the key bytes.
    static func validateKey(_ key: [UInt8]) throws(RepoError) {
        guard isValidKey(key) else { throw .invalidKey(String(decoding: key, as: UTF8.self)) }
    }
}

/// Byte-wise ordering of keys (shorter first on a shared prefix), as the MST sorts them.
@inline(__always)
func keyPrecedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    lhs.withUnsafeBufferPointer { a in
        rhs.withUnsafeBufferPointer { b in
            let n = min(a.count, b.count)
            for i in 0..<n where a[i] != b[i] { return a[i] < b[i] }
            return a.count < b.count
        }
    }
}
