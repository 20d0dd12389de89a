import ATCore

/// The strict JSON parser and the JSON-to-data-model conversion. Whatever parses must serialize and parse back to
/// the same value, and whatever converts must survive DAG-CBOR and JSON round trips unchanged.
enum JSONHarness {
    static func run(_ input: [UInt8]) {
        guard let json = try? JSONValue(parsing: input) else { return }
        precondition((try? JSONValue(parsing: json.serialized)) == json, "serialized JSON does not parse back")
        guard let value = try? LexValue(json: json, requireMap: false) else { return }
        precondition((try? DAGCBOR.decode(DAGCBOR.encode(value))) == value, "DAG-CBOR round trip changed the value")
        precondition((try? LexValue(jsonBytes: value.jsonBytes, requireMap: false)) == value, "JSON round trip changed the value")
    }
}
