import ArgumentParser
import ATCore
import Backup
import Foundation
import Logging
import PDSServer

extension PDSCommand {
    /// `pds backup …`: the continuous backup's one-shot run, restore, status and verification (our extension).
    struct BackupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Encrypted backups of the data directory: run once, restore, status, verify (our extension).",
            discussion: """
                The target and key come from PDS_BACKUP_TARGET (a directory, or s3://bucket/prefix with \
                PDS_BACKUP_S3_* or the PDS_BLOBSTORE_S3_* variables) and PDS_BACKUP_ENCRYPTION_KEY (64 hex digits). \
                `pds serve` backs up continuously when PDS_BACKUP_TARGET is set: databases as a copy (a generation) \
                followed by their committed WAL frames (segments), checkpointed by the backup after shipping \
                (PDS_BACKUP_CHECKPOINT_SIZE, PDS_BACKUP_CHECKPOINT_INTERVAL, PDS_BACKUP_GENERATION_INTERVAL). A \
                failure is one line on stderr and \
                exit status 1 (wrong key, missing or corrupted object, problems found), 69 (target unreachable) or \
                78 (configuration).
                """,
            subcommands: [Run.self, Restore.self, Status.self, Verify.self]
        )
    }
}

extension PDSCommand.BackupCommand {
    /// `pds backup run`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ship every file changed since its last backup, once, as a new generation (safe while the server runs).")

        @OptionGroup var options: BackupOptions

        @Option(name: .long, help: "Override PDS_DATA_DIRECTORY.")
        var dataDirectory: String?

        func run() async throws {
            try await BackupContext.run(options, dataDirectory: dataDirectory) { context in
                let layout = try context.serverLayout()
                let shipper = try await BackupShipper(
                    target: context.target, key: context.configuration.key, layout: layout,
                    logger: Logger(label: "pds.backup"))
                let bar = ProgressBar("Backing up", total: layout.actors().count)
                let progress = ProgressCounter(bar)
                let sequencer = layout.serviceFiles["sequencer.sqlite"]!
                try await shipper.shipHighWaterMark(try BackupShipper.readHighWaterMark(of: sequencer))
                try await shipper.shipAll { done, _ in progress.reach(done) }
                let retention = Int64(context.configuration.retention.components.seconds) * 1000
                let pruned = try await shipper.prune(before: BackupShipper.nowMilliseconds() - retention)
                let shipped = shipper.shipped
                if options.json {
                    try printJSON(RunOutput(objects: shipped.objects, bytes: shipped.bytes, pruned: pruned))
                } else {
                    print("Shipped \(shipped.objects) object(s), \(shipped.bytes) bytes to \(context.target.description); "
                        + "pruned \(pruned) expired version(s)")
                }
            }
        }
    }

    /// The JSON of `run`.
    struct RunOutput: Encodable {
        var objects: Int
        var bytes: Int
        var pruned: Int
    }

    /// `pds backup restore`.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a data directory, or one account into one, at any point within retention.",
            discussion: """
                Without --did, DIR must hold no account.sqlite: the whole data directory is rebuilt there. With \
                --did, that account's store, key and blobs replace its files in DIR; \
                other accounts are not touched. A database is its generation's copy with the generation's WAL \
                segments up to the time applied in order, every frame's checksum checked. Nothing is written when \
                the key is wrong, any object is missing (a gap in a generation's segments) or corrupted.

                Stopped server on DIR: the sequencer continues above the backup's high-water mark plus --seq-gap, \
                and the next `pds serve` sends a #sync of every restored repo before accepting requests.

                Running server on DIR (--did only): the account is restored into DIR/tmp/restore/, then handed to \
                the server (admin password from PDS_ADMIN_PASSWORD, or dev mode's DIR/dev-secrets.json; URL from \
                --url or PDS_PORT), which takes that account offline for the swap (its requests wait), puts the \
                restored files in place, and announces the repo (#sync of a re-signed commit, #identity, #account) \
                with seqs above its current head. Other accounts keep serving and writing throughout.
                """
        )

        @OptionGroup var options: BackupOptions

        @Option(name: .long, help: "The data directory to restore into.", completion: .directory)
        var to: String

        @Option(name: .long, help: "The point in time: ISO 8601 (2026-12-03T09:00:00Z) or seconds since 1970.")
        var at: String?

        @Option(
            name: .long,
            help: "Restore only this account (a DID) into an existing data directory, a running server's too.")
        var did: String?

        @Option(name: .long, help: "Where blobs go (default <DIR>/blocks, the dev-mode disk blobstore).")
        var blobsTo: String?

        @Option(name: .long, help: "Seqs left unused above the backup's high-water mark.")
        var seqGap: Int64 = 10_000

        @Option(
            name: .long,
            help: "With --did while a server runs on DIR: its URL (default http://localhost:$PDS_PORT).")
        var url: String?

        func run() async throws {
            let time: Int64?
            if let at {
                guard let parsed = parseTime(at) else { throw ValidationError("--at \(at) is not a time") }
                time = parsed
            } else {
                time = nil
            }
            let account: DID?
            do {
                account = try did.map { try DID($0) }
            } catch {
                throw ValidationError("--did \(did ?? ""): \(error)")
            }
            try await BackupContext.run(options) { context in
                let key = context.configuration.key
                // The key first: a wrong key writes nothing, not even the lock file.
                try await BackupShipper.checkKey(target: context.target, key: key, createIfMissing: false)
                let destination = URL(fileURLWithPath: to, isDirectory: true)
                let layout = BackupLayout(
                    dataDirectory: destination,
                    blobsDirectory: URL(fileURLWithPath: blobsTo ?? destination.appendingPathComponent("blocks").path))
                let lock: DataDirectoryLock
                do {
                    lock = try DataDirectoryLock(directory: destination.path)
                } catch let failure as DataDirectoryLock.Failure {
                    guard case .held = failure, let account else { throw AdminFailure.usage(failure.description) }
                    // A server runs on DIR: restore into a staging directory and hand the account over to it.
                    let output = try await LiveRestoreCommand(
                        context: context, dataDirectory: destination, did: account, time: time, url: url
                    ).run()
                    try printLiveRestore(output)
                    return
                }
                let bar = ProgressCounter(nil)
                let summary = try await BackupRestorer(target: context.target, key: key).restore(
                    into: layout, at: time, did: account, seqGap: seqGap
                ) { done, total in bar.reach(done, total: total, label: "Restoring") }
                withExtendedLifetime(lock) {}
                if options.json {
                    try printJSON(summary)
                } else {
                    let mib = Double(summary.bytes) / 1_048_576
                    print(
                        "Restored \(summary.files) file(s) (\(String(format: "%.1f", mib)) MiB), \(summary.accounts) "
                            + "account(s), at \(summary.at), into \(destination.path) in "
                            + String(format: "%.1f s", summary.seconds))
                    if let seq = summary.seqAtLeast {
                        print("The sequencer continues above seq \(seq) (high-water mark \(summary.highWaterMark ?? 0))")
                    }
                }
            }
        }
    }
}

/// Drives a ``ProgressBar`` from a count reported by a `@Sendable` callback (created on the first report).
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var bar: ProgressBar?
    private var reached = 0

    /// A counter over `bar`, or one made on the first report with a total.
    init(_ bar: ProgressBar?) { self.bar = bar }

    /// Advances to `done`.
    func reach(_ done: Int, total: Int? = nil, label: String = "") {
        lock.withLock {
            if bar == nil, let total { bar = ProgressBar(label, total: total) }
            while reached < done {
                reached += 1
                bar?.advance()
            }
        }
    }
}
