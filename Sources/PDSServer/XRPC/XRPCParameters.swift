import ATCore
import Hummingbird

/// Query parameters of an XRPC call, with the reference's error messages for missing or malformed values.
package struct XRPCParameters: Sendable {
    private let values: [(name: String, value: String)]

    /// The parameters of `request`'s URL.
    package init(_ request: Request) {
        values = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
    }

    /// Parameters from name/value pairs (tests).
    package init(_ pairs: [(String, String)]) {
        values = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of `name`.
    package func string(_ name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    /// Every value of `name` (array parameters repeat the name).
    package func strings(_ name: String) -> [String] {
        values.filter { $0.name == name }.map(\.value)
    }

    /// The value of a required parameter.
    /// - Throws: 400 `InvalidRequest` when it is missing.
    package func require(_ name: String) throws(XRPCError) -> String {
        guard let value = string(name), !value.isEmpty else {
            throw .invalidRequest("Error: Params must have the property \"\(name)\"")
        }
        return value
    }

    /// An optional value parsed with `parse`, e.g. `params.parse("did", DID.init)`.
    /// - Throws: 400 `InvalidRequest` naming the parameter when the value does not parse.
    package func parse<T>(_ name: String, _ parse: (String) throws -> T) throws(XRPCError) -> T? {
        guard let raw = string(name) else { return nil }
        do {
            return try parse(raw)
        } catch {
            throw .invalidRequest("Error: \(name) must be valid: \(raw)")
        }
    }

    /// A required value parsed with `parse`.
    package func parseRequired<T>(_ name: String, _ parse: (String) throws -> T) throws(XRPCError) -> T {
        let raw = try require(name)
        do {
            return try parse(raw)
        } catch {
            throw .invalidRequest("Error: \(name) must be valid: \(raw)")
        }
    }

    /// An integer in `range`, or `defaultValue` when absent.
    /// - Throws: 400 `InvalidRequest` when it is not an integer or out of range.
    package func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(XRPCError) -> Int {
        guard let raw = string(name) else { return defaultValue }
        guard let value = Int(raw) else { throw .invalidRequest("Error: \(name) must be an integer") }
        guard range.contains(value) else {
            throw .invalidRequest(
                value < range.lowerBound
                    ? "Error: \(name) can not be less than \(range.lowerBound)"
                    : "Error: \(name) can not be greater than \(range.upperBound)")
        }
        return value
    }

    /// An optional boolean (`true`/`false`).
    /// - Throws: 400 `InvalidRequest` for any other text.
    package func boolean(_ name: String) throws(XRPCError) -> Bool? {
        switch string(name) {
        case nil: nil
        case "true": true
        case "false": false
        default: throw .invalidRequest("Error: \(name) must be a boolean")
        }
    }
}
