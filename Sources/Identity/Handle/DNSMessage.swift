/// The parts of the DNS wire format (RFC 1035) a TXT lookup needs: building a query and reading the answers.
package enum DNSMessage {
    /// The TXT record type.
    package static let typeTXT: UInt16 = 16
    /// The CNAME record type.
    package static let typeCNAME: UInt16 = 5
    /// The Internet class.
    package static let classIN: UInt16 = 1

    /// A parsed response.
    package struct Response: Sendable, Equatable {
        /// The transaction id.
        package var id: UInt16
        /// Whether the answer was truncated (TC): retry over TCP.
        package var truncated: Bool
        /// The response code: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED…
        package var rcode: UInt8
        /// The answer records: type and raw rdata.
        package var answers: [(type: UInt16, data: [UInt8])]

        package static func == (lhs: Response, rhs: Response) -> Bool {
            lhs.id == rhs.id && lhs.truncated == rhs.truncated && lhs.rcode == rhs.rcode
                && lhs.answers.map(\.type) == rhs.answers.map(\.type)
                && lhs.answers.map(\.data) == rhs.answers.map(\.data)
        }
    }

    /// Encodes a recursive query for one name.
    /// - Parameters:
    ///   - id: the transaction id.
    ///   - name: the domain name (a trailing dot is allowed).
    ///   - type: the record type.
    /// - Throws: `IdentityError.dns` when a label is empty or longer than 63 bytes, or the name exceeds 255.
    package static func query(id: UInt16, name: String, type: UInt16) throws(IdentityError) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        out.append(contentsOf: try encodeName(name))
        out.append(contentsOf: [UInt8(type >> 8), UInt8(type & 0xff), 0, UInt8(classIN)])
        return out
    }

    /// Encodes a domain name as length-prefixed labels.
    package static func encodeName(_ name: String) throws(IdentityError) -> [UInt8] {
        var trimmed = Substring(name)
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        var out: [UInt8] = []
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(label.utf8)
            guard (1...63).contains(bytes.count) else { throw .dns("invalid label in \(name)") }
            out.append(UInt8(bytes.count))
            out.append(contentsOf: bytes)
        }
        out.append(0)
        guard out.count <= 255 else { throw .dns("name too long: \(name)") }
        return out
    }

    /// Parses a response message.
    /// - Parameters:
    ///   - bytes: the message (without the TCP length prefix).
    /// - Throws: `IdentityError.dns` when the message is not a well-formed response.
    package static func parse(_ bytes: [UInt8]) throws(IdentityError) -> Response {
        var reader = Reader(bytes: bytes)
        let id = try reader.u16()
        let flags = try reader.u16()
        guard flags & 0x8000 != 0 else { throw .dns("not a response") }
        let questions = try reader.u16()
        let answerCount = try reader.u16()
        _ = try reader.u16()  // authority
        _ = try reader.u16()  // additional
        for _ in 0..<questions {
            try reader.skipName()
            _ = try reader.u16()
            _ = try reader.u16()
        }
        var answers: [(type: UInt16, data: [UInt8])] = []
        for _ in 0..<answerCount {
            try reader.skipName()
            let type = try reader.u16()
            let recordClass = try reader.u16()
            _ = try reader.u32()  // ttl
            let length = Int(try reader.u16())
            let data = try reader.take(length)
            if recordClass == classIN { answers.append((type, data)) }
        }
        return Response(
            id: id, truncated: flags & 0x0200 != 0, rcode: UInt8(flags & 0x000f), answers: answers)
    }

    /// The character-strings of a TXT record's rdata, concatenated (long values are split into 255-byte chunks).
    /// - Parameters:
    ///   - data: the rdata.
    package static func txtValue(_ data: [UInt8]) throws(IdentityError) -> String {
        var reader = Reader(bytes: data)
        var out: [UInt8] = []
        while !reader.atEnd {
            let length = Int(try reader.u8())
            out.append(contentsOf: try reader.take(length))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A bounds-checked cursor.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset >= bytes.count }

        mutating func u8() throws(IdentityError) -> UInt8 {
            guard offset < bytes.count else { throw .dns("truncated message") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16() throws(IdentityError) -> UInt16 {
            UInt16(try u8()) << 8 | UInt16(try u8())
        }

        mutating func u32() throws(IdentityError) -> UInt32 {
            UInt32(try u16()) << 16 | UInt32(try u16())
        }

        mutating func take(_ count: Int) throws(IdentityError) -> [UInt8] {
            guard count >= 0, offset + count <= bytes.count else { throw .dns("truncated message") }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }

        /// Skips a possibly compressed name; a pointer ends the name in place.
        mutating func skipName() throws(IdentityError) {
            while true {
                let length = try u8()
                switch length & 0xc0 {
                case 0xc0:
                    _ = try u8()
                    return
                case 0x00:
                    if length == 0 { return }
                    _ = try take(Int(length))
                default:
                    throw .dns("invalid label type")
                }
            }
        }
    }
}
