import ArgumentParser
import ATCore
import Foundation
import PDSServer

extension PDSCommand {
    /// `pds repo …`: offline checks and repairs of the actor stores.
    struct Repo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "repo",
            abstract: "Verify and repair repositories (offline: stop the server first).",
            subcommands: [Verify.self, Rebuild.self]
        )
    }
}

extension PDSCommand.Repo {
    /// `pds repo verify [DID…]`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every repo (or those named): block hashes, commit signature, MST and record index.",
            discussion: """
                Each stored block must hash to its CID; the commit must name the account and be signed by its key \
                (the key file beside its store); the MST must be canonical with every record present; and the record \
                index must list exactly the repo's records. Exits 1 when any repo has a problem.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "DIDs or handles (default: every account).")
        var accounts: [String] = []

        func run() async throws {
            let context = try OfflineContext.open(options)
            let targets = try await context.accounts(accounts)
            let audit = RepoAudit(actorStore: context.services.actorStore)
            let progress = ProgressBar("Verifying", total: targets.count)
            var reports: [(report: RepoAuditReport, handle: String?)] = []
            for target in targets {
                reports.append((await audit.verify(target.did), target.handle))
                progress.advance()
            }
            let broken = reports.filter { !$0.report.isSound }
            if options.json {
                try printJSON(reports.map(\.report))
            } else {
                var table = TableWriter("DID", "HANDLE", "REV", "RECORDS", "BLOCKS", "STATUS")
                for (report, handle) in reports {
                    let status = report.problems.isEmpty ? "ok" : "\(report.problems.count) problem(s)"
                    table.append(
                        report.did.rawValue, handle ?? "-", report.rev ?? "-", "\(report.records)",
                        "\(report.blocks)", status)
                }
                print(table.render(), terminator: "")
                for (report, _) in broken {
                    print("\n\(report.did.rawValue):")
                    for problem in report.problems { print("  - \(problem)") }
                }
                print("\n\(reports.count) repo(s) verified, \(broken.count) with problems")
            }
            if !broken.isEmpty { throw ExitCode(1) }
        }
    }

    /// `pds repo rebuild DID`.
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild an account's record index and backlinks from its repo blocks.",
            discussion: """
                The record and backlink rows are replaced, in one transaction, by those of the records the current \
                commit holds; takedowns and first-indexed times of records still present are kept. The repo itself \
                is not changed.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "The account's DID or handle.")
        var account: String

        func run() async throws {
            let context = try OfflineContext.open(options)
            guard let target = try await context.accounts([account]).first else { return }
            let summary: RecordIndexRebuilder.Summary
            do {
                summary = try await RecordIndexRebuilder(actorStore: context.services.actorStore).rebuild(target.did)
            } catch {
                throw ValidationError("cannot rebuild \(target.did): \(error)")
            }
            if options.json {
                try printJSON(RebuildOutput(did: target.did.rawValue, summary: summary))
            } else {
                print(
                    "Rebuilt the record index of \(target.did): \(summary.records) record(s); \(summary.added) added, "
                        + "\(summary.corrected) corrected, \(summary.removed) removed")
            }
        }
    }

    /// The JSON of `rebuild`.
    struct RebuildOutput: Encodable {
        var did: String
        var summary: RecordIndexRebuilder.Summary
    }
}

extension PDSCommand {
    /// `pds sequencer …`.
    struct SequencerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sequencer",
            abstract: "Recover actor stores from the firehose log (offline: stop the server first).",
            subcommands: [Recover.self]
        )
    }
}

extension PDSCommand.SequencerCommand {
    /// `pds sequencer recover [DID…]`.
    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild actor stores from sequencer.sqlite (the reference's sequencer-recovery).",
            discussion: """
                Replays every #commit and #sync of each account (or those named): their blocks, checked against \
                their CIDs, restore blocks a store lost or holds corrupted; the repo root then moves to the newest \
                announced commit and the record index is rebuilt from it, once that commit verifies with every \
                record present. Accounts without an actor store (their signing key is gone) or deleted ones are \
                reported and skipped. Exits 1 when any account could not be recovered.
                """
        )

        @OptionGroup var options: OfflineOptions

        @Argument(help: "DIDs or handles (default: every account in the log).")
        var accounts: [String] = []

        func run() async throws {
            let context = try OfflineContext.open(options)
            let targets = accounts.isEmpty ? [] : Set(try await context.accounts(accounts).map(\.did))
            var bar: ProgressBar?
            var reached: Int64 = 0
            let outcomes = try await SequencerRecovery(services: context.services).recover(targets) { seq, head in
                if bar == nil { bar = ProgressBar("Replaying", total: Int(head)) }
                while reached < seq {
                    reached += 1
                    bar?.advance()
                }
            }
            let failed = outcomes.filter { $0.problem != nil }
            if options.json {
                try printJSON(outcomes)
            } else {
                var table = TableWriter("DID", "EVENTS", "BLOCKS", "REV", "RECORDS", "RESULT")
                for outcome in outcomes {
                    table.append(
                        outcome.did, "\(outcome.events)", "\(outcome.blocks)", outcome.rev ?? "-",
                        "\(outcome.records)", outcome.problem ?? "recovered")
                }
                print(table.render(), terminator: "")
                print("\n\(outcomes.count - failed.count) account(s) recovered, \(failed.count) not")
            }
            if !failed.isEmpty { throw ExitCode(1) }
        }
    }
}
