import Foundation
import Testing
@testable import Veerkracht

@Suite("Contact rules: the stored due date, the work-list horizon, when a contact may be recorded")
struct ContactRulesTests {
    let situation = ContactSituation(
        isOpen: true, absenceStart: day("2024-03-04"), openedOn: day("2024-03-06"),
        policy: ContactPolicy(firstContactWithinDays: 5, thenEveryDays: 10, longestEveryDays: 20))

    @Test func theTemplatesPolicyCountsFromTheAbsenceStart() {
        let due = ContactSchedule.nextDue(situation, today: day("2024-03-12"))
        #expect(due?.dueOn == day("2024-03-09"))
        #expect(due?.reason == .firstContact)
        #expect(due?.daysOverdue == 3)
    }

    @Test func withoutAnAbsenceContactsCountFromTheDayTheTrajectoryOpened() {
        var redeployment = situation
        redeployment.absenceStart = nil
        #expect(redeployment.countsFrom == day("2024-03-06"))
        #expect(ContactSchedule.nextDue(redeployment, today: day("2024-03-06"))?.dueOn == day("2024-03-11"))
    }

    @Test func withoutATemplateTheDocumentedDefaultApplies() {
        var plain = situation
        plain.policy = nil
        #expect(plain.effectivePolicy == .withoutTemplate)
        #expect(ContactPolicy.withoutTemplate.problems.isEmpty)
        #expect(ContactSchedule.nextDue(plain, today: day("2024-03-05"))?.dueOn == day("2024-03-11"))
        // The same figures as the active-presence template ship with.
        let template = try? shippedTemplate("active-presence")
        #expect(template?.contactPolicy.firstContactWithinDays == ContactPolicy.withoutTemplate.firstContactWithinDays)
        #expect(template?.contactPolicy.thenEveryDays == ContactPolicy.withoutTemplate.thenEveryDays)
        #expect(template?.contactPolicy.longestEveryDays == ContactPolicy.withoutTemplate.longestEveryDays)
    }

    @Test func aClosedTrajectoryHasNothingDue() {
        var closed = situation
        closed.isOpen = false
        #expect(ContactSchedule.nextDue(closed, today: day("2024-03-12")) == nil)
    }

    @Test func theLastContactCountsOnItsBrusselsDayAndTheAgreedDateFollowsIt() {
        var contacted = situation
        // 23:30 UTC on the 9th is already the 10th in Brussels.
        contacted.lastContactAt = instant("2024-03-09T23:30:00Z")
        #expect(ContactSchedule.nextDue(contacted, today: day("2024-03-12"))?.dueOn == day("2024-03-20"))
        contacted.agreedNextContactOn = day("2024-03-15")
        let agreed = ContactSchedule.nextDue(contacted, today: day("2024-03-12"))
        #expect(agreed?.dueOn == day("2024-03-15") && agreed?.reason == .agreedDate)
        contacted.preferences = ContactPreferences(notBefore: day("2024-03-18"))
        #expect(ContactSchedule.nextDue(contacted, today: day("2024-03-12"))?.dueOn == day("2024-03-18"))
    }

    @Test func anAbsenceThatEndedHasNothingDue() {
        var ended = situation
        ended.absenceEnd = day("2024-03-08")
        #expect(ContactSchedule.nextDue(ended, today: day("2024-03-12")) == nil)
    }

    @Test(arguments: [
        ("0d", 0), ("7d", 7), ("1w", 7), ("2w", 14), ("12w", 84), ("90d", 90), ("007d", 7),
    ])
    func horizonsInDaysOrWeeks(text: String, days: Int) {
        #expect(ContactHorizon(text)?.days == days)
    }

    @Test(arguments: ["91d", "13w", "7", "d", "-1d", "1000d", " 7d", "7D", "1y", "", "7d "])
    func horizonsThatAreRefused(text: String) {
        #expect(ContactHorizon(text) == nil)
    }

    @Test func aHorizonPrintsInDays() {
        #expect(ContactHorizon("2w")?.description == "14d")
        #expect(ContactHorizon(days: 91) == nil)
    }

    @Test func aContactIsRecordedOnceItHappenedWithinTheClockSkew() {
        let now = instant("2024-03-20T10:00:00Z")
        #expect(!ContactMoment.isInFuture(now, now: now))
        #expect(!ContactMoment.isInFuture(now.addingTimeInterval(4 * 60), now: now))
        #expect(ContactMoment.isInFuture(now.addingTimeInterval(6 * 60), now: now))
    }

    @Test func aContactBeforeTheStartIsRefusedByItsBrusselsDay() {
        let start = day("2024-03-04")
        #expect(!ContactMoment.isBeforeStart(instant("2024-03-03T23:30:00Z"), start: start))  // 00:30 on the 4th in Brussels
        #expect(ContactMoment.isBeforeStart(instant("2024-03-03T22:30:00Z"), start: start))
    }

    @Test func theAgreedNextContactFollowsTheContactWithinAYear() {
        let contact = day("2024-03-20")
        #expect(!ContactMoment.isValidAgreedNextContact(contact, after: contact))
        #expect(ContactMoment.isValidAgreedNextContact(day("2024-03-21"), after: contact))
        #expect(ContactMoment.isValidAgreedNextContact(day("2025-03-20"), after: contact))
        #expect(!ContactMoment.isValidAgreedNextContact(day("2025-03-21"), after: contact))
    }

    @Test func theSummaryHoldsAtMost2000Characters() {
        #expect(ContactMoment.isValidSummary(String(repeating: "a", count: 2000)))
        #expect(!ContactMoment.isValidSummary(String(repeating: "a", count: 2001)))
        #expect(!ContactMoment.isValidSummary(""))
    }

    @Test func anIdempotencyKeyGivesTheSameNewIDEveryTime() {
        let user = UUID()
        let trajectory = UUID()
        let first = IdempotencyStore.resourceID(key: "k-1", userID: user, scope: "contactMoment", trajectory)
        #expect(first == IdempotencyStore.resourceID(key: "k-1", userID: user, scope: "contactMoment", trajectory))
        #expect(first != IdempotencyStore.resourceID(key: "k-2", userID: user, scope: "contactMoment", trajectory))
        #expect(first != IdempotencyStore.resourceID(key: "k-1", userID: UUID(), scope: "contactMoment", trajectory))
        #expect(first != IdempotencyStore.resourceID(key: "k-1", userID: user, scope: "contactMoment", UUID()))
        #expect(first != IdempotencyStore.resourceID(key: "k-1", userID: user, scope: "action", trajectory))
        #expect(first.uuidString.lowercased().dropFirst(14).first == "8", "a version 8 (custom) UUID: \(first)")
        #expect(IdempotencyStore.resourceID(key: nil, userID: user, scope: "contactMoment", trajectory)
            != IdempotencyStore.resourceID(key: nil, userID: user, scope: "contactMoment", trajectory))
    }
}
