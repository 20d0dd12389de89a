import ATCore
import Foundation
import HummingbirdWSClient
import Logging

/// The upstream's `/export/stream` WebSocket, as the replica reads it.
extension PLCUpstreamExport {
    /// One stream message: its sequence number and the `/export` line it carries.
    package struct StreamRecord: Sendable, Equatable {
        /// The upstream's sequence number.
        package var seq: Int64
        /// The record without `type` and `seq`, serialised like an `/export` line (members sorted by name).
        package var line: String
    }

    /// The stream's URL: the base URL with `ws`/`wss` for `http`/`https`, then `/export/stream`.
    var streamURL: String {
        var url = baseURL
        if url.hasPrefix("https://") {
            url = "wss://" + url.dropFirst("https://".count)
        } else if url.hasPrefix("http://") {
            url = "ws://" + url.dropFirst("http://".count)
        }
        return url + "/export/stream"
    }

    /// Reads one text message of the stream.
    /// - Parameters:
    ///   - text: the message.
    /// - Returns: the record, or `nil` when the message is not a JSON object with an integer `seq`.
    package static func streamRecord(_ text: String) -> StreamRecord? {
        guard let json = try? JSONValue(parsing: Array(text.utf8)), case .object(var members) = json,
            case .number(let raw)? = members["seq"], let seq = Int64(raw)
        else { return nil }
        members["seq"] = nil
        members["type"] = nil
        return StreamRecord(seq: seq, line: JSONValue.object(members).serializedString)
    }

    /// Connects to `/export/stream` (live operations only, no cursor) and runs `handler` on the open connection.
    /// - Parameters:
    ///   - logger: the client's logger.
    ///   - handler: reads the messages; the connection closes when it returns.
    /// - Throws: when the upstream refuses the upgrade (it has no stream) or the connection fails.
    func followStream(
        logger: Logger, handler: @escaping @Sendable (WebSocketInboundStream) async throws -> Void
    ) async throws {
        try await WebSocketClient.connect(url: streamURL, logger: logger) { inbound, _, _ in
            try await handler(inbound)
        }
    }
}
