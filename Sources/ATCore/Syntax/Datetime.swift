import Foundation

/// A Lexicon `datetime`: the RFC 3339 / ISO 8601 subset `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`.
///
/// Validation has two layers. ``checkSyntax(_:)`` is the superficial shape (four-digit year, uppercase `T` and
/// `Z`, seconds and a timezone required, `-00:00` rejected, at most 64 characters). ``init(_:)`` additionally
/// requires the fields to name a real instant (month 1–12, day within the month, hour 0–23, minute and second
/// 0–59, offset within ±23:59) that is not before year 0 once normalised to UTC.
package struct Datetime: ValidatedString {
    /// The maximum length of a datetime string.
    package static let maxLength = 64

    /// The datetime as it appears on the wire (not normalised).
    package let rawValue: String

    /// The instant, with sub-microsecond fractions rounded by `Double`.
    package let date: Date

    /// Validates the syntax and the calendar fields of a datetime.
    ///
    /// - Parameters:
    ///   - string: For example `1985-04-12T23:20:50.123Z`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        let fields = try Self.scan(string)
        self.date = try fields.instant()
        self.rawValue = String(string)
    }

    /// Formats an instant as `YYYY-MM-DDTHH:MM:SS.sssZ` (millisecond precision, truncated).
    ///
    /// - Parameters:
    ///   - date: An instant between years 0 and 9999.
    package init(_ date: Date) {
        var milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let lower = Datetime.Fields.epochSecondsOfYearZero * 1000
        let upper: Int64 = 253_402_300_800_000 - 1  // 10000-01-01T00:00:00Z
        milliseconds = min(max(milliseconds, lower), upper)
        let seconds = milliseconds.floorDiv(1000)
        let millis = Int(milliseconds - seconds * 1000)
        let days = seconds.floorDiv(86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = Fields.civil(fromDays: days)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        self.rawValue =
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
        self.date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// The current time with millisecond precision, in UTC.
    package static func now() -> Datetime { Datetime(Date()) }

    /// Checks only the superficial datetime syntax, accepting strings such as `1985-00-12T23:20:50.123Z` whose
    /// fields are out of range.
    ///
    /// - Parameters:
    ///   - string: The candidate datetime.
    package static func checkSyntax(_ string: some StringProtocol) throws(SyntaxError) {
        _ = try scan(string)
    }

    /// Equality of the raw strings (two spellings of one instant are different values).
    package static func == (lhs: Datetime, rhs: Datetime) -> Bool { lhs.rawValue == rhs.rawValue }

    /// Hashes the raw string.
    package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    private static func scan(_ string: some StringProtocol) throws(SyntaxError) -> Fields {
        let result = SyntaxASCII.withBytes(string) { bytes -> Result<Fields, SyntaxError> in
            Fields.scan(bytes).mapError { SyntaxError.invalidDatetime($0.message) }
        }
        return try result.get()
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
