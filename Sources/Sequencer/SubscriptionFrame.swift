import ATCore

/// One binary WebSocket message of an XRPC subscription: a DAG-CBOR header followed by a DAG-CBOR body.
///
/// A message frame has header `{op: 1, t: "#<type>"}`; an error frame has header `{op: -1}` and body
/// `{error, message?}`.
package enum SubscriptionFrame: Equatable, Sendable {
    /// A message of type `type` (e.g. `#commit`).
    case message(type: String, body: LexValue)
    /// An error that ends the stream.
    case error(name: String, message: String?)

    /// The frame's bytes.
    package var bytes: [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .message(let type, let body):
            DAGCBOR.encode(.map(["op": .integer(1), "t": .string(type)]), into: &out)
            DAGCBOR.encode(body, into: &out)
        case .error(let name, let message):
            DAGCBOR.encode(.map(["op": .integer(-1)]), into: &out)
            var body: [String: LexValue] = ["error": .string(name)]
            if let message { body["message"] = .string(message) }
            DAGCBOR.encode(.map(body), into: &out)
        }
        return out
    }

    /// Parses a frame.
    /// - Throws: `SequencerError.invalidFrame` when the header or body is malformed.
    package init(bytes: [UInt8]) throws {
        let header: LexValue
        let headerLength: Int
        do {
            (header, headerLength) = try DAGCBOR.decodePrefix(bytes)
        } catch {
            throw SequencerError.invalidFrame("invalid header: \(error)")
        }
        let body = try Self.decode(bytes[headerLength...], what: "body")
        switch header["op"]?.integer {
        case 1:
            guard let type = header["t"]?.string, type.hasPrefix("#") else {
                throw SequencerError.invalidFrame("message header without a '#type'")
            }
            guard case .map = body else { throw SequencerError.invalidFrame("message body is not a map") }
            self = .message(type: type, body: body)
        case -1:
            guard let name = body["error"]?.string else { throw SequencerError.invalidFrame("error body without error") }
            self = .error(name: name, message: body["message"]?.string)
        default:
            throw SequencerError.invalidFrame("unknown op")
        }
    }

    private static func decode(_ bytes: ArraySlice<UInt8>, what: String) throws -> LexValue {
        do {
            return try DAGCBOR.decode(bytes)
        } catch {
            throw SequencerError.invalidFrame("invalid \(what): \(error)")
        }
    }
}
