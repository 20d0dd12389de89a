import ATCore
import Foundation
import Hummingbird
import NIOCore
import PLCBundle

/// Serves a plcbundle v1 archive: `GET /bundles/plc_bundles.json` (the index) and `GET /bundles/NNNNNN.jsonl.zst`.
/// Only those two name shapes are served, so a request cannot name another file.
package enum PLCBundleRoutes {
    /// Registers the routes.
    /// - Parameters:
    ///   - router: where to add them.
    ///   - directory: the bundle directory.
    package static func add<Context: RequestContext>(to router: some RouterMethods<Context>, directory: URL) {
        router.get("bundles/:file") { _, context in
            let name = context.parameters.get("file") ?? ""
            let contentType: String
            if name == PLCBundleIndex.fileName {
                contentType = "application/json"
            } else if isBundleFileName(name) {
                contentType = "application/zstd"
            } else {
                throw PLCHTTPError(status: .notFound, message: "Not found")
            }
            let path = directory.appendingPathComponent(name).path
            let data = try await BlockingPool.shared.run { FileManager.default.contents(atPath: path) }
            guard let data else { throw PLCHTTPError(status: .notFound, message: "Not found") }
            return Response(
                status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Whether `name` is six digits followed by `.jsonl.zst`.
    static func isBundleFileName(_ name: String) -> Bool {
        let suffix = ".jsonl.zst"
        guard name.hasSuffix(suffix) else { return false }
        let digits = name.dropLast(suffix.count)
        return digits.count == 6 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
