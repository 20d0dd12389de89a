import Foundation

extension Datetime {
    /// A reason, used to carry scan failures out of a non-throwing byte-buffer closure.
    struct Failure: Error {
        let message: String
    }

    /// The numeric fields of a syntactically valid datetime, not yet range-checked.
    struct Fields {
        /// Seconds from 1970-01-01T00:00:00Z back to 0000-01-01T00:00:00Z (proleptic Gregorian).
        static let epochSecondsOfYearZero: Int64 = -62_167_219_200

        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0
        var fraction = 0.0
        /// Minutes east of UTC.
        var offsetMinutes = 0
        var offsetHour = 0, offsetMinute = 0

        static func scan(_ s: UnsafeBufferPointer<UInt8>) -> Result<Fields, Failure> {
            func fail(_ m: String) -> Result<Fields, Failure> { .failure(Failure(message: m)) }
            guard s.count <= Datetime.maxLength else { return fail("longer than \(Datetime.maxLength) characters") }
            guard s.count >= 20 else { return fail("too short; expected YYYY-MM-DDTHH:MM:SS and a timezone") }
            func number(_ at: Int, _ width: Int) -> Int? {
                var value = 0
                for i in at..<(at + width) {
                    guard SyntaxASCII.isDigit(s[i]) else { return nil }
                    value = value * 10 + Int(s[i] &- UInt8(ascii: "0"))
                }
                return value
            }
            var f = Fields()
            guard let y = number(0, 4), s[4] == UInt8(ascii: "-"), let mo = number(5, 2), s[7] == UInt8(ascii: "-"),
                let d = number(8, 2)
            else { return fail("date must be YYYY-MM-DD") }
            guard s[10] == UInt8(ascii: "T") else { return fail("date and time must be separated by uppercase T") }
            guard let h = number(11, 2), s[13] == UInt8(ascii: ":"), let mi = number(14, 2),
                s[16] == UInt8(ascii: ":"), let se = number(17, 2)
            else { return fail("time must be HH:MM:SS") }
            (f.year, f.month, f.day, f.hour, f.minute, f.second) = (y, mo, d, h, mi, se)
            var i = 19
            if s[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                var scale = 0.1
                while i < s.count, SyntaxASCII.isDigit(s[i]) {
                    f.fraction += Double(s[i] &- UInt8(ascii: "0")) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return fail("fractional seconds need at least one digit") }
            }
            guard i < s.count else { return fail("timezone is required") }
            switch s[i] {
            case UInt8(ascii: "Z"):
                guard i + 1 == s.count else { return fail("unexpected characters after timezone") }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard i + 6 == s.count, let oh = number(i + 1, 2), s[i + 3] == UInt8(ascii: ":"),
                    let om = number(i + 4, 2)
                else { return fail("timezone offset must be +HH:MM or -HH:MM") }
                if s[i] == UInt8(ascii: "-") && oh == 0 && om == 0 { return fail("-00:00 is not allowed") }
                f.offsetHour = oh
                f.offsetMinute = om
                f.offsetMinutes = (s[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 60 + om)
            default:
                return fail("timezone must be uppercase Z or an offset")
            }
            return .success(f)
        }

        /// Range-checks the fields and converts them to an instant.
        func instant() throws(SyntaxError) -> Date {
            guard (1...12).contains(month) else { throw .invalidDatetime("month out of range") }
            guard (1...Self.daysInMonth(year: year, month: month)).contains(day) else {
                throw .invalidDatetime("day out of range")
            }
            guard hour < 24, minute < 60, second < 60 else { throw .invalidDatetime("time out of range") }
            guard offsetHour < 24, offsetMinute < 60 else { throw .invalidDatetime("timezone offset out of range") }
            let days = Self.days(fromCivil: year, month, day)
            let seconds =
                days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
            guard seconds >= Self.epochSecondsOfYearZero else {
                throw .invalidDatetime("normalises to a time before year 0")
            }
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }

        static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

        static func daysInMonth(year: Int, month: Int) -> Int {
            switch month {
            case 2: isLeap(year) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days since 1970-01-01 of a proleptic Gregorian date (era-based day counting).
        static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
            let y = Int64(month <= 2 ? year - 1 : year)
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
            let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return era * 146_097 + dayOfEra - 719_468
        }

        /// The proleptic Gregorian date of a day count since 1970-01-01.
        static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
            let z = days + 719_468
            let era = (z >= 0 ? z : z - 146_096) / 146_097
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shiftedMonth = (5 * dayOfYear + 2) / 153
            let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
            let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
            let year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
            return (year, month, day)
        }
    }
}
