import Foundation
import OpenAPIRuntime

/// Timestamps as RFC 3339 in UTC with microseconds (what PostgreSQL keeps), written by
/// arithmetic: the runtime's ISO8601DateFormatter goes through ICU for every date and was
/// a tenth of the server's time answering `/v1/me`. Reading is `Timestamp.parse`, the one
/// validating decoder of every `date-time` in a body, query or header.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var microseconds = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        if microseconds == 1_000_000 {
            seconds += 1
            microseconds = 0
        }
        let whole = Int(seconds)
        let day = CalendarDate(dayNumber: whole.floorDivided(by: 86_400))
        let secondOfDay = whole - whole.floorDivided(by: 86_400) * 86_400
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        let fraction = String(microseconds)
        return "\(day)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    func decode(_ text: String) throws -> Date {
        guard let date = Timestamp.parse(text) else { throw Timestamp.Malformed(text: text) }
        return date
    }
}

/// RFC 3339 `date-time`: `2026-12-02T10:00:00Z`, `2026-12-02T11:00:00.5+01:00`.
enum Timestamp {
    /// A value that is not an RFC 3339 date-time. The generated layer does not say which input
    /// it was decoding, so `TimestampIssueMiddleware` names it from the request.
    struct Malformed: Error, CustomStringConvertible {
        var text: String
        var description: String { "malformed date-time" }
    }

    static let expectation = "This must be a date-time as RFC 3339 says, with an offset: 2026-12-02T10:00:00Z or 2026-12-02T11:00:00+01:00"

    /// Strictly the RFC's `date-time` production: full date, `T` (lower case allowed, as in
    /// the RFC's ABNF), full time with optional fraction, `Z` or `±hh:mm`. No space instead of
    /// `T`, no missing offset, no leap second (a `Date` cannot hold one), and the day must exist.
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 64, let day = CalendarDate(String(decoding: bytes[0..<10], as: UTF8.self)),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = Int(asciiDigits: bytes[11..<13]), hour < 24,
            let minute = Int(asciiDigits: bytes[14..<16]), minute < 60,
            let second = Int(asciiDigits: bytes[17..<19]), second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index].isASCIIDigit { index += 1 }
            guard index > start else { return nil }
            // Microseconds are what is kept; more digits are read but cannot matter.
            let digits = bytes[start..<min(index, start + 9)]
            fraction = Double(Int(asciiDigits: digits)!) / pow(10, Double(digits.count))
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let hours = Int(asciiDigits: bytes[(index + 1)..<(index + 3)]), hours < 24,
                let minutes = Int(asciiDigits: bytes[(index + 4)..<(index + 6)]), minutes < 60
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = day.dayNumber * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
