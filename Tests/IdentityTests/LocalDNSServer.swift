import Foundation
import Synchronization

@testable import Identity

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny authoritative DNS server for tests, on 127.0.0.1 (UDP and TCP on the same port).
///
/// It answers TXT queries from ``records``; names in ``truncatedOverUDP`` get an empty truncated (TC) answer over
/// UDP, so the client must retry over TCP; names in ``silent`` are never answered; unknown names get NXDOMAIN;
/// with ``servfail`` every query gets SERVFAIL.
final class LocalDNSServer: Sendable {
    let port: UInt16
    let records: [String: [[String]]]
    let truncatedOverUDP: Set<String>
    let silent: Set<String>
    let servfail: Bool
    private let udp: Int32
    private let tcp: Int32
    private let stopped = Atomic<Bool>(false)
    private let queries = Mutex<[String]>([])

    init(
        records: [String: [[String]]], truncatedOverUDP: Set<String> = [], silent: Set<String> = [],
        servfail: Bool = false
    ) throws {
        self.servfail = servfail
        self.records = records
        self.truncatedOverUDP = truncatedOverUDP
        self.silent = silent
        // The UDP port is the kernel's choice; the same TCP port may be taken meanwhile, so both are tried again
        // with another port until they bind together.
        var bound: (udp: Int32, tcp: Int32, port: UInt16)?
        for _ in 0..<20 where bound == nil {
            bound = Self.bindPair()
        }
        guard let (udp, tcp, port) = bound else {
            throw IdentityError.network("test DNS server could not bind TCP")
        }
        self.udp = udp
        self.tcp = tcp
        self.port = port
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// A UDP socket on a free loopback port and a listening TCP socket on the same port, or `nil` when the TCP one
    /// could not bind.
    private static func bindPair() -> (udp: Int32, tcp: Int32, port: UInt16)? {
        let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(udp, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(udp, $0, &length) }
        }
        let port = UInt16(bigEndian: bound.sin_port)
        let tcp = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        address.sin_port = port.bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(tcp, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0, listen(tcp, 8) == 0 else {
            close(udp)
            close(tcp)
            return nil
        }
        return (udp, tcp, port)
    }

    var address: DNSServerAddress { DNSServerAddress(ip: IPAddress("127.0.0.1")!, port: port) }

    /// The names asked so far.
    var askedNames: [String] { queries.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    deinit {
        close(udp)
        close(tcp)
    }

    private func serve() {
        while !stopped.load(ordering: .relaxed) {
            var descriptors = [
                pollfd(fd: udp, events: Int16(POLLIN), revents: 0), pollfd(fd: tcp, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&descriptors, 2, 50) > 0 else { continue }
            if descriptors[0].revents & Int16(POLLIN) != 0 { answerUDP() }
            if descriptors[1].revents & Int16(POLLIN) != 0 { answerTCP() }
        }
    }

    private func answerUDP() {
        var buffer = [UInt8](repeating: 0, count: 512)
        var peer = sockaddr_storage()
        var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &peer) { peerPointer in
            peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                recvfrom(udp, &buffer, buffer.count, 0, $0, &peerLength)
            }
        }
        guard count > 0, let response = respond(to: Array(buffer[0..<count]), overUDP: true) else { return }
        _ = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(udp, response, response.count, 0, $0, peerLength)
            }
        }
    }

    private func answerTCP() {
        let connection = accept(tcp, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var prefix = [UInt8](repeating: 0, count: 2)
        guard recv(connection, &prefix, 2, Int32(MSG_WAITALL)) == 2 else { return }
        var query = [UInt8](repeating: 0, count: Int(prefix[0]) << 8 | Int(prefix[1]))
        guard recv(connection, &query, query.count, Int32(MSG_WAITALL)) == query.count,
            let response = respond(to: query, overUDP: false)
        else { return }
        let framed = [UInt8(response.count >> 8), UInt8(response.count & 0xff)] + response
        _ = send(connection, framed, framed.count, 0)
    }

    /// Builds the answer: header, the question echoed, and TXT answers pointing at the question name.
    private func respond(to query: [UInt8], overUDP: Bool) -> [UInt8]? {
        guard query.count > 12 else { return nil }
        var labels: [String] = []
        var offset = 12
        while offset < query.count, query[offset] != 0 {
            let length = Int(query[offset])
            labels.append(String(decoding: query[(offset + 1)..<(offset + 1 + length)], as: UTF8.self))
            offset += length + 1
        }
        let questionEnd = offset + 5
        let name = labels.joined(separator: ".").lowercased()
        queries.withLock { $0.append(name) }
        if silent.contains(name) { return nil }
        let truncate = overUDP && truncatedOverUDP.contains(name)
        let answers = truncate ? [] : (records[name] ?? [])
        let rcode: UInt8 = servfail ? 2 : records[name] == nil ? 3 : 0
        var out: [UInt8] = [query[0], query[1], 0x84 | (truncate ? 0x02 : 0), 0x80 | rcode, 0, 1]
        out += [UInt8(answers.count >> 8), UInt8(answers.count & 0xff), 0, 0, 0, 0]
        out += query[12..<questionEnd]
        for strings in answers {
            var rdata: [UInt8] = []
            for string in strings {
                rdata.append(UInt8(string.utf8.count))
                rdata += Array(string.utf8)
            }
            out += [0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xff)]
            out += rdata
        }
        return out
    }
}
