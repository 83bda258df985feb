import Foundation
import Testing
@testable import Veerkracht

@Suite("Staff: absence rules")
struct StaffAbsenceTests {
    @Test func kindsAreLowerCamelCaseInTheAPIAndSnakeCaseInSQL() {
        #expect(AbsenceKind.allCases.map(\.rawValue) == ["illness", "workAccident", "occupationalDisease", "otherLongAbsence"])
        #expect(AbsenceKind.allCases.map(\.sqlValue) == ["illness", "work_accident", "occupational_disease", "other_long_absence"])
    }

    @Test func endsBeforeTheStartAreNamedByField() {
        let period = AbsencePeriod(startsOn: day("2025-03-10"), expectedEndOn: day("2025-03-09"), endedOn: day("2025-01-01"))
        #expect(period.problems.map(\.field) == ["expectedEndOn", "endedOn"])
        #expect(AbsencePeriod(startsOn: day("2025-03-10"), expectedEndOn: day("2025-03-10"), endedOn: day("2025-03-10")).problems.isEmpty)
        #expect(AbsencePeriod(startsOn: day("2025-03-10")).problems.isEmpty)
    }

    @Test func percentsRunFromZeroToAHundred() {
        #expect(WorkCapacity.isValidPercent(0) && WorkCapacity.isValidPercent(50) && WorkCapacity.isValidPercent(100))
        #expect(!WorkCapacity.isValidPercent(-1) && !WorkCapacity.isValidPercent(101))
    }

    @Test func aChangeMustFallWithinTheAbsence() {
        let period = AbsencePeriod(startsOn: day("2025-01-06"), endedOn: day("2025-06-30"))
        #expect(WorkCapacity.problems(effectiveFrom: day("2025-01-06"), percent: 50, in: period).isEmpty)
        #expect(WorkCapacity.problems(effectiveFrom: day("2025-06-30"), percent: 100, in: period).isEmpty)
        #expect(WorkCapacity.problems(effectiveFrom: day("2025-01-05"), percent: 50, in: period).map(\.field) == ["effectiveFrom"])
        #expect(WorkCapacity.problems(effectiveFrom: day("2025-07-01"), percent: 101, in: period).map(\.field) == ["percent", "effectiveFrom"])
        let running = AbsencePeriod(startsOn: day("2025-01-06"))
        #expect(WorkCapacity.problems(effectiveFrom: day("2026-01-01"), percent: 20, in: running).isEmpty)
    }

    // MARK: - The history when the dates change

    let old = AbsencePeriod(startsOn: day("2025-01-06"))

    @Test func nothingMovesWhenTheStartStays() {
        let new = AbsencePeriod(startsOn: day("2025-01-06"), endedOn: day("2025-03-01"))
        #expect(WorkCapacity.rescheduling([day("2025-01-06"), day("2025-02-01")], from: old, to: new) == .unchanged)
        #expect(WorkCapacity.rescheduling([], from: old, to: new) == .unchanged)
    }

    @Test func theFirstEntryMovesWithTheStart() {
        let later = AbsencePeriod(startsOn: day("2025-01-20"))
        #expect(WorkCapacity.rescheduling([day("2025-01-06"), day("2025-02-01")], from: old, to: later)
            == .moveFirst(from: day("2025-01-06"), to: day("2025-01-20")))
        let earlier = AbsencePeriod(startsOn: day("2024-12-20"))
        #expect(WorkCapacity.rescheduling([day("2025-01-06")], from: old, to: earlier)
            == .moveFirst(from: day("2025-01-06"), to: day("2024-12-20")))
    }

    @Test func aStartOnOrAfterALaterEntryIsAConflict() {
        let history = [day("2025-01-06"), day("2025-02-01")]
        for start in ["2025-02-01", "2025-02-02"] {
            guard case .conflict(let detail) = WorkCapacity.rescheduling(history, from: old, to: AbsencePeriod(startsOn: day(start))) else {
                Issue.record("start \(start) should conflict")
                continue
            }
            #expect(detail.contains("2025-02-01"))
        }
    }

    @Test func anEndBeforeTheLastEntryIsAConflict() {
        let history = [day("2025-01-06"), day("2025-02-01")]
        let new = AbsencePeriod(startsOn: day("2025-01-06"), endedOn: day("2025-01-31"))
        guard case .conflict(let detail) = WorkCapacity.rescheduling(history, from: old, to: new) else {
            Issue.record("should conflict")
            return
        }
        #expect(detail.contains("2025-02-01"))
        let onTheDay = AbsencePeriod(startsOn: day("2025-01-06"), endedOn: day("2025-02-01"))
        #expect(WorkCapacity.rescheduling(history, from: old, to: onTheDay) == .unchanged)
    }

    @Test func aFirstEntryThatIsNotAtTheStartDoesNotMove() {
        // A history written elsewhere: its first entry after the start stays where it is.
        let history = [day("2025-01-10")]
        #expect(WorkCapacity.rescheduling(history, from: old, to: AbsencePeriod(startsOn: day("2025-01-08"))) == .unchanged)
        guard case .conflict = WorkCapacity.rescheduling(history, from: old, to: AbsencePeriod(startsOn: day("2025-01-11"))) else {
            Issue.record("should conflict")
            return
        }
    }
}
