import ATCore

/// Small edits of JSON views, for read-after-write munging.
extension JSONValue {
    /// This object with `key` set to `value`, or removed when `value` is `nil` (as a JS spread with an `undefined`
    /// member serializes); anything but an object is returned unchanged.
    /// - Parameters:
    ///   - key: the member.
    ///   - value: its new value.
    func setting(_ key: String, _ value: JSONValue?) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = value
        return .object(members)
    }

    /// The `$type` of this object, if any.
    var lexType: String? { self["$type"]?.string }

    /// Whether this object's `$type` is `type` (the reference's `$isTypeOf`: a `#main` suffix is the same type).
    /// - Parameters:
    ///   - type: the NSID, with a `#def` fragment for other definitions than `main`.
    func isType(_ type: String) -> Bool {
        guard let lexType else { return false }
        return lexType == type || lexType == type + "#main"
    }
}

extension LexValue {
    /// Whether this map's `$type` is `type` (or `type#main`).
    /// - Parameters:
    ///   - type: the NSID.
    func isType(_ type: String) -> Bool {
        guard let lexType = self["$type"]?.string else { return false }
        return lexType == type || lexType == type + "#main"
    }
}
