import ATCore
import Foundation

/// A row of `repo_seq`: a stored event with its sequence number and time, ready to emit.
///
/// The frame is built from the stored bytes themselves: the header `{op: 1, t}` followed by the stored map with `seq`
/// and `time` spliced in (``DAGCBOR/spliceMap(_:adding:into:)``), so rows written by the reference PDS are emitted
/// exactly as it would emit them, fields we do not model included, and no event is decoded and re-encoded on its way
/// to subscribers. The frame is built once when the value is made and then shared by every subscriber.
package struct SequencedEvent: Hashable, Sendable {
    /// The sequence number.
    package let seq: Int64
    /// The account.
    package let did: DID
    /// The stored event type.
    package let type: SeqEventType
    /// `sequencedAt`: when the event was sequenced (ISO 8601, milliseconds, UTC), emitted as `time`.
    package let time: String
    /// The stored bytes (`repo_seq.event`: the DAG-CBOR map without `seq` and `time`).
    package let bodyBytes: [UInt8]
    /// The complete subscription frame: header `{op: 1, t}` and the body with `seq` and `time`.
    package let frameBytes: [UInt8]

    /// An event from its stored parts.
    /// - Parameters:
    ///   - seq: the sequence number.
    ///   - did: the account.
    ///   - type: the event type.
    ///   - time: the `sequencedAt` string.
    ///   - bodyBytes: the stored DAG-CBOR map.
    /// - Throws: `DataModelError` when `bodyBytes` is not a DAG-CBOR map.
    package init(seq: Int64, did: DID, type: SeqEventType, time: String, bodyBytes: [UInt8]) throws {
        self.seq = seq
        self.did = did
        self.type = type
        self.time = time
        self.bodyBytes = bodyBytes
        var frame = type.frameHeader
        frame.reserveCapacity(frame.count + bodyBytes.count + time.utf8.count + 16)
        try DAGCBOR.spliceMap(
            bodyBytes, adding: [("seq", .integer(seq)), ("time", .string(time))], into: &frame)
        self.frameBytes = frame
    }

    /// The stored body, decoded (for tests and tools; the firehose sends ``frameBytes``); `.null` when the stored
    /// bytes, whose map structure was checked when the value was made, do not decode.
    package var body: LexValue { (try? DAGCBOR.decode(bodyBytes)) ?? .null }

    /// The typed event.
    /// - Throws: `SequencerError.invalidEvent` when the stored body does not have the lexicon's shape.
    package func event() throws -> SeqEvent {
        try SeqEvent(type: type, bodyBytes: bodyBytes)
    }

    /// The frame, parsed back (for tests and tools; the endpoint sends ``frameBytes``); an `InvalidFrame` error frame
    /// when the stored bytes do not decode.
    package var frame: SubscriptionFrame {
        (try? SubscriptionFrame(bytes: frameBytes)) ?? .error(name: "InvalidFrame", message: nil)
    }

    /// `sequencedAt` as an instant, when it parses.
    package var date: Date? { (try? Datetime(time))?.date }
}

extension SeqEventType {
    /// The encoded frame header `{op: 1, t: "#<type>"}`.
    var frameHeader: [UInt8] {
        switch self {
        case .append: Self.headers[0]
        case .sync: Self.headers[1]
        case .identity: Self.headers[2]
        case .account: Self.headers[3]
        }
    }

    private static let headers: [[UInt8]] = [SeqEventType.append, .sync, .identity, .account].map {
        DAGCBOR.encode(.map(["op": .integer(1), "t": .string($0.messageType)]))
    }
}

/// One message of a `subscribeRepos` stream: a sequenced event, or an `#info` the outbox produced.
package enum OutboxItem: Hashable, Sendable {
    /// A sequenced event.
    case event(SequencedEvent)
    /// `#info {name, message?}`.
    case info(name: String, message: String?)

    /// The `#info` sent when a cursor is older than the backfill window.
    package static let outdatedCursor = OutboxItem.info(
        name: "OutdatedCursor", message: "Requested cursor exceeded limit. Possibly missing events")

    /// The sequence number, for events.
    package var seq: Int64? {
        if case .event(let event) = self { event.seq } else { nil }
    }

    /// The frame.
    package var frame: SubscriptionFrame {
        switch self {
        case .event(let event):
            return event.frame
        case .info(let name, let message):
            var body: [String: LexValue] = ["name": .string(name)]
            if let message { body["message"] = .string(message) }
            return .message(type: "#info", body: .map(body))
        }
    }

    /// The frame's bytes: one binary WebSocket message.
    package var frameBytes: [UInt8] {
        switch self {
        case .event(let event): event.frameBytes
        case .info: frame.bytes
        }
    }
}
