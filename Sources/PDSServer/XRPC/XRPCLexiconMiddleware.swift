import Foundation
import Hummingbird
import Lexicon

/// Enforces what a served method's lexicon says about the request before its handler runs, as the reference's
/// xrpc-server does for every method: the query parameters (``XRPCParameters/validate(against:validator:)``) and the
/// request body.
///
/// Body rules (the reference's `createLexiconInputVerifier`), all 400 `InvalidRequest`:
/// - a procedure with an `input` needs a body: no `Content-Length` and no `Transfer-Encoding` is
///   "A request body is expected but none was provided" (`Content-Length: 0` is an empty body, read as `{}` for JSON);
/// - it needs a `Content-Type`: "Request encoding (Content-Type) required but not provided";
/// - its media type (parameters dropped, case-insensitive) must be one of the lexicon's `input.encoding`s unless that
///   is `*/*`: "Wrong request encoding (Content-Type): text/plain";
/// - a query, or a procedure with no `input`, must come without a body:
///   "A request body was provided when none was expected".
///
/// It is added to the router group holding the served XRPC methods, so a method this server does not serve still
/// answers `MethodNotImplemented` whatever its parameters. A served method missing from the embedded lexicons
/// (``KnownLexicons``) passes unchecked; `XRPCLexiconMiddlewareTests` checks that none is.
///
/// The reference checks the parameters before authentication and the body after it; here both come before the
/// handler authenticates, so a request wrong in both ways gets the 400 rather than the 401.
struct XRPCLexiconMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The catalog holding the methods' lexicons.
    let catalog: LexiconCatalog

    init(catalog: LexiconCatalog = KnownLexicons.catalog) {
        self.catalog = catalog
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let nsid = request.xrpcMethod, let schema = XRPCMethodSchema(nsid: nsid, catalog: catalog) else {
            return try await next(request, context)
        }
        if let parameters = schema.parameters {
            try XRPCParameters(request).validate(against: parameters)
        }
        try await Self.checkBody(request, schema: schema)
        return try await next(request, context)
    }

    /// Whether a request has a body, from its framing headers only (the reference's `getBodyPresence`).
    enum BodyPresence: Equatable { case missing, empty, present }

    static func bodyPresence(_ headers: HTTPFields) -> BodyPresence {
        if headers[.transferEncoding] != nil { return .present }
        guard let length = headers[.contentLength] else { return .missing }
        return length.trimmingCharacters(in: .whitespaces) == "0" ? .empty : .present
    }

    /// The request's media type: the `Content-Type` without parameters, lower-cased; `nil` when there is none.
    static func encoding(_ headers: HTTPFields) -> String? {
        guard let raw = headers[.contentType] else { return nil }
        let type = raw.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type.isEmpty ? nil : type
    }

    /// The body rules above.
    /// - Throws: 400 `InvalidRequest`.
    static func checkBody(_ request: Request, schema: XRPCMethodSchema) async throws {
        let presence = bodyPresence(request.headers)
        guard let accepted = schema.inputEncodings else {
            guard presence == .present else { return }
            // A chunked body may still be empty: only bytes count.
            if request.headers[.transferEncoding] != nil {
                for try await chunk in request.body where chunk.readableBytes > 0 {
                    throw XRPCError.invalidRequest("A request body was provided when none was expected")
                }
                return
            }
            throw XRPCError.invalidRequest("A request body was provided when none was expected")
        }
        if presence == .missing {
            throw XRPCError.invalidRequest("A request body is expected but none was provided")
        }
        guard let encoding = encoding(request.headers) else {
            throw XRPCError.invalidRequest("Request encoding (Content-Type) required but not provided")
        }
        if !accepted.contains("*/*") && !accepted.contains(encoding) {
            throw XRPCError.invalidRequest("Wrong request encoding (Content-Type): \(encoding)")
        }
    }
}
