import ATCore
import Foundation

/// A row of `repo_seq`: a stored event with its sequence number and time, ready to emit.
///
/// The frame is built from the stored map itself (plus `seq` and `time`), not from ``SeqEvent``, so rows written by
/// the reference PDS are emitted exactly as it would emit them, fields we do not model included. It is encoded once
/// when the value is made and then shared by every subscriber.
package struct SequencedEvent: Hashable, Sendable {
    /// The sequence number.
    package let seq: Int64
    /// The account.
    package let did: DID
    /// The stored event type.
    package let type: SeqEventType
    /// `sequencedAt`: when the event was sequenced (ISO 8601, milliseconds, UTC), emitted as `time`.
    package let time: String
    /// The stored body (without `seq` and `time`).
    package let body: LexValue
    /// The complete subscription frame: header `{op: 1, t}` and the body with `seq` and `time`.
    package let frameBytes: [UInt8]

    /// An event from its parts.
    /// - Parameters:
    ///   - seq: the sequence number.
    ///   - did: the account.
    ///   - type: the event type.
    ///   - time: the `sequencedAt` string.
    ///   - body: the stored body.
    package init(seq: Int64, did: DID, type: SeqEventType, time: String, body: LexValue) {
        self.seq = seq
        self.did = did
        self.type = type
        self.time = time
        self.body = body
        var map = body.map ?? [:]
        map["seq"] = .integer(seq)
        map["time"] = .string(time)
        self.frameBytes = SubscriptionFrame.message(type: type.messageType, body: .map(map)).bytes
    }

    /// The typed event.
    /// - Throws: `SequencerError.invalidEvent` when the stored body does not have the lexicon's shape.
    package func event() throws -> SeqEvent {
        try SeqEvent(type: type, body: body)
    }

    /// The frame, parsed back (for tests and tools; the endpoint sends ``frameBytes``).
    package var frame: SubscriptionFrame {
        var map = body.map ?? [:]
        map["seq"] = .integer(seq)
        map["time"] = .string(time)
        return .message(type: type.messageType, body: .map(map))
    }

    /// `sequencedAt` as an instant, when it parses.
    package var date: Date? { (try? Datetime(time))?.date }
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
