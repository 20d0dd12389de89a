import ATCore
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Identity
import Logging

/// A PLC directory inside this binary, for local development and tests: a SQLite operation log
/// (``PLCOperationStore``) that validates like the real directory, served over HTTP with the real directory's
/// routes, and usable in-process as a ``PLCClient``.
///
/// Routes: `GET /:did`, `/:did/data`, `/:did/log`, `/:did/log/audit`, `/:did/log/last`, `POST /:did`, and
/// `GET /export?after=&count=` (JSON lines), and the WebSocket `GET /export/stream?cursor=<seq>`
/// (``addWebSocketRoutes(to:)``).
///
/// To serve it on its own port (`pds plc serve`, or beside a dev-mode PDS), run ``makeApplication(host:port:logger:)``
/// as a `Service`; to mount it in another router, call ``addRoutes(to:)`` on a group.
package final class EmbeddedPLCDirectory: PLCClient, Sendable {
    /// The operation log.
    package let store: PLCOperationStore
    /// Why `POST /:did` is refused, when this directory is a read-only replica; `nil` accepts submissions.
    package let readOnlyReason: String?

    /// Opens the directory's database.
    /// - Parameters:
    ///   - databasePath: the SQLite file, created if needed.
    ///   - now: the clock for `createdAt` and the 72-hour recovery window.
    ///   - readOnlyReason: set for a replica: submissions are refused with this message.
    package init(databasePath: String, now: @escaping @Sendable () -> Date = { Date() }, readOnlyReason: String? = nil)
        throws
    {
        self.store = try PLCOperationStore(path: databasePath, now: now)
        self.readOnlyReason = readOnlyReason
    }

    // MARK: - PLCClient (in-process)

    package func getDocument(_ did: DID) async throws -> DIDDocument {
        try await store.state(did).didDocument(did: did)
    }

    package func getDocumentData(_ did: DID) async throws -> PLCState { try await store.state(did) }

    package func getOperationLog(_ did: DID) async throws -> [PLCOperation] { try await store.operationLog(did) }

    package func getAuditLog(_ did: DID) async throws -> [PLCLogEntry] {
        let entries = try await store.auditLog(did)
        guard !entries.isEmpty else { throw PLCError.notRegistered(did.rawValue) }
        return entries
    }

    package func getLastOperation(_ did: DID) async throws -> PLCOperation { try await store.lastOperation(did) }

    package func sendOperation(_ did: DID, _ operation: PLCOperation) async throws {
        try await store.submit(operation, for: did)
    }

    // MARK: - HTTP

    /// The largest request body accepted (operations are at most a few KB).
    static let maxBodySize = 64 * 1024

    /// Registers the directory's routes.
    /// - Parameters:
    ///   - router: a router or group; routes are added relative to it.
    package func addRoutes<Context: RequestContext>(to router: some RouterMethods<Context>) {
        router.get("_health") { _, _ in JSONValueResponse.make(.object(["version": .string("swift-pds")])) }
        router.get("export") { request, _ in try await self.export(request) }
        router.get(":did") { _, context in
            try await self.respond {
                let did = try Self.did(context)
                return JSONValueResponse.make(
                    try JSONValue(parsing: try await self.getDocument(did).jsonBytes),
                    contentType: "application/did+ld+json")
            }
        }
        router.get(":did/data") { _, context in
            try await self.respond {
                let did = try Self.did(context)
                return JSONValueResponse.make(try await self.store.state(did).dataJSON(did: did))
            }
        }
        router.get(":did/log") { _, context in
            try await self.respond {
                let log = try await self.store.operationLog(try Self.did(context))
                return JSONValueResponse.make(.array(log.map(\.jsonValue)))
            }
        }
        router.get(":did/log/audit") { _, context in
            try await self.respond {
                let log = try await self.getAuditLog(try Self.did(context))
                return JSONValueResponse.make(.array(log.map(\.jsonValue)))
            }
        }
        router.get(":did/log/last") { _, context in
            try await self.respond {
                JSONValueResponse.make(try await self.store.lastOperation(try Self.did(context)).jsonValue)
            }
        }
        router.post(":did") { request, context in
            if let reason = self.readOnlyReason { throw PLCHTTPError(status: .methodNotAllowed, message: reason) }
            return try await self.respond {
                let did = try Self.did(context)
                let body = try await request.body.collect(upTo: Self.maxBodySize)
                let operation = try PLCOperation(jsonBytes: body.readableBytesView)
                try await self.store.submit(operation, for: did)
                return Response(status: .ok)
            }
        }
    }

    /// An application serving only the directory.
    /// - Parameters:
    ///   - host: the address to bind (default loopback).
    ///   - port: the port (0 picks a free one).
    ///   - logger: the server logger.
    /// - Returns: a Hummingbird application; run it with `runService()` or add it to a `ServiceGroup`.
    ///   - extraRoutes: adds more routes (a replica's status, bundles) to the same router.
    package func makeApplication(
        host: String = "127.0.0.1", port: Int, logger: Logger,
        extraRoutes: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        extraRoutes(router)
        addRoutes(to: router)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        addWebSocketRoutes(to: webSocketRouter)
        return Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname(host, port: port), serverName: "swift-pds-plc"), logger: logger)
    }

    // MARK: - Handlers

    private func export(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        var count = 1000
        if let raw = parameters.get("count") {
            guard let parsed = Int(raw), parsed >= 1 else {
                throw PLCHTTPError(status: .badRequest, message: "Invalid count parameter")
            }
            count = min(parsed, 1000)
        }
        var cursor: PLCOperationStore.ExportCursor?
        if let raw = parameters.get("after") {
            if let seq = Int64(raw) {
                cursor = .sequence(seq)
            } else if let date = try? Datetime(raw) {
                cursor = .createdAfter(date.date)
            } else {
                throw PLCHTTPError(status: .badRequest, message: "Invalid after parameter")
            }
        }
        let page = try await store.export(after: cursor, count: count)
        var body: [UInt8] = []
        for (index, item) in page.enumerated() {
            if index > 0 { body.append(UInt8(ascii: "\n")) }
            var line = Self.exportRecord(item.entry)
            if case .sequence = cursor {
                line["nullified"] = nil
                line["type"] = .string("indexed_op")
                line["seq"] = .number(String(item.seq))
            }
            JSONValue.object(line).write(into: &body)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/jsonlines"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// One operation as an `/export` line's members: `{did, operation, cid, nullified, createdAt}`.
    static func exportRecord(_ entry: PLCLogEntry) -> [String: JSONValue] {
        [
            "did": .string(entry.did.rawValue), "operation": entry.operation.jsonValue,
            "cid": .string(entry.cid.description), "nullified": .bool(entry.nullified),
            "createdAt": .string(Datetime(entry.createdAt).rawValue),
        ]
    }

    /// Runs a handler, turning directory refusals into `{"message"}` responses.
    private func respond(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as PLCError {
            throw PLCHTTPError(error)
        }
    }

    private static func did(_ context: some RequestContext) throws -> DID {
        let raw = context.parameters.get("did") ?? ""
        guard let did = try? DID(raw) else { throw PLCHTTPError(status: .badRequest, message: "Invalid DID: \(raw)") }
        return did
    }
}
