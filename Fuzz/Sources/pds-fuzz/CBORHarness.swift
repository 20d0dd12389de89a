import ATCore

/// DAG-CBOR decoding. The decoder promises to accept exactly what the encoder writes, so whatever it accepts must
/// encode back to the same bytes.
enum CBORHarness {
    static func run(_ input: [UInt8]) {
        if let value = try? DAGCBOR.decode(input) {
            precondition(DAGCBOR.encode(value) == input, "decoded DAG-CBOR does not re-encode to its bytes")
            _ = value.jsonBytes
        }
        if let (value, length) = try? DAGCBOR.decodePrefix(input) {
            precondition(length > 0 && length <= input.count, "prefix length out of bounds")
            precondition(DAGCBOR.encode(value) == Array(input[..<length]), "decoded prefix does not re-encode")
        }
    }
}
