import ATCore

/// A ``PLCClient`` for a PLC directory over HTTP.
///
/// The directory URL is operator configuration (`PDS_DID_PLC_URL`), so it is fetched without the SSRF guard, but
/// with a timeout and a response size limit.
package struct HTTPPLCClient: PLCClient {
    /// The directory URL, without a trailing slash.
    package let url: String
    private let fetcher: HTTPFetcher

    /// Creates a client.
    /// - Parameters:
    ///   - url: the directory URL, for example `https://plc.directory`.
    ///   - timeout: the per-request deadline.
    ///   - maxResponseSize: the largest response accepted (audit logs can be long).
    package init(url: String, timeout: Duration = .seconds(10), maxResponseSize: Int = 4 << 20) {
        self.url = url.trimmingSuffix("/")
        self.fetcher = HTTPFetcher(
            configuration: .init(timeout: timeout, maxResponseSize: maxResponseSize, ssrfProtection: false))
    }

    package func getDocument(_ did: DID) async throws -> DIDDocument {
        let body = try await get(did, "")
        do { return try DIDDocument.parse(body) } catch { throw PLCError.directory(status: 200, message: "\(error)") }
    }

    package func getDocumentData(_ did: DID) async throws -> PLCState {
        try PLCState.parseData(try json(try await get(did, "/data"))).state
    }

    package func getOperationLog(_ did: DID) async throws -> [PLCOperation] {
        guard case .array(let items) = try json(try await get(did, "/log")) else {
            throw PLCError.directory(status: 200, message: "log is not an array")
        }
        return try items.map { (item) throws(PLCError) in try PLCOperation(json: item) }
    }

    package func getAuditLog(_ did: DID) async throws -> [PLCLogEntry] {
        guard case .array(let items) = try json(try await get(did, "/log/audit")) else {
            throw PLCError.directory(status: 200, message: "audit log is not an array")
        }
        return try items.map { (item) throws(PLCError) in try PLCLogEntry(json: item) }
    }

    package func getLastOperation(_ did: DID) async throws -> PLCOperation {
        try PLCOperation(json: try json(try await get(did, "/log/last")))
    }

    package func sendOperation(_ did: DID, _ operation: PLCOperation) async throws {
        let response = try await fetcher.post("\(url)/\(did.rawValue)", json: operation.jsonValue.serialized)
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
    }

    // MARK: - Helpers

    private func get(_ did: DID, _ suffix: String) async throws -> [UInt8] {
        let response = try await fetcher.get("\(url)/\(did.rawValue)\(suffix)")
        if response.status == 404 {
            let message = Self.message(response.body)
            if message.hasPrefix("DID not available") { throw PLCError.notAvailable(did.rawValue) }
            throw PLCError.notRegistered(did.rawValue)
        }
        guard response.status == 200 else { throw Self.error(response) }
        return response.body
    }

    private func json(_ bytes: [UInt8]) throws -> JSONValue {
        do { return try JSONValue(parsing: bytes) } catch {
            throw PLCError.directory(status: 200, message: "invalid JSON from directory")
        }
    }

    /// The directory's `{"message": …}` text, or the raw body.
    static func message(_ body: [UInt8]) -> String {
        if let json = try? JSONValue(parsing: body), case .string(let message) = json["message"] { return message }
        return String(decoding: body.prefix(512), as: UTF8.self)
    }

    static func error(_ response: HTTPFetcher.Response) -> PLCError {
        .directory(status: response.status, message: message(response.body))
    }
}
