import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves host names with the system resolver (`getaddrinfo`), off the cooperative thread pool.
package enum HostResolver {
    /// The addresses of `host`, in the system's preference order, without duplicates.
    /// - Parameters:
    ///   - host: a host name or address literal.
    /// - Throws: `IdentityError.network` when the name does not resolve.
    package static func addresses(of host: String) async throws -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        return try await BlockingLookups.pool.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Darwin)
                hints.ai_socktype = SOCK_STREAM
            #else
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #endif
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0, let first = result else {
                throw IdentityError.network("could not resolve \(host): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(first) }
            var out: [IPAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let entry = cursor {
                if let address = entry.pointee.ai_addr, let ip = Self.ipAddress(address), !out.contains(ip) {
                    out.append(ip)
                }
                cursor = entry.pointee.ai_next
            }
            return out
        }
    }

    private static func ipAddress(_ address: UnsafeMutablePointer<sockaddr>) -> IPAddress? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                var addr = v4.pointee.sin_addr
                return IPAddress(bytes: withUnsafeBytes(of: &addr) { Array($0) })
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var addr = v6.pointee.sin6_addr
                return IPAddress(bytes: withUnsafeBytes(of: &addr) { Array($0) })
            }
        default:
            return nil
        }
    }
}
