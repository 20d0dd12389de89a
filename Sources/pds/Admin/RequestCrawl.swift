import ArgumentParser
import Foundation
import NIOHTTP1
import PDSServer

extension PDSCommand {
    /// `pds request-crawl [HOST…]`: as pdsadmin, asks relays to crawl this PDS.
    struct RequestCrawl: AdminCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-crawl",
            abstract: "Ask relays (default PDS_CRAWLERS) to crawl this server.",
            discussion: """
                POSTs com.atproto.sync.requestCrawl {"hostname": PDS_HOSTNAME} to each relay; https:// is added to \
                a host without a scheme, and a comma-separated list counts as several hosts. The server itself \
                need not be running. Exits with 1 when any relay refused or could not be reached. With --json: an \
                array of {host, ok, error?}.
                """
        )

        @OptionGroup var options: AdminOptions

        @Argument(help: "Relay hosts or URLs (default: PDS_CRAWLERS).")
        var hosts: [String] = []

        func execute(_ context: AdminContext) async throws(AdminFailure) {
            let given = hosts.flatMap {
                $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            }
            .filter { !$0.isEmpty }
            let targets = given.isEmpty ? context.configuration.service.crawlers : given
            guard !targets.isEmpty else {
                throw .configuration("no relays to ask: give HOST arguments or set PDS_CRAWLERS")
            }
            let hostname = context.configuration.service.hostname
            var table = TableWriter(columns: ["relay", "result"])
            var json: [JSONValue] = []
            var failures: [String] = []
            for target in targets {
                var base = target.contains("://") ? target : "https://\(target)"
                while base.hasSuffix("/") { base.removeLast() }
                let error = await Self.requestCrawl(base, hostname: hostname, client: context.client)
                table.append([base, error ?? "ok"])
                var entry: [String: JSONValue] = ["host": .string(base), "ok": .bool(error == nil)]
                if let error {
                    entry["error"] = .string(error)
                    failures.append(base)
                }
                json.append(.object(entry))
            }
            context.emit(table: table.render(), json: .array(json))
            if !failures.isEmpty {
                let names = failures.joined(separator: ", ")
                throw .other("\(failures.count) of \(targets.count) relays did not accept the request: \(names)")
            }
        }

        /// Asks one relay; returns why it failed, or `nil`.
        static func requestCrawl(_ base: String, hostname: String, client: AdminClient) async -> String? {
            do {
                let reply = try await client.send(
                    url: "\(base)/xrpc/com.atproto.sync.requestCrawl", method: .POST,
                    json: .object(["hostname": .string(hostname)]), target: base)
                guard (200..<300).contains(reply.status) else {
                    let body = try? JSONDecoder().decode(JSONValue.self, from: reply.body)
                    let name = body?["error"]?.string.map { ": \($0)" } ?? ""
                    let message = body?["message"]?.string.map { " \($0)" } ?? ""
                    return "HTTP \(reply.status)\(name)\(message)"
                }
                return nil
            } catch {
                return error.description
            }
        }
    }
}
