import Foundation
import Testing
@testable import Veerkracht

@Suite("CalendarDate: yyyy-MM-dd and exact day arithmetic")
struct CalendarDateTests {
    @Test(arguments: ["2024-02-29", "1970-01-01", "0001-01-01", "9999-12-31", "2026-10-05"])
    func parsesAndFormatsStrictDates(text: String) {
        let date = CalendarDate(text)
        #expect(date != nil)
        #expect(date?.description == text)
    }

    @Test(arguments: [
        "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-01",
        "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01T00:00:00Z", " 2024-01-01", "2024-01-01 ", "0000-01-01",
        "+2024-01-01", "-2024-01-01", "２０２４-01-01", "2024-0a-01", "", "2024-01--1",
    ])
    func refusesAnythingElse(text: String) {
        #expect(CalendarDate(text) == nil)
    }

    @Test func refusesDaysThatDoNotExist() {
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2100, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2024, month: 6, day: 31) == nil)
    }

    @Test func codableAsAString() throws {
        struct Holder: Codable, Equatable { var dueOn: CalendarDate }
        let data = try JSONEncoder().encode(Holder(dueOn: day("2024-02-29")))
        #expect(String(decoding: data, as: UTF8.self) == #"{"dueOn":"2024-02-29"}"#)
        #expect(try JSONDecoder().decode(Holder.self, from: data) == Holder(dueOn: day("2024-02-29")))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"dueOn":"2023-02-29"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"dueOn":20240229}"#.utf8))
        }
    }

    @Test func dayNumbersCountFromTheEpoch() {
        #expect(day("1970-01-01").dayNumber == 0)
        #expect(day("1969-12-31").dayNumber == -1)
        #expect(day("2000-03-01").dayNumber == 11_017)
        #expect(CalendarDate(dayNumber: 11_016) == day("2000-02-29"))
        #expect(CalendarDate(dayNumber: -719_162) == day("0001-01-01"))
    }

    @Test func everyDayOfEightCenturiesRoundTripsAndAgreesWithFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let first = day("1600-01-01").dayNumber
        let last = day("2400-12-31").dayNumber
        var previous = CalendarDate(dayNumber: first - 1)
        var mismatches = 0
        for number in first...last {
            let date = CalendarDate(dayNumber: number)
            if date.dayNumber != number || !(previous < date) || CalendarDate(date.description) != date { mismatches += 1 }
            if number % 97 == 0 {
                let foundation = calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
                if Int(foundation.timeIntervalSince1970 / 86_400) != number { mismatches += 1 }
            }
            previous = date
        }
        #expect(mismatches == 0)
    }

    @Test func addingDaysAcrossLeapDays() {
        #expect(day("2024-02-28").adding(days: 1) == day("2024-02-29"))
        #expect(day("2024-02-28").adding(days: 2) == day("2024-03-01"))
        #expect(day("2023-02-28").adding(days: 1) == day("2023-03-01"))
        #expect(day("1900-02-28").adding(days: 1) == day("1900-03-01"))
        #expect(day("2000-02-28").adding(days: 1) == day("2000-02-29"))
        #expect(day("2024-12-31").adding(days: 1) == day("2025-01-01"))
        #expect(day("2024-03-01").adding(days: -1) == day("2024-02-29"))
    }

    @Test func daysBetweenCountsLeapYears() {
        #expect(day("2024-01-01").days(until: day("2025-01-01")) == 366)
        #expect(day("2023-01-01").days(until: day("2024-01-01")) == 365)
        #expect(day("2025-01-01").days(until: day("2024-01-01")) == -366)
        #expect(day("2024-03-31").days(until: day("2024-04-01")) == 1)  // 23 hours in Brussels
        #expect(day("2024-10-27").days(until: day("2024-10-28")) == 1)  // 25 hours in Brussels
    }

    @Test func addingWeeksIsSevenDays() {
        #expect(day("2024-02-01").adding(weeks: 6) == day("2024-03-14"))
        #expect(day("2023-02-01").adding(weeks: 6) == day("2023-03-15"))
        #expect(day("2024-01-01").adding(weeks: 52) == day("2024-12-30"))
    }

    @Test func addingMonthsClampsToTheLastDay() {
        #expect(day("2024-08-31").adding(months: 6) == day("2025-02-28"))
        #expect(day("2023-08-31").adding(months: 6) == day("2024-02-29"))
        #expect(day("2024-01-31").adding(months: 1) == day("2024-02-29"))
        #expect(day("2024-11-15").adding(months: 3) == day("2025-02-15"))
        #expect(day("2024-03-31").adding(months: -1) == day("2024-02-29"))
        #expect(day("2024-12-10").adding(months: 1) == day("2025-01-10"))
    }

    @Test func weekdays() {
        #expect(day("1970-01-01").weekday == .thursday)
        #expect(day("1969-12-31").weekday == .wednesday)
        #expect(day("2000-01-01").weekday == .saturday)
        #expect(day("2024-02-29").weekday == .thursday)
        #expect(day("2026-01-01").weekday == .thursday)
        #expect(day("2024-03-31").weekday == .sunday)
        #expect(day("2024-03-31").weekday.isWeekend)
    }

    @Test(arguments: [
        // Spring forward: Brussels goes from +01:00 to +02:00 at 01:00 UTC on 31 March 2024.
        ("2024-03-30T22:59:59Z", "2024-03-30"), ("2024-03-30T23:00:00Z", "2024-03-31"),
        ("2024-03-31T21:59:59Z", "2024-03-31"), ("2024-03-31T22:00:00Z", "2024-04-01"),
        // Fall back: from +02:00 to +01:00 at 01:00 UTC on 27 October 2024.
        ("2024-10-26T21:59:59Z", "2024-10-26"), ("2024-10-26T22:00:00Z", "2024-10-27"),
        ("2024-10-27T22:59:59Z", "2024-10-27"), ("2024-10-27T23:00:00Z", "2024-10-28"),
        ("2024-02-28T23:30:00Z", "2024-02-29"),
    ])
    func todayIsTheBrusselsDayOfTheInjectedInstant(at: String, expected: String) {
        #expect(CalendarDate.today(at: instant(at)) == day(expected))
    }

    @Test func todayDependsOnTheZone() {
        let lateEvening = instant("2024-03-31T22:30:00Z")
        #expect(CalendarDate.today(at: lateEvening, in: CalendarDate.brussels) == day("2024-04-01"))
        #expect(CalendarDate.today(at: lateEvening, in: TimeZone(identifier: "UTC")!) == day("2024-03-31"))
        #expect(CalendarDate.today(at: instant("1969-12-31T23:30:00Z"), in: TimeZone(identifier: "UTC")!) == day("1969-12-31"))
    }

    @Test func daysAreTwentyThreeOrTwentyFiveHoursLongAroundDST() {
        #expect(day("2024-03-31").start() == instant("2024-03-30T23:00:00Z"))
        #expect(day("2024-04-01").start() == instant("2024-03-31T22:00:00Z"))
        #expect(day("2024-04-01").start().timeIntervalSince(day("2024-03-31").start()) == 23 * 3600)
        #expect(day("2024-10-28").start().timeIntervalSince(day("2024-10-27").start()) == 25 * 3600)
        // Yet the day arithmetic never sees an hour.
        #expect(CalendarDate.today(at: day("2024-03-31").start()).adding(days: 1) == day("2024-04-01"))
    }

    @Test func orderIsChronological() {
        let dates = ["2024-02-29", "1999-12-31", "2024-03-01", "2024-02-28"].map(day)
        #expect(dates.sorted().map(\.description) == ["1999-12-31", "2024-02-28", "2024-02-29", "2024-03-01"])
    }
}
