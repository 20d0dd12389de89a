import Foundation

/// Runs `body` with a fresh temporary directory, removed afterwards.
package func withTemporaryDirectory<T>(
    prefix: String = "pds-tests", _ body: (URL) async throws -> T
) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}
