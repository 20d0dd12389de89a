import Foundation

/// A nameserver: an IP address and a port (53 unless given).
package struct DNSServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address.
    package var ip: IPAddress
    /// The UDP/TCP port.
    package var port: UInt16

    /// Creates an address.
    /// - Parameters:
    ///   - ip: the address.
    ///   - port: the port.
    package init(ip: IPAddress, port: UInt16 = 53) {
        self.ip = ip
        self.port = port
    }

    /// Parses `1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353`.
    /// - Parameters:
    ///   - string: the nameserver.
    package init?(_ string: some StringProtocol) {
        let text = string.trimmingCharacters(in: .whitespaces)
        if let ip = IPAddress(text) {
            self.init(ip: ip)
            return
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            let parts = text.split(separator: ":")
            guard parts.count == 2 else { return nil }
            host = parts[0]
            portText = parts[1]
        }
        guard let ip = IPAddress(host), let port = UInt16(portText), port > 0 else { return nil }
        self.init(ip: ip, port: port)
    }

    package var description: String { ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)" }

    /// The nameservers listed in a resolv.conf text, in order.
    /// - Parameters:
    ///   - text: the file contents.
    package static func parseResolvConf(_ text: String) -> [DNSServerAddress] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { return nil }
            // A scoped IPv6 address (fe80::1%eth0) cannot be used without its interface; skip it.
            guard !fields[1].contains("%") else { return nil }
            return DNSServerAddress(fields[1])
        }
    }

    /// The system's nameservers from `/etc/resolv.conf`, or `127.0.0.1` when none are listed (as glibc does).
    package static func system() -> [DNSServerAddress] {
        let text = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let servers = parseResolvConf(text)
        return servers.isEmpty ? [DNSServerAddress(ip: IPAddress("127.0.0.1")!)] : servers
    }
}
