import Foundation
import OpenAPIRuntime

/// Timestamps as RFC 3339 in UTC with microseconds (what PostgreSQL keeps), written by
/// arithmetic: the runtime's ISO8601DateFormatter goes through ICU for every date and was
/// a tenth of the server's time answering `/v1/me`. Reading accepts any offset.
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
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try Date.ISO8601FormatStyle().parse(text)
    }
}
