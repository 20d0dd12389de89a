import Foundation

/// Checks a plcbundle v1 archive against its index: every bundle's compressed hash, content hash, sizes and
/// operation count, and the chain recomputed from the genesis bundle. A changed byte in bundle *n* shows as bundle
/// *n*'s own hash mismatches and as a broken chain link at *n* and every later bundle.
package struct PLCBundleVerifier: Sendable {
    /// What was found wrong with one bundle (empty `problems` when it is intact).
    package struct BundleReport: Sendable, Equatable {
        /// The bundle number.
        package var number: Int
        /// The problems, each one sentence.
        package var problems: [String]
        /// Whether the recomputed chain hash matches the index (false for this and every bundle after a change).
        package var chainIntact: Bool
        /// The bundle's uncompressed size (0 when unreadable).
        package var uncompressedSize: Int

        /// Whether nothing is wrong.
        package var isIntact: Bool { problems.isEmpty }
    }

    /// The whole archive's result.
    package struct Report: Sendable {
        /// One report per bundle of the index, in order.
        package var bundles: [BundleReport]
        /// The first bundle with a problem, `nil` when the archive is intact.
        package var firstBroken: Int? { bundles.first { !$0.isIntact }?.number }
    }

    /// The largest bundle accepted when decompressing.
    static let maxBundleBytes = 1 << 30
    /// The bundle directory.
    package var directory: URL

    /// Creates a verifier.
    package init(directory: URL) { self.directory = directory }

    /// Verifies every bundle of the index.
    /// - Parameters:
    ///   - index: the archive's index.
    ///   - progress: called after each bundle.
    package func verify(_ index: PLCBundleIndex, progress: (BundleReport) -> Void = { _ in }) -> Report {
        var reports: [BundleReport] = []
        var recomputedParent: String?
        var previous: PLCBundleIndex.Entry?
        for entry in index.bundles {
            var problems: [String] = []
            let expectedNumber = (previous?.bundleNumber ?? 0) + 1
            if entry.bundleNumber != expectedNumber {
                problems.append("bundle number \(entry.bundleNumber) where \(expectedNumber) was expected")
            }
            if entry.parent != (previous?.hash ?? "") { problems.append("parent is not the previous bundle's hash") }
            if entry.cursor != (previous?.endTime ?? "") { problems.append("cursor is not the previous end_time") }
            var size = 0
            var contentHash: String?
            let url = directory.appendingPathComponent(PLCBundleHashing.fileName(entry.bundleNumber))
            if let data = FileManager.default.contents(atPath: url.path) {
                let compressed = [UInt8](data)
                if compressed.count != entry.compressedSize {
                    problems.append("compressed size \(compressed.count), index says \(entry.compressedSize)")
                }
                if PLCBundleHashing.hash(compressed) != entry.compressedHash {
                    problems.append("compressed_hash mismatch")
                }
                do {
                    let content = try Zstd.decompress(compressed, maxSize: Self.maxBundleBytes)
                    size = content.count
                    contentHash = PLCBundleHashing.hash(content)
                    if contentHash != entry.contentHash { problems.append("content_hash mismatch") }
                    if content.count != entry.uncompressedSize {
                        problems.append("uncompressed size \(content.count), index says \(entry.uncompressedSize)")
                    }
                    let lines = content.lazy.filter { $0 == UInt8(ascii: "\n") }.count
                    if lines != entry.operationCount {
                        problems.append("\(lines) operations, index says \(entry.operationCount)")
                    }
                } catch {
                    problems.append("cannot decompress: \(error)")
                }
            } else {
                problems.append("file \(url.lastPathComponent) is missing")
            }
            var chainIntact = false
            if let contentHash, previous == nil || recomputedParent != nil {
                let recomputed = PLCBundleHashing.chainHash(parent: recomputedParent, contentHash: contentHash)
                chainIntact = recomputed == entry.hash
                recomputedParent = recomputed
            } else {
                recomputedParent = nil
            }
            if !chainIntact { problems.append("chain hash does not match the recomputed chain") }
            let report = BundleReport(
                number: entry.bundleNumber, problems: problems, chainIntact: chainIntact, uncompressedSize: size)
            reports.append(report)
            progress(report)
            previous = entry
        }
        return Report(bundles: reports)
    }
}
