extension LexValue: ExpressibleByNilLiteral {
    /// `nil` is `.null`.
    /// - Parameters:
    ///   - nilLiteral: unused.
    package init(nilLiteral: ()) { self = .null }
}

extension LexValue: ExpressibleByBooleanLiteral {
    /// A boolean literal.
    /// - Parameters:
    ///   - value: the boolean.
    package init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension LexValue: ExpressibleByIntegerLiteral {
    /// An integer literal.
    /// - Parameters:
    ///   - value: the integer.
    package init(integerLiteral value: Int64) { self = .integer(value) }
}

extension LexValue: ExpressibleByStringLiteral {
    /// A string literal.
    /// - Parameters:
    ///   - value: the string.
    package init(stringLiteral value: String) { self = .string(value) }
}

extension LexValue: ExpressibleByArrayLiteral {
    /// An array literal.
    /// - Parameters:
    ///   - elements: the elements.
    package init(arrayLiteral elements: LexValue...) { self = .array(elements) }
}

extension LexValue: ExpressibleByDictionaryLiteral {
    /// A map literal; a repeated key keeps the last value.
    /// - Parameters:
    ///   - elements: the entries.
    package init(dictionaryLiteral elements: (String, LexValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
