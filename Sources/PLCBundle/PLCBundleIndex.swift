import Foundation

/// The plcbundle v1 index, `plc_bundles.json`.
package struct PLCBundleIndex: Codable, Sendable, Equatable {
    /// The file name of the index.
    package static let fileName = "plc_bundles.json"

    /// One bundle's entry.
    package struct Entry: Codable, Sendable, Equatable {
        /// The bundle number, from 1.
        package var bundleNumber: Int
        /// The first operation's `createdAt`.
        package var startTime: String
        /// The last operation's `createdAt`.
        package var endTime: String
        /// How many operations the bundle holds.
        package var operationCount: Int
        /// How many distinct DIDs they belong to.
        package var didCount: Int
        /// The chain hash.
        package var hash: String
        /// SHA-256 of the uncompressed serialisation.
        package var contentHash: String
        /// The previous bundle's chain hash, empty for the first.
        package var parent: String
        /// SHA-256 of the compressed file.
        package var compressedHash: String
        /// The compressed file's size in bytes.
        package var compressedSize: Int
        /// The serialisation's size in bytes.
        package var uncompressedSize: Int
        /// The previous bundle's `end_time`, empty for the first.
        package var cursor: String
        /// When the bundle was made (UTC, ISO 8601 with `Z`).
        package var createdAt: String

        enum CodingKeys: String, CodingKey {
            case bundleNumber = "bundle_number", startTime = "start_time", endTime = "end_time"
            case operationCount = "operation_count", didCount = "did_count", hash
            case contentHash = "content_hash", parent, compressedHash = "compressed_hash"
            case compressedSize = "compressed_size", uncompressedSize = "uncompressed_size", cursor
            case createdAt = "created_at"
        }
    }

    /// The format version, `"1.0"`.
    package var version: String
    /// The highest bundle number, 0 when empty.
    package var lastBundle: Int
    /// When the index was last written.
    package var updatedAt: String
    /// The sum of the compressed sizes.
    package var totalSizeBytes: Int
    /// The bundles, in order.
    package var bundles: [Entry]

    enum CodingKeys: String, CodingKey {
        case version, lastBundle = "last_bundle", updatedAt = "updated_at", totalSizeBytes = "total_size_bytes"
        case bundles
    }

    /// An empty index.
    package init(updatedAt: String) {
        version = "1.0"
        lastBundle = 0
        self.updatedAt = updatedAt
        totalSizeBytes = 0
        bundles = []
    }

    /// Reads `plc_bundles.json` from a directory; `nil` when there is none.
    /// - Parameters:
    ///   - directory: the bundle directory.
    package static func load(from directory: URL) throws -> PLCBundleIndex? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONDecoder().decode(PLCBundleIndex.self, from: Data(contentsOf: url))
    }

    /// Writes the index into `directory` atomically: a temporary file, then a rename over the old one.
    /// - Parameters:
    ///   - directory: the bundle directory.
    package func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try PLCBundleFiles.writeAtomically(try encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }
}

/// File helpers for bundle directories.
package enum PLCBundleFiles {
    /// Writes `data` to a temporary file beside `url`, flushes it, and renames it over `url`.
    package static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        try data.write(to: temporary)
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.synchronize()
        try handle.close()
        if rename(temporary.path, url.path) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
