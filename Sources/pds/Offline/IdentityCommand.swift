import ArgumentParser
import ATCore
import Foundation
import PDSServer
import Sequencer

extension PDSCommand {
    /// `pds identity …`.
    struct Identity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "identity",
            abstract: "Announce identities on the firehose (offline: stop the server first).",
            subcommands: [Publish.self]
        )
    }

    /// `pds hostname …`.
    struct Hostname: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hostname",
            abstract: "Move the whole server to a new hostname (offline: stop the server first).",
            subcommands: [Change.self]
        )
    }
}

extension PDSCommand.Identity {
    /// `pds identity publish [DID…]`.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sequence an #identity event for every account (or those named), so relays re-read them.",
            discussion: "As the reference's publish-identity script. The events go out when the server next runs."
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "DIDs or handles (default: every account).")
        var accounts: [String] = []

        struct Published: Encodable {
            var did: String
            var handle: String?
            var seq: Int64
        }

        func run() async throws {
            let context = try OfflineContext.open(options)
            let targets = try await context.accounts(accounts)
            let progress = ProgressBar("Publishing", total: targets.count)
            var published: [Published] = []
            for target in targets {
                let seq = try await context.services.sequencer.sequenceIdentity(
                    did: target.did, handle: target.handle.flatMap { try? Handle($0) })
                published.append(Published(did: target.did.rawValue, handle: target.handle, seq: seq))
                progress.advance()
            }
            if options.json { return try printJSON(published) }
            var table = TableWriter("DID", "HANDLE", "SEQ")
            for row in published { table.append(row.did, row.handle ?? "-", "\(row.seq)") }
            print(table.render(), terminator: "")
            print("\n\(published.count) #identity event(s) sequenced")
        }
    }
}

extension PDSCommand.Hostname {
    /// `pds hostname change NEW`.
    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point every account's DID at a new hostname (PLC operations and #identity events).",
            discussion: """
                Each did:plc account gets a PLC operation, signed with the PDS rotation key, whose atproto_pds \
                endpoint is https://NEW (or NEW itself when it is a URL), then an #identity event. did:web accounts \
                are listed: their owners update their documents. Handles are not changed. Set PDS_HOSTNAME=NEW \
                before starting the server again. With --dry-run nothing changes: the plan is printed.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "The new hostname, or the new public URL.")
        var new: String

        @Flag(name: .long, help: "Print what would change; change nothing.")
        var dryRun = false

        func run() async throws {
            let context = try OfflineContext.open(options)
            let endpoint = HostnameChange.endpoint(for: new)
            let change = HostnameChange(services: context.services)
            let targets = try await context.accounts([])
            let progress = ProgressBar(dryRun ? "Planning" : "Moving", total: targets.count)
            var steps: [HostnameChange.Step] = []
            for target in targets {
                let step = await change.plan(
                    did: target.did, handle: target.handle.flatMap { try? Handle($0) }, newEndpoint: endpoint)
                steps.append(dryRun ? step : await change.apply(step))
                progress.advance()
            }
            let failed = steps.filter { $0.action == .failed }
            if options.json {
                try printJSON(steps)
            } else {
                var table = TableWriter("DID", "HANDLE", "FROM", "TO", dryRun ? "PLAN" : "RESULT")
                for step in steps {
                    let result = dryRun || step.action != .update ? step.action.rawValue : "updated"
                    table.append(step.did, step.handle ?? "-", step.from ?? "-", step.to, result)
                }
                print(table.render(), terminator: "")
                for step in failed { print("\(step.did): \(step.problem ?? "failed")") }
                let moved = steps.filter { $0.action == .update }.count
                print(
                    dryRun
                        ? "\n\(moved) account(s) would move to \(endpoint) (dry run: nothing changed)"
                        : "\n\(moved) account(s) moved to \(endpoint); set PDS_HOSTNAME before restarting")
            }
            if !failed.isEmpty { throw ExitCode(1) }
        }
    }
}
