import ATCore
import Foundation

/// Makes plcbundle v1 archives: consecutive runs of ``operationsPerBundle`` operations of a log in export order,
/// each serialised (``PLCBundleHashing/serialise(_:)``), hashed, chained to its parent, compressed with zstd level 3
/// into `NNNNNN.jsonl.zst`, and listed in `plc_bundles.json`.
///
/// Creation is incremental: bundles already in the directory's index are kept and the next one starts right after
/// them. Only full bundles are written; the operations after the last full bundle wait for the next run. The index
/// is rewritten atomically after each bundle, so an interrupted run leaves a consistent archive.
package struct PLCBundleWriter: Sendable {
    /// Why an archive cannot be extended.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        /// The reason, as one sentence.
        package var description: String
    }

    /// Reads `limit` operations of the log starting `offset` operations into its export order.
    package typealias Source = @Sendable (_ offset: Int, _ limit: Int) async throws -> [PLCBundleLine]

    /// The bundle directory.
    package var directory: URL
    /// Operations per bundle: 10,000 in plcbundle v1 (smaller only for tests).
    package var operationsPerBundle: Int
    /// The zstd level: 3 in plcbundle v1.
    package var compressionLevel: Int32 = 3
    /// The clock for `created_at` and `updated_at`.
    package var now: @Sendable () -> Date = { Date() }

    /// Creates a writer.
    /// - Parameters:
    ///   - directory: the bundle directory (created if needed).
    ///   - operationsPerBundle: operations per bundle.
    package init(directory: URL, operationsPerBundle: Int = 10_000) {
        self.directory = directory
        self.operationsPerBundle = operationsPerBundle
    }

    /// Appends every full bundle the log now allows.
    /// - Parameters:
    ///   - source: the log, in export order.
    ///   - progress: called after each bundle with its entry.
    /// - Returns: the index after the run and the entries added.
    package func create(from source: Source, progress: (PLCBundleIndex.Entry) -> Void = { _ in }) async throws
        -> (index: PLCBundleIndex, added: [PLCBundleIndex.Entry])
    {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var index = try PLCBundleIndex.load(from: directory) ?? PLCBundleIndex(updatedAt: Datetime(now()).rawValue)
        if let mismatch = index.bundles.first(where: { $0.operationCount != operationsPerBundle }) {
            throw Failure(
                description: "bundle \(mismatch.bundleNumber) holds \(mismatch.operationCount) operations, "
                    + "not \(operationsPerBundle); the archive was made with another bundle size")
        }
        var added: [PLCBundleIndex.Entry] = []
        var offset = index.bundles.count * operationsPerBundle
        while true {
            let lines = try await source(offset, operationsPerBundle)
            guard lines.count == operationsPerBundle else { break }
            let entry = try write(lines, number: index.lastBundle + 1, previous: index.bundles.last)
            index.bundles.append(entry)
            index.lastBundle = entry.bundleNumber
            index.totalSizeBytes += entry.compressedSize
            index.updatedAt = entry.createdAt
            try index.write(to: directory)
            added.append(entry)
            progress(entry)
            offset += operationsPerBundle
        }
        if index.bundles.isEmpty { try index.write(to: directory) }
        return (index, added)
    }

    /// Writes one bundle file and returns its index entry.
    private func write(_ lines: [PLCBundleLine], number: Int, previous: PLCBundleIndex.Entry?) throws
        -> PLCBundleIndex.Entry
    {
        var latest = previous?.endTime ?? ""
        for line in lines {
            guard line.createdAt >= latest else {
                throw Failure(
                    description: "operation at \(line.createdAt) is older than \(latest), the last one accepted: "
                        + "the log's export order runs backwards")
            }
            latest = line.createdAt
        }
        let content = PLCBundleHashing.serialise(lines.lazy.map(\.line))
        let compressed = try Zstd.compress(content, level: compressionLevel)
        let contentHash = PLCBundleHashing.hash(content)
        let url = directory.appendingPathComponent(PLCBundleHashing.fileName(number))
        try PLCBundleFiles.writeAtomically(Data(compressed), to: url)
        return PLCBundleIndex.Entry(
            bundleNumber: number, startTime: lines.first?.createdAt ?? "", endTime: lines.last?.createdAt ?? "",
            operationCount: lines.count, didCount: Set(lines.lazy.map(\.did)).count,
            hash: PLCBundleHashing.chainHash(parent: previous?.hash, contentHash: contentHash),
            contentHash: contentHash, parent: previous?.hash ?? "",
            compressedHash: PLCBundleHashing.hash(compressed), compressedSize: compressed.count,
            uncompressedSize: content.count, cursor: previous?.endTime ?? "", createdAt: Datetime(now()).rawValue)
    }
}
