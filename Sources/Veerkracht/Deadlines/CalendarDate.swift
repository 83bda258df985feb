import Foundation

/// A day on the (proleptic Gregorian) calendar, without a time or a time zone: an absence
/// start, a due date, a contact agreed "on the 14th". JSON and SQL both write it `yyyy-MM-dd`.
///
/// Arithmetic works on day numbers, never on seconds, so a DST change or a leap year cannot
/// shift a due date by an hour and thus onto the wrong day.
public struct CalendarDate: Sendable, Hashable, Comparable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil when the day does not exist (2023-02-29, month 13, day 0).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The day `dayNumber` days after 1970-01-01 (negative: before it).
    public init(dayNumber: Int) {
        // Work in 400-year cycles counted from 0000-01-01: every cycle has exactly 146,097 days.
        let sinceYearZero = dayNumber + Self.daysFromYearZeroToEpoch
        let cycle = sinceYearZero.floorDivided(by: Self.daysPer400Years)
        let dayInCycle = sinceYearZero - cycle * Self.daysPer400Years
        // Dividing by 366 never overshoots the year and undershoots it by at most one.
        var yearInCycle = dayInCycle / 366
        while Self.daysBefore(yearInCycle: yearInCycle + 1) <= dayInCycle { yearInCycle += 1 }
        let year = cycle * 400 + yearInCycle
        var dayOfYear = dayInCycle - Self.daysBefore(yearInCycle: yearInCycle)
        var month = 1
        while dayOfYear >= Self.daysIn(month: month, year: year) {
            dayOfYear -= Self.daysIn(month: month, year: year)
            month += 1
        }
        self.year = year
        self.month = month
        self.day = dayOfYear + 1
    }

    /// Days since 1970-01-01; the difference of two day numbers is the number of days between.
    public var dayNumber: Int {
        let cycle = year.floorDivided(by: 400)
        let yearInCycle = year - cycle * 400
        var dayOfYear = day - 1
        for earlier in stride(from: 1, to: month, by: 1) { dayOfYear += Self.daysIn(month: earlier, year: year) }
        return cycle * Self.daysPer400Years + Self.daysBefore(yearInCycle: yearInCycle) + dayOfYear
            - Self.daysFromYearZeroToEpoch
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

// MARK: - Arithmetic

extension CalendarDate {
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(dayNumber: dayNumber + days)
    }

    public func adding(weeks: Int) -> CalendarDate {
        adding(days: weeks * 7)
    }

    /// Calendar months; a day that does not exist in the target month becomes that month's
    /// last day (31 August + 6 months = 28 or 29 February), as "within 6 months" is read.
    public func adding(months: Int) -> CalendarDate {
        let monthIndex = year * 12 + (month - 1) + months
        let targetYear = monthIndex.floorDivided(by: 12)
        let targetMonth = monthIndex - targetYear * 12 + 1
        let targetDay = min(day, Self.daysIn(month: targetMonth, year: targetYear))
        return CalendarDate(year: targetYear, month: targetMonth, day: targetDay)!
    }

    /// Whole days from `self` to `other`: positive when `other` is later.
    public func days(until other: CalendarDate) -> Int {
        other.dayNumber - dayNumber
    }

    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        Weekday(rawValue: (dayNumber + 3).floorModulo(7) + 1)!
    }

    public var isLeapYear: Bool { Self.isLeap(year) }
}

/// ISO 8601 numbering: Monday is 1, Sunday is 7.
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Codable {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    public var isWeekend: Bool { self == .saturday || self == .sunday }
}

// MARK: - Today, from an injected instant

extension CalendarDate {
    /// The zone Veerkracht's users live in; day boundaries (due today, overdue since
    /// yesterday) are drawn there unless the configuration says otherwise.
    /// Without the time zone database (tzdata, which the image installs) this falls back to
    /// CET without summer time rather than stopping the server.
    public static let brussels: TimeZone =
        TimeZone(identifier: "Europe/Brussels") ?? TimeZone(secondsFromGMT: 3600) ?? .gmt

    /// The calendar day it is at `instant` in `timeZone`. The instant is passed in (from the
    /// one injected clock) so that domain code never reads the system clock itself.
    public static func today(at instant: Date, in timeZone: TimeZone = brussels) -> CalendarDate {
        let offset = timeZone.secondsFromGMT(for: instant)
        let localSeconds = instant.timeIntervalSince1970 + Double(offset)
        return CalendarDate(dayNumber: Int((localSeconds / 86_400).rounded(.down)))
    }

    /// The first instant of this day in `timeZone` (normally local midnight; the next valid
    /// time where a zone skips midnight). Days are 23 or 25 hours long around DST changes.
    public func start(in timeZone: TimeZone = brussels) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
        return calendar.startOfDay(for: noon)
    }
}

// MARK: - yyyy-MM-dd

extension CalendarDate: LosslessStringConvertible, Codable {
    /// Strictly `yyyy-MM-dd` with a four-digit year from 0001: no time, no offset, no
    /// single-digit month, no surrounding spaces, and the day must exist.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        guard let year = Int(asciiDigits: bytes[0..<4]), year >= 1, let month = Int(asciiDigits: bytes[5..<7]),
            let day = Int(asciiDigits: bytes[8..<10])
        else {
            return nil
        }
        self.init(year: year, month: month, day: day)
    }

    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        // Years outside 1...9999 only arise from arithmetic far beyond any real case.
        let yearText = (1...9999).contains(year) ? padded(year, 4) : String(year)
        return "\(yearText)-\(padded(month, 2))-\(padded(day, 2))"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Expected a date as yyyy-MM-dd, found \"\(text.prefix(40))\"")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Calendar rules

extension CalendarDate {
    static let daysPer400Years = 146_097
    /// Days from 0000-01-01 (proleptic; year 0 is a leap year) to 1970-01-01.
    static let daysFromYearZeroToEpoch = 719_528

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from the start of a 400-year cycle to the start of its year `yearInCycle` (0...400).
    /// The cycle's year 0 is divisible by 400, hence a leap year.
    static func daysBefore(yearInCycle y: Int) -> Int {
        let leapYearsBefore = y == 0 ? 0 : (y + 3) / 4 - (y + 99) / 100 + 1
        return 365 * y + leapYearsBefore
    }
}

extension Int {
    /// Division rounding towards negative infinity, so days before 1970 fall in the right cycle.
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
