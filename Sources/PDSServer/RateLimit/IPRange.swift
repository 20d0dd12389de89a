import Identity

/// A set of IP addresses: one address, a CIDR block (`10.0.0.0/8`, `fd00::/8`), or one of Express's `trust proxy`
/// names (`loopback`, `linklocal`, `uniquelocal`), as `PDS_TRUSTED_PROXIES` and `PDS_RATE_LIMIT_BYPASS_IPS` list them.
///
/// IPv4 blocks also match IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`).
package struct IPRange: Sendable, Hashable, CustomStringConvertible {
    /// The block's first address (4 or 16 bytes).
    package let base: IPAddress
    /// The prefix length in bits.
    package let prefixLength: Int

    /// A CIDR block.
    /// - Parameters:
    ///   - base: the block's address.
    ///   - prefixLength: its prefix length (at most 32 for IPv4, 128 for IPv6).
    package init?(base: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= base.bytes.count * 8 else { return nil }
        self.base = base
        self.prefixLength = prefixLength
    }

    /// Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `addr/n`.
    /// - Parameters:
    ///   - string: the text.
    package init?(_ string: some StringProtocol) {
        let parts = string.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]).map(Self.unmapped) else { return nil }
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]) else { return nil }
            self.init(base: address, prefixLength: length)
        } else {
            self.init(base: address, prefixLength: address.bytes.count * 8)
        }
    }

    /// Whether `address` is in the block.
    /// - Parameters:
    ///   - address: an address (an IPv4-mapped IPv6 one counts as IPv4).
    package func contains(_ address: IPAddress) -> Bool {
        let address = Self.unmapped(address)
        guard address.bytes.count == base.bytes.count else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if address.bytes[index] & mask != base.bytes[index] & mask { return false }
            remaining -= 8
            index += 1
        }
        return true
    }

    package var description: String { "\(base)/\(prefixLength)" }

    /// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) carries, or `address` itself.
    /// - Parameters:
    ///   - address: an address.
    package static func unmapped(_ address: IPAddress) -> IPAddress {
        let b = address.bytes
        guard b.count == 16, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff else { return address }
        return IPAddress(bytes: Array(b[12...])) ?? address
    }

    // MARK: - Named sets

    /// The ranges Express's `trust proxy` names stand for: `loopback` (127.0.0.0/8, ::1), `linklocal`
    /// (169.254.0.0/16, fe80::/10) and `uniquelocal` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7).
    package static let named: [String: [IPRange]] = [
        "loopback": ["127.0.0.0/8", "::1/128"].compactMap { IPRange($0) },
        "linklocal": ["169.254.0.0/16", "fe80::/10"].compactMap { IPRange($0) },
        "uniquelocal": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"].compactMap { IPRange($0) },
    ]

    /// Parses a list entry: an address, a CIDR block, or a name from ``named``.
    /// - Parameters:
    ///   - entry: the entry.
    /// - Returns: its ranges, or `nil` when it is none of those.
    package static func parseEntry(_ entry: String) -> [IPRange]? {
        if let ranges = named[entry.lowercased()] { return ranges }
        return IPRange(entry).map { [$0] }
    }
}

extension Array where Element == IPRange {
    /// Whether any range holds `address`.
    /// - Parameters:
    ///   - address: an address.
    package func contains(_ address: IPAddress) -> Bool {
        contains { $0.contains(address) }
    }
}
