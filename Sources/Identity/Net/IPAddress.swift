#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as raw bytes, with the classification the SSRF guard needs.
package struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    package let bytes: [UInt8]

    /// Wraps raw address bytes.
    /// - Parameters:
    ///   - bytes: 4 or 16 bytes.
    package init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses a textual IPv4 (`a.b.c.d`) or IPv6 address (brackets allowed, zone ids refused).
    /// - Parameters:
    ///   - string: the literal.
    package init?(_ string: some StringProtocol) {
        var text = String(string)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// Whether this is an IPv4 address.
    package var isIPv4: Bool { bytes.count == 4 }

    /// The canonical text form.
    package var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var copy = bytes
        let family = isIPv4 ? AF_INET : AF_INET6
        guard inet_ntop(family, &copy, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - Classification

    /// Whether the address is a globally routable unicast address: not loopback, private (RFC 1918, ULA), shared
    /// (CGNAT), link-local, multicast, broadcast, unspecified, documentation, benchmarking, reserved, or an IPv6
    /// form that embeds or tunnels to IPv4 (v4-mapped, v4-compatible, 6to4, Teredo; NAT64 is judged by the IPv4
    /// address it embeds).
    package var isPublicUnicast: Bool {
        isIPv4 ? Self.isPublicIPv4(bytes) : isPublicIPv6
    }

    private static func isPublicIPv4(_ b: [UInt8]) -> Bool {
        func within(_ prefix: [UInt8], _ length: Int) -> Bool { matches(b, prefix, length) }
        let blocked: [([UInt8], Int)] = [
            ([0, 0, 0, 0], 8),  // "this network", unspecified
            ([10, 0, 0, 0], 8),  // private
            ([100, 64, 0, 0], 10),  // shared address space (CGNAT)
            ([127, 0, 0, 0], 8),  // loopback
            ([169, 254, 0, 0], 16),  // link-local
            ([172, 16, 0, 0], 12),  // private
            ([192, 0, 0, 0], 24),  // IETF protocol assignments
            ([192, 0, 2, 0], 24),  // TEST-NET-1
            ([192, 88, 99, 0], 24),  // 6to4 relay anycast
            ([192, 168, 0, 0], 16),  // private
            ([198, 18, 0, 0], 15),  // benchmarking
            ([198, 51, 100, 0], 24),  // TEST-NET-2
            ([203, 0, 113, 0], 24),  // TEST-NET-3
            ([224, 0, 0, 0], 4),  // multicast
            ([240, 0, 0, 0], 4),  // reserved, and 255.255.255.255 broadcast
        ]
        return !blocked.contains { within($0.0, $0.1) }
    }

    private var isPublicIPv6: Bool {
        let b = bytes
        func within(_ prefix: [UInt8], _ length: Int) -> Bool { Self.matches(b, prefix, length) }
        // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address.
        if within([0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96) {
            return Self.isPublicIPv4(Array(b[12...]))
        }
        // Only global unicast (2000::/3) can be public; this excludes ::, ::1, v4-mapped and v4-compatible
        // addresses, discard-only, ULA (fc00::/7), link-local (fe80::/10), site-local and multicast (ff00::/8).
        guard b[0] & 0xe0 == 0x20 else { return false }
        let blocked: [([UInt8], Int)] = [
            ([0x20, 0x01, 0x00, 0x00], 23),  // IETF protocol assignments, incl. Teredo 2001::/32
            ([0x20, 0x01, 0x0d, 0xb8], 32),  // documentation
            ([0x20, 0x02], 16),  // 6to4
            ([0x3f, 0xff, 0x00], 20),  // documentation (RFC 9637)
        ]
        return !blocked.contains { within($0.0, $0.1) }
    }

    /// Whether the first `length` bits of `address` equal those of `prefix`.
    private static func matches(_ address: [UInt8], _ prefix: [UInt8], _ length: Int) -> Bool {
        var remaining = length
        var index = 0
        while remaining > 0 {
            let want = index < prefix.count ? prefix[index] : 0
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if address[index] & mask != want & mask { return false }
            remaining -= 8
            index += 1
        }
        return true
    }
}
