import ArgumentParser
import Foundation
import PLCBundle
import PLCServer

extension PDSCommand.PLC {
    /// `pds plc bundle …`: plcbundle v1 archives of the directory's operation log.
    struct BundleCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Make and check plcbundle v1 archives of a PLC directory's operation log.",
            discussion: """
                A bundle is 10,000 operations in export order (createdAt, never going backwards), each the \
                operation's original /export JSON line followed by a newline (a replica keeps its upstream's lines \
                byte for byte), compressed with zstd level 3 into NNNNNN.jsonl.zst. content_hash is the SHA-256 of \
                the uncompressed lines, hash chains each bundle to its parent (SHA-256 of \
                "plcbundle:genesis:<content_hash>" for the first, "<parent>:<content_hash>" after), and \
                plc_bundles.json indexes them. Failures print one line on stderr and exit 1.
                """,
            subcommands: [Create.self, Verify.self, Index.self]
        )
    }
}

/// The options every bundle command takes.
struct BundleOptions: ParsableArguments {
    @Option(name: .long, help: "The bundle directory.")
    var bundles: String = "./data/plc-bundles"

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    var directory: URL { URL(fileURLWithPath: bundles) }
}

/// Runs a bundle command body, turning any failure into one line on stderr and exit status 1.
func reportingPLCFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        Stderr.write("error: \(error)\n")
        throw ExitCode(1)
    }
}

/// A bundle table: one row per bundle.
func bundleTable(_ entries: [PLCBundleIndex.Entry]) -> TableWriter {
    var table = TableWriter("BUNDLE", "START", "END", "OPS", "DIDS", "SIZE", "HASH")
    for entry in entries {
        table.append(
            PLCBundleHashing.fileName(entry.bundleNumber), entry.startTime, entry.endTime, "\(entry.operationCount)",
            "\(entry.didCount)", "\(entry.compressedSize)", String(entry.hash.prefix(16)))
    }
    return table
}

extension PDSCommand.PLC.BundleCommand {
    /// `pds plc bundle create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append every full bundle the op store now allows to the archive.",
            discussion: """
                Bundles already in the archive's index are kept; the next starts right after them. Only full \
                bundles are written (the rest waits for the next run). The index is replaced atomically after each \
                bundle. Works on a directory's or a replica's database (it may be running: reads are snapshots).
                """
        )

        @OptionGroup var options: BundleOptions

        @Option(name: .long, help: "The PLC directory's SQLite database file.")
        var database: String = "./data/plc.sqlite"

        @Option(name: .long, help: ArgumentHelp("Operations per bundle (plcbundle v1: 10000).", visibility: .hidden))
        var operationsPerBundle: Int = 10_000

        func run() async throws {
            guard operationsPerBundle >= 1 else { throw ValidationError("--operations-per-bundle must be positive") }
            try await reportingPLCFailures {
                guard FileManager.default.fileExists(atPath: database) else {
                    throw PLCCommandFailure("no PLC database at \(database)")
                }
                let store = try PLCOperationStore(path: database)
                let total = try await store.operationCount()
                let existing = try PLCBundleIndex.load(from: options.directory)?.bundles.count ?? 0
                let progress = ProgressBar("Bundling", total: max(0, total / operationsPerBundle - existing))
                let writer = PLCBundleWriter(directory: options.directory, operationsPerBundle: operationsPerBundle)
                let started = Date()
                let (index, added) = try await writer.create(
                    from: { offset, limit in try await store.exportLines(offset: offset, limit: limit) },
                    progress: { _ in progress.advance() })
                let seconds = Date().timeIntervalSince(started)
                if options.json {
                    try printJSON(added)
                } else {
                    if !added.isEmpty { print(bundleTable(added).render(), terminator: "") }
                    let bytes = added.reduce(0) { $0 + $1.uncompressedSize }
                    let rate = seconds > 0 ? Double(bytes) / 1_048_576 / seconds : 0
                    print(
                        "\(added.count) bundle(s) added, \(index.lastBundle) in the archive; "
                            + String(format: "%.1f MB/s uncompressed", rate))
                }
            }
        }
    }

    /// `pds plc bundle verify`.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every bundle's hashes and the chain; report the first broken link.",
            discussion: """
                For each bundle of the index: the compressed file's hash and size, its decompressed content hash, \
                size and operation count, its parent and cursor against the previous entry, and its chain hash \
                recomputed from the genesis bundle. A change in bundle n breaks bundle n and every later chain \
                link. Exits 1 when anything is wrong.
                """
        )

        @OptionGroup var options: BundleOptions

        func run() async throws {
            try await reportingPLCFailures {
                guard let index = try PLCBundleIndex.load(from: options.directory) else {
                    throw PLCCommandFailure("no \(PLCBundleIndex.fileName) in \(options.bundles)")
                }
                let progress = ProgressBar("Verifying", total: index.bundles.count)
                let report = PLCBundleVerifier(directory: options.directory).verify(index) { _ in progress.advance() }
                if options.json {
                    try printJSON(BundleVerifyOutput(report))
                } else {
                    var table = TableWriter("BUNDLE", "CHAIN", "STATUS")
                    for bundle in report.bundles {
                        table.append(
                            PLCBundleHashing.fileName(bundle.number), bundle.chainIntact ? "ok" : "broken",
                            bundle.isIntact ? "ok" : bundle.problems.joined(separator: "; "))
                    }
                    print(table.render(), terminator: "")
                    if let first = report.firstBroken {
                        let broken = report.bundles.filter { !$0.chainIntact }.count
                        print("\nfirst broken bundle: \(first); \(broken) chain link(s) broken")
                    } else {
                        print("\n\(report.bundles.count) bundle(s) verified, chain intact")
                    }
                }
                if report.firstBroken != nil { throw ExitCode(1) }
            }
        }
    }

    /// `pds plc bundle index`.
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the archive's index (plc_bundles.json).",
            discussion: "A table of the bundles and the totals, or with --json every field of the index."
        )

        @OptionGroup var options: BundleOptions

        func run() async throws {
            try await reportingPLCFailures {
                guard let index = try PLCBundleIndex.load(from: options.directory) else {
                    throw PLCCommandFailure("no \(PLCBundleIndex.fileName) in \(options.bundles)")
                }
                if options.json {
                    try printJSON(index)
                } else {
                    print(bundleTable(index.bundles).render(), terminator: "")
                    print(
                        "\nversion \(index.version), \(index.lastBundle) bundle(s), \(index.totalSizeBytes) bytes, "
                            + "updated \(index.updatedAt)")
                }
            }
        }
    }
}

/// `pds plc bundle verify --json` output.
struct BundleVerifyOutput: Encodable {
    struct Bundle: Encodable {
        var bundleNumber: Int
        var intact: Bool
        var chainIntact: Bool
        var problems: [String]
    }

    var intact: Bool
    var firstBroken: Int?
    var bundles: [Bundle]

    init(_ report: PLCBundleVerifier.Report) {
        intact = report.firstBroken == nil
        firstBroken = report.firstBroken
        bundles = report.bundles.map {
            Bundle(bundleNumber: $0.number, intact: $0.isIntact, chainIntact: $0.chainIntact, problems: $0.problems)
        }
    }
}

/// A `pds plc` failure with its one-line message.
struct PLCCommandFailure: Error, CustomStringConvertible {
    /// The message.
    var description: String

    init(_ description: String) { self.description = description }
}
