import ATCore
import Foundation
import Hummingbird

/// Reading XRPC request bodies with size limits.
package enum XRPCBody {
    /// The reference's JSON body limit for most procedures (150 KiB).
    package static let defaultJSONLimit = 150 * 1024
    /// The JSON body limit for repo writes (createRecord, putRecord, applyWrites).
    package static let writeJSONLimit = 1_000_000

    /// The raw body, at most `limit` bytes.
    /// - Throws: 413 `PayloadTooLarge` when it is longer.
    package static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw payloadTooLarge
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw payloadTooLarge
        }
    }

    /// The body as an atproto data-model value (strict JSON, `$link`/`$bytes` mapped). An empty body is `{}`, as the
    /// reference's JSON body parser reads it. The `Content-Type` was checked by ``XRPCLexiconMiddleware``.
    /// - Throws: 400 `InvalidRequest` for malformed JSON ("Invalid JSON: unexpected end of input at offset 12") or a
    ///   value outside the data model ("Invalid data: …"), 413 when too large.
    package static func lexValue(_ request: Request, limit: Int = defaultJSONLimit) async throws -> LexValue {
        let bytes = try await self.bytes(request, limit: limit)
        if bytes.isEmpty { return .map([:]) }
        do {
            return try LexValue(jsonBytes: bytes)
        } catch {
            throw XRPCError.invalidRequest(Self.message(error, bytes: bytes))
        }
    }

    /// The body decoded as `T`; an empty body is decoded as `{}`.
    /// - Throws: 400 `InvalidRequest` naming what could not be decoded, 413 when too large.
    package static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = defaultJSONLimit)
        async throws -> T
    {
        var bytes = try await self.bytes(request, limit: limit)
        if bytes.isEmpty { bytes = Array("{}".utf8) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw XRPCError.invalidRequest("Input must have the property \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = Self.path(context.codingPath)
            throw XRPCError.invalidRequest(path.isEmpty ? "Input must be an object" : "Input/\(path) has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            let path = Self.path(context.codingPath)
            if !path.isEmpty { throw XRPCError.invalidRequest("Input/\(path) is invalid") }
            // Foundation's reason names no position: our parser says what is wrong, and where.
            do {
                _ = try JSONValue(parsing: bytes)
            } catch {
                throw XRPCError.invalidRequest("\(error)")
            }
            throw XRPCError.invalidRequest("Invalid JSON")
        } catch {
            // A type's own decoding check failed; its error is not written for clients.
            throw XRPCError.invalidRequest("Input is invalid")
        }
    }

    /// A coding path as `a/0/b`.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
    }

    /// The message for a body that is not a data-model value: the parser's or the data model's reason, e.g.
    /// "Invalid JSON: nesting too deep at offset 252"; a valid JSON value that is not an object is
    /// "Input must be an object".
    private static func message(_ error: any Error, bytes: [UInt8]) -> String {
        if case .invalidDataModel? = error as? DataModelError, let json = try? JSONValue(parsing: bytes) {
            if case .object = json {} else { return "Input must be an object" }
        }
        return "\(error)"
    }

    static let payloadTooLarge = XRPCError(status: .contentTooLarge, name: XRPCErrorName.payloadTooLarge, message: "request entity too large")
}
