import ActorStore
import ArgumentParser
import ATCore
import Backup
import Foundation
import PDSServer
import ServiceDB

extension PDSCommand.BackupCommand {
    /// `pds backup status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per file: the last backup, its lag behind the live file, objects and size.",
            discussion: """
                The lag is how long the live file (a database's WAL) has had changes the backup does not hold (0 \
                when the newest object is newer than the file). Objects are a file's copies and WAL segments. Live files are read from the server's data directory when its \
                configuration is available.
                """
        )

        @OptionGroup var options: BackupOptions

        @Option(name: .long, help: "Override PDS_DATA_DIRECTORY.")
        var dataDirectory: String?

        func run() async throws {
            try await BackupContext.run(options, dataDirectory: dataDirectory) { context in
                try await BackupShipper.checkKey(
                    target: context.target, key: context.configuration.key, createIfMissing: false)
                let catalog = BackupCatalog(objectNames: try await context.target.list(prefix: BackupVersion.root))
                let layout = try? context.serverLayout()
                let now = BackupShipper.nowMilliseconds()
                var files: [StatusOutput.File] = []
                for (file, versions) in catalog.versions.sorted(by: { $0.key < $1.key }) {
                    guard let newest = versions.last else { continue }
                    var lag: Double?
                    if let path = layout?.path(of: file) {
                        // A database changes by its WAL (a checkpoint rewrites the main file but adds nothing).
                        let wal = URL(fileURLWithPath: path.path + "-wal")
                        let modified =
                            BackupFile.isDatabase(file)
                            ? BackupShipper.modificationTime(wal, database: false)
                                ?? BackupShipper.modificationTime(path, database: false)
                            : BackupShipper.modificationTime(path, database: false)
                        lag = modified.map { $0 >= newest.time ? Double(now - newest.time) / 1000 : 0 }
                    }
                    files.append(
                        .init(
                            file: file, lastBackup: isoTime(newest.time), lagSeconds: lag,
                            versions: versions.count, bytes: versions.reduce(0) { $0 + $1.size }))
                }
                let output = StatusOutput(
                    target: context.target.description,
                    lastSnapshot: catalog.versions.filter { BackupFile.isDatabase($0.key) }.values
                        .compactMap { $0.last?.generation }.max().map(isoTime),
                    highWaterMarkAt: catalog.newest(BackupFile.highWaterMark).map { isoTime($0.generation) },
                    bytes: files.reduce(0) { $0 + $1.bytes }, files: files)
                if options.json {
                    try printJSON(output)
                    return
                }
                var table = TableWriter("FILE", "LAST BACKUP", "LAG", "VERSIONS", "BYTES")
                for file in files {
                    table.append(
                        file.file, file.lastBackup, file.lagSeconds.map { String(format: "%.1fs", $0) } ?? "-",
                        "\(file.versions)", "\(file.bytes)")
                }
                print(table.render(), terminator: "")
                print(
                    "\n\(files.count) file(s), \(output.bytes) bytes at \(output.target); last sequencer snapshot "
                        + "\(output.lastSnapshot ?? "none"), high-water mark shipped \(output.highWaterMarkAt ?? "never")")
            }
        }
    }

    /// The JSON of `status`.
    struct StatusOutput: Encodable {
        struct File: Encodable {
            var file: String
            var lastBackup: String
            var lagSeconds: Double?
            var versions: Int
            var bytes: Int
        }
        var target: String
        var lastSnapshot: String?
        var highWaterMarkAt: String?
        var bytes: Int
        var files: [File]
    }

    /// `pds backup verify`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore into a temporary directory and check every repo and account there.",
            discussion: """
                Every repo's blocks, commit signature, MST root and record index are checked as `pds repo verify` \
                does; every account in account.sqlite must have an actor store and every actor store an account. \
                The live data directory is never touched. Exits 1 when anything is wrong.
                """
        )

        @OptionGroup var options: BackupOptions

        @Option(name: .long, help: "The point in time to verify (default: the newest).")
        var at: String?

        func run() async throws {
            let time: Int64?
            if let at {
                guard let parsed = parseTime(at) else { throw ValidationError("--at \(at) is not a time") }
                time = parsed
            } else {
                time = nil
            }
            try await BackupContext.run(options) { context in
                let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "pds-backup-verify-\(UUID().uuidString)", isDirectory: true)
                defer { try? FileManager.default.removeItem(at: scratch) }
                let layout = BackupLayout(
                    dataDirectory: scratch, blobsDirectory: scratch.appendingPathComponent("blocks"))
                let summary = try await BackupRestorer(target: context.target, key: context.configuration.key)
                    .restore(into: layout, at: time, did: nil)
                let problems = try await Self.check(layout)
                let broken = problems.filter { !$0.problems.isEmpty }
                if options.json {
                    try printJSON(VerifyOutput(restored: summary, accounts: problems))
                } else {
                    for report in broken {
                        print("\(report.did):")
                        for problem in report.problems { print("  - \(problem)") }
                    }
                    print(
                        "Restored \(summary.files) file(s) at \(summary.at); \(problems.count) account(s) checked, "
                            + "\(broken.count) with problems")
                }
                if !broken.isEmpty { throw ExitCode(1) }
            }
        }

        /// The checks of a restored data directory.
        static func check(_ layout: BackupLayout) async throws -> [VerifyOutput.Account] {
            let actorStore = try ActorStore(
                configuration: .init(actorsDirectory: layout.actorsDirectory, handleCacheSize: 64))
            let serviceDB = try ServiceDB(url: layout.serviceFiles["account.sqlite"]!)
            let audit = RepoAudit(actorStore: actorStore)
            var reports: [VerifyOutput.Account] = []
            var listed: Set<DID> = []
            var cursor: (createdAt: String, did: String)?
            var all: [(account: AccountRecord, head: String?, rev: String?)] = []
            while true {
                let page = try await serviceDB.listAccounts(after: cursor, limit: 500)
                all += page
                guard page.count == 500, let last = page.last?.account else { break }
                cursor = (last.createdAt, last.did.rawValue)
            }
            let bar = ProgressBar("Verifying", total: all.count)
            for entry in all {
                let did = entry.account.did
                listed.insert(did)
                var problems: [String] = []
                if await actorStore.exists(did) {
                    problems += await audit.verify(did).problems
                } else {
                    problems.append("the account has no actor store")
                }
                reports.append(.init(did: did.rawValue, problems: problems))
                bar.advance()
            }
            for did in layout.actors() where !listed.contains(did) {
                reports.append(.init(did: did.rawValue, problems: ["an actor store with no account in account.sqlite"]))
            }
            await actorStore.close()
            return reports
        }
    }

    /// The JSON of `verify`.
    struct VerifyOutput: Encodable {
        struct Account: Encodable {
            var did: String
            var problems: [String]
        }
        var restored: BackupRestorer.Summary
        var accounts: [Account]
    }
}
