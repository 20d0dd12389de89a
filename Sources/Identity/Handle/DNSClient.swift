import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small stub resolver for TXT records: one recursive query over UDP to each nameserver in turn, retried over
/// TCP when the answer is truncated, all within one deadline.
///
/// The socket work is blocking POSIX I/O with `poll()` timeouts, run on the `BlockingLookups` thread pool so it never
/// occupies the cooperative pool.
package struct DNSClient: Sendable {
    /// The nameservers, tried in order until one answers (NOERROR or NXDOMAIN).
    package var nameservers: [DNSServerAddress]
    /// The deadline for the whole lookup.
    package var timeout: Duration

    /// Creates a client.
    /// - Parameters:
    ///   - nameservers: the servers to ask (default: `/etc/resolv.conf`).
    ///   - timeout: the overall deadline.
    package init(nameservers: [DNSServerAddress] = DNSServerAddress.system(), timeout: Duration = .seconds(3)) {
        self.nameservers = nameservers
        self.timeout = timeout
    }

    /// The TXT values of `name` (each record's strings concatenated); empty when the name or record does not exist.
    /// - Parameters:
    ///   - name: the domain name.
    /// - Throws: `IdentityError.timedOut` when no server answered in time, `.dns` when every server failed.
    package func txt(_ name: String) async throws -> [String] {
        let servers = nameservers
        let deadline = ContinuousClock.now + timeout
        let query = try DNSMessage.query(id: 0, name: name, type: DNSMessage.typeTXT)
        return try await BlockingLookups.pool.runIfActive {
            var lastError = IdentityError.dns("no nameservers configured")
            for server in servers {
                do {
                    let response = try Self.lookup(query: query, server: server, deadline: deadline)
                    switch response.rcode {
                    case 0:
                        return try response.answers.filter { $0.type == DNSMessage.typeTXT }.map {
                            (answer) throws(IdentityError) in try DNSMessage.txtValue(answer.data)
                        }
                    case 3:
                        return []
                    default:
                        lastError = .dns("\(server) answered rcode \(response.rcode) for \(name)")
                    }
                } catch let error as IdentityError {
                    lastError = error
                    if case .timedOut = error { break }
                }
            }
            throw lastError
        }
    }

    // MARK: - Transport (blocking)

    /// One exchange with one server: UDP, then TCP if truncated.
    static func lookup(query: [UInt8], server: DNSServerAddress, deadline: ContinuousClock.Instant) throws
        -> DNSMessage.Response
    {
        var query = query
        let id = UInt16.random(in: 0...UInt16.max)
        query[0] = UInt8(id >> 8)
        query[1] = UInt8(id & 0xff)
        let response = try exchangeUDP(query, id: id, server: server, deadline: deadline)
        guard response.truncated else { return response }
        let viaTCP = try exchangeTCP(query, server: server, deadline: deadline)
        guard viaTCP.id == id else { throw IdentityError.dns("TCP response id mismatch from \(server)") }
        return viaTCP
    }

    static func exchangeUDP(_ query: [UInt8], id: UInt16, server: DNSServerAddress, deadline: ContinuousClock.Instant)
        throws -> DNSMessage.Response
    {
        let socket = try Socket(server: server, datagram: true, deadline: deadline)
        defer { socket.closeSocket() }
        try socket.sendAll(query, deadline: deadline)
        while true {
            var buffer = [UInt8](repeating: 0, count: 65_535)
            let count = try socket.receive(into: &buffer, deadline: deadline)
            // The socket is connected, so only the server's datagrams arrive; still ignore stray ids.
            guard let response = try? DNSMessage.parse(Array(buffer[0..<count])), response.id == id else { continue }
            return response
        }
    }

    static func exchangeTCP(_ query: [UInt8], server: DNSServerAddress, deadline: ContinuousClock.Instant) throws
        -> DNSMessage.Response
    {
        let socket = try Socket(server: server, datagram: false, deadline: deadline)
        defer { socket.closeSocket() }
        try socket.sendAll([UInt8(query.count >> 8), UInt8(query.count & 0xff)] + query, deadline: deadline)
        let prefix = try socket.receiveExactly(2, deadline: deadline)
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        return try DNSMessage.parse(socket.receiveExactly(length, deadline: deadline))
    }

    /// A connected, non-blocking socket whose operations wait with `poll()` until a deadline.
    struct Socket {
        let fd: Int32
        let server: DNSServerAddress

        init(server: DNSServerAddress, datagram: Bool, deadline: ContinuousClock.Instant) throws {
            self.server = server
            let family = server.ip.isIPv4 ? AF_INET : AF_INET6
            #if canImport(Darwin)
                let type = datagram ? SOCK_DGRAM : SOCK_STREAM
            #else
                let type = Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
            #endif
            fd = socket(family, type, 0)
            guard fd >= 0 else { throw IdentityError.network("socket() failed: errno \(errno)") }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let result = Self.withSockaddr(server) { address, length in connect(fd, address, length) }
            if result != 0 {
                guard errno == EINPROGRESS else {
                    let code = errno
                    closeFD(fd)
                    throw IdentityError.network("connect to \(server) failed: errno \(code)")
                }
                do {
                    try wait(for: Int16(POLLOUT), deadline: deadline)
                } catch {
                    closeFD(fd)
                    throw error
                }
                var socketError: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &size)
                if socketError != 0 {
                    closeFD(fd)
                    throw IdentityError.network("connect to \(server) failed: errno \(socketError)")
                }
            }
        }

        func closeSocket() { closeFD(fd) }

        /// Waits until the socket is ready for `events`, or throws `.timedOut` at the deadline.
        func wait(for events: Int16, deadline: ContinuousClock.Instant) throws {
            while true {
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else { throw IdentityError.timedOut("DNS query to \(server)") }
                let (seconds, attoseconds) = remaining.components
                let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
                var descriptor = pollfd(fd: fd, events: events, revents: 0)
                let ready = poll(&descriptor, 1, milliseconds)
                if ready > 0 { return }
                if ready < 0 && errno != EINTR { throw IdentityError.network("poll failed: errno \(errno)") }
            }
        }

        func sendAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
            var sent = 0
            while sent < bytes.count {
                try wait(for: Int16(POLLOUT), deadline: deadline)
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    throw IdentityError.network("send to \(server) failed: errno \(errno)")
                }
                sent += n
            }
        }

        func receive(into buffer: inout [UInt8], deadline: ContinuousClock.Instant) throws -> Int {
            while true {
                try wait(for: Int16(POLLIN), deadline: deadline)
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    throw IdentityError.network("receive from \(server) failed: errno \(errno)")
                }
                return n
            }
        }

        func receiveExactly(_ count: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
            var out: [UInt8] = []
            while out.count < count {
                var buffer = [UInt8](repeating: 0, count: count - out.count)
                let n = try receive(into: &buffer, deadline: deadline)
                guard n > 0 else { throw IdentityError.dns("connection to \(server) closed early") }
                out.append(contentsOf: buffer[0..<n])
            }
            return out
        }

        static func withSockaddr<T>(_ server: DNSServerAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T
        {
            if server.ip.isIPv4 {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = server.port.bigEndian
                withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: server.ip.bytes) }
                return withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = server.port.bigEndian
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: server.ip.bytes) }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}

/// `close(2)`, named apart from any `close()` method.
private func closeFD(_ fd: Int32) {
    _ = close(fd)
}
