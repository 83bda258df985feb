import Foundation
import Testing
@testable import Veerkracht

/// Every limit of the domain rules at its edge: the last value allowed, and the first refused.
@Suite("Limits at both edges")
struct LimitEdgeTests {
    @Test func contactPolicyDaysGoUpTo365() {
        let longest = ContactPolicy(firstContactWithinDays: 365, thenEveryDays: 365, longestEveryDays: 365)
        #expect(longest.problems.isEmpty, "\(longest.problems)")
        let past = ContactPolicy(firstContactWithinDays: 366, thenEveryDays: 366, longestEveryDays: 366)
        #expect(past.problems.count == 3, "\(past.problems)")
        let shortest = ContactPolicy(firstContactWithinDays: 1, thenEveryDays: 1)
        #expect(shortest.problems.isEmpty)
        #expect(ContactPolicy(firstContactWithinDays: 0, thenEveryDays: 1).problems.count == 1)
    }

    @Test(arguments: [(MilestoneOffset.Unit.days, 3650), (.weeks, 520), (.months, 120)])
    func milestoneOffsetsAtTheirBounds(unit: MilestoneOffset.Unit, maximum: Int) throws {
        func problems(_ amount: Int) throws -> [String] {
            var template = try shippedTemplate("active-presence")
            template.milestones[0].offset = MilestoneOffset(amount, unit)
            return template.problems
        }
        // A zero offset is a deadline on the day of its trigger.
        #expect(try problems(0).isEmpty)
        #expect(try problems(maximum).isEmpty)
        #expect(try problems(maximum + 1).count == 1)
        #expect(try problems(-1).count == 1)
        #expect(MilestoneOffset(0, unit).applied(to: day("2024-02-29")) == day("2024-02-29"))
    }

    @Test func aContactMayLieExactlyFiveMinutesAhead() {
        let now = instant("2024-03-20T10:00:00Z")
        #expect(!ContactMoment.isInFuture(now.addingTimeInterval(ContactMoment.allowedClockSkew), now: now))
        #expect(ContactMoment.isInFuture(now.addingTimeInterval(ContactMoment.allowedClockSkew + 0.001), now: now))
        #expect(ContactMoment.allowedClockSkew == 300)
    }

    @Test func lengthsCountCodePointsAsTheSchemaAndTheDatabaseDo() {
        // "ü" written as u + combining diaeresis: one Character, two code points.
        let combined = "u\u{308}"
        #expect(combined.count == 1 && combined.characterCount == 2)
        let limit = ContactMoment.maximumSummaryLength
        #expect(ContactMoment.isValidSummary(String(repeating: combined, count: limit / 2)))
        #expect(!ContactMoment.isValidSummary(String(repeating: combined, count: limit / 2) + "x"))
        #expect(ContactMoment.isValidSummary(String(repeating: "ü", count: limit)))
        #expect(!ContactMoment.isValidSummary(String(repeating: "ü", count: limit + 1)))
    }
}
