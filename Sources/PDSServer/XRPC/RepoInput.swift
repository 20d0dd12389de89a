import ATCore
import ATRepo

/// Reading fields of a JSON procedure input kept as a data-model value (records must stay `LexValue`).
struct RepoInput {
    let value: LexValue

    init(_ value: LexValue) throws {
        guard case .map = value else { throw XRPCError.invalidRequest("Input must be an object") }
        self.value = value
    }

    func string(_ name: String) throws -> String? {
        switch value[name] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw XRPCError.invalidRequest("Input/\(name) must be a string")
        }
    }

    func requireString(_ name: String) throws -> String {
        guard let s = try string(name) else {
            throw XRPCError.invalidRequest("Input must have the property \"\(name)\"")
        }
        return s
    }

    /// An optional string field parsed with `parse`; absent or `null` gives `nil`.
    /// - Throws: 400 `InvalidRequest` when the field is not a string or does not parse.
    func parse<T>(_ name: String, _ parse: (String) throws -> T) throws -> T? {
        guard let raw = try string(name) else { return nil }
        do { return try parse(raw) } catch { throw XRPCError.invalidRequest("Input/\(name) must be valid: \(raw)") }
    }

    /// A required string field parsed with `parse`.
    /// - Throws: 400 `InvalidRequest` when the field is missing, not a string, or does not parse.
    func required<T>(_ name: String, _ parse: (String) throws -> T) throws -> T {
        let raw = try requireString(name)
        do { return try parse(raw) } catch { throw XRPCError.invalidRequest("Input/\(name) must be valid: \(raw)") }
    }

    func bool(_ name: String) throws -> Bool? {
        switch value[name] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw XRPCError.invalidRequest("Input/\(name) must be a boolean")
        }
    }

    func record(_ name: String = "record") throws -> LexValue {
        guard let record = value[name] else {
            throw XRPCError.invalidRequest("Input must have the property \"\(name)\"")
        }
        guard case .map = record else { throw XRPCError.invalidRequest("Input/\(name) must be an object") }
        return record
    }

    /// A `swapRecord`-style field: absent → no check, `null` → must be absent, a CID → must match.
    func swap(_ name: String) throws -> RepoWrite.Swap? {
        switch value[name] {
        case nil: return nil
        case .null?: return .absent
        case .string(let raw)?:
            guard let cid = try? CID(raw) else { throw XRPCError.invalidRequest("Input/\(name) must be a cid string") }
            return .cid(cid)
        default: throw XRPCError.invalidRequest("Input/\(name) must be a cid string")
        }
    }
}
