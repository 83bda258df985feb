import Foundation
import Testing
@testable import Veerkracht

@Suite("When the next contact is due")
struct ContactScheduleTests {
    /// First contact within 7 days, then every 14, preferences may stretch it to 28.
    let policy = ContactPolicy(firstContactWithinDays: 7, thenEveryDays: 14, longestEveryDays: 28)
    let absenceStart = day("2024-03-04")

    func due(
        last: String? = nil, agreed: String? = nil, preferences: ContactPreferences = ContactPreferences(),
        end: String? = nil, today: String
    ) -> ContactDue? {
        ContactSchedule.nextDue(
            absenceStart: absenceStart, absenceEnd: end.map(day), policy: policy, preferences: preferences,
            lastContactOn: last.map(day), agreedNextContactOn: agreed.map(day), today: day(today))
    }

    @Test func theFirstContactIsDueWithinNDaysOfTheAbsenceStart() throws {
        let early = try #require(due(today: "2024-03-08"))
        #expect(early.dueOn == day("2024-03-11"))
        #expect(early.reason == .firstContact)
        #expect(early.daysOverdue == 0)
        #expect(!early.isDue(on: day("2024-03-08")))
        #expect(early.isDue(on: day("2024-03-08"), horizonDays: 3))
        #expect(early.isDue(on: day("2024-03-11")))

        let late = try #require(due(today: "2024-03-14"))
        #expect(late.daysOverdue == 3)
    }

    @Test func thenEveryMDaysAfterTheLastContact() throws {
        let next = try #require(due(last: "2024-03-10", today: "2024-03-20"))
        #expect(next.dueOn == day("2024-03-24"))
        #expect(next.reason == .cadence)
        #expect(next.daysOverdue == 0)
        #expect(due(last: "2024-03-10", today: "2024-03-30")?.daysOverdue == 6)
    }

    @Test func contactsBeforeThisAbsenceDoNotCount() {
        let next = due(last: "2024-02-20", today: "2024-03-05")
        #expect(next?.reason == .firstContact)
        #expect(next?.dueOn == day("2024-03-11"))
    }

    @Test(arguments: [
        (nil, 14, false), (7, 14, false), (14, 14, false), (21, 21, false), (28, 28, false), (60, 28, true),
    ] as [(Int?, Int, Bool)])
    func aPreferenceCanOnlyMakeContactLessFrequentUpToTheCap(preferred: Int?, expectedGap: Int, limited: Bool) throws {
        let next = try #require(due(
            last: "2024-03-10", preferences: ContactPreferences(preferredEveryDays: preferred), today: "2024-03-10"))
        #expect(next.dueOn == day("2024-03-10").adding(days: expectedGap))
        #expect(next.reason == .cadence)
        #expect(next.limitedByPolicy == limited)
    }

    @Test func withoutAnExplicitCapPreferencesStretchToTwiceTheCadence() {
        let policy = ContactPolicy(firstContactWithinDays: 7, thenEveryDays: 14)
        #expect(ContactSchedule.cadenceDays(policy: policy, preferences: ContactPreferences(preferredEveryDays: 90)) == 28)
        #expect(ContactSchedule.cadenceDays(policy: policy, preferences: ContactPreferences()) == 14)
    }

    @Test func anAgreedDateReplacesTheCadenceWithinTheCap() throws {
        let earlier = try #require(due(last: "2024-03-10", agreed: "2024-03-17", today: "2024-03-12"))
        #expect(earlier.dueOn == day("2024-03-17") && earlier.reason == .agreedDate)

        let later = try #require(due(last: "2024-03-10", agreed: "2024-03-31", today: "2024-03-12"))
        #expect(later.dueOn == day("2024-03-31") && later.reason == .agreedDate && !later.limitedByPolicy)

        let tooLate = try #require(due(last: "2024-03-10", agreed: "2024-05-01", today: "2024-03-12"))
        #expect(tooLate.dueOn == day("2024-04-07") && tooLate.reason == .cadence && tooLate.limitedByPolicy)
    }

    @Test func anAgreedDateFromAnEarlierConversationIsIgnored() {
        let next = due(last: "2024-03-20", agreed: "2024-03-20", today: "2024-03-21")
        #expect(next?.reason == .cadence)
        #expect(next?.dueOn == day("2024-04-03"))
    }

    @Test func beforeTheFirstContactAnAgreedDateCanOnlyBringItForward() {
        #expect(due(agreed: "2024-03-06", today: "2024-03-05")?.reason == .agreedDate)
        #expect(due(agreed: "2024-03-06", today: "2024-03-05")?.dueOn == day("2024-03-06"))
        #expect(due(agreed: "2024-03-25", today: "2024-03-05")?.reason == .firstContact)
        #expect(due(agreed: "2024-03-25", today: "2024-03-05")?.dueOn == day("2024-03-11"))
    }

    @Test func notBeforeDefersTheContactButNeverBeyondTheLongestGap() throws {
        let deferred = try #require(due(
            preferences: ContactPreferences(notBefore: day("2024-03-20")), today: "2024-03-12"))
        #expect(deferred.dueOn == day("2024-03-20"))
        #expect(deferred.reason == .firstContact)
        #expect(deferred.deferredByPreference && !deferred.limitedByPolicy)
        #expect(deferred.daysOverdue == 0)

        let capped = try #require(due(preferences: ContactPreferences(notBefore: day("2024-06-01")), today: "2024-03-12"))
        #expect(capped.dueOn == day("2024-04-01"))  // absence start + 28
        #expect(capped.deferredByPreference && capped.limitedByPolicy)

        let afterContact = try #require(due(
            last: "2024-03-10", preferences: ContactPreferences(notBefore: day("2024-06-01")), today: "2024-03-12"))
        #expect(afterContact.dueOn == day("2024-04-07"))

        let alreadyPast = try #require(due(
            last: "2024-03-10", preferences: ContactPreferences(notBefore: day("2024-03-01")), today: "2024-03-12"))
        #expect(alreadyPast.dueOn == day("2024-03-24") && !alreadyPast.deferredByPreference)
    }

    @Test func aLongFirstContactWindowIsNotCutByTheCap() {
        // The Flemish government's return coach: within two months.
        let policy = ContactPolicy(firstContactWithinDays: 60, thenEveryDays: 14, longestEveryDays: 28)
        let next = ContactSchedule.nextDue(
            absenceStart: absenceStart, policy: policy, preferences: ContactPreferences(notBefore: day("2024-12-01")),
            lastContactOn: nil, agreedNextContactOn: nil, today: absenceStart)
        #expect(next?.dueOn == absenceStart.adding(days: 60))
        #expect(next?.limitedByPolicy == true)
    }

    @Test func nothingIsDueOnceTheAbsenceIsOver() {
        #expect(due(end: "2024-03-09", today: "2024-03-12") == nil)
        #expect(due(end: "2024-03-09", today: "2024-03-09") == nil)  // due on the 11th, after the end
        #expect(due(last: "2024-03-10", end: "2024-03-30", today: "2024-03-12")?.dueOn == day("2024-03-24"))
        #expect(due(last: "2024-03-10", end: "2024-03-30", today: "2024-03-31") == nil)
    }

    @Test func thePreferredChannelAndPersonTravelWithTheDueDate() {
        let next = due(preferences: ContactPreferences(channel: .video, contactPerson: .manager), today: "2024-03-05")
        #expect(next?.channel == .video)
        #expect(next?.contactPerson == .manager)
    }

    @Test func overdueCountsBrusselsDaysAcrossTheSpringDSTChange() throws {
        // Absence from Monday 25 March 2024: first contact due Monday 1 April. At 00:30 on
        // 1 April in Brussels it is still 31 March in UTC.
        let start = day("2024-03-25")
        func due(at text: String) -> ContactDue? {
            ContactSchedule.nextDue(
                absenceStart: start, policy: policy, lastContactOn: nil, agreedNextContactOn: nil,
                today: CalendarDate.today(at: instant(text)))
        }
        let justAfterMidnight = try #require(due(at: "2024-03-31T22:30:00Z"))
        #expect(justAfterMidnight.dueOn == day("2024-04-01"))
        #expect(justAfterMidnight.isDue(on: CalendarDate.today(at: instant("2024-03-31T22:30:00Z"))))
        #expect(due(at: "2024-04-03T21:59:00Z")?.daysOverdue == 2)
        #expect(due(at: "2024-04-03T22:00:00Z")?.daysOverdue == 3)
    }

    @Test func aContactMomentCountsOnItsBrusselsDay() {
        let moment = ContactMoment(
            id: UUID(), trajectoryID: UUID(), occurredAt: instant("2024-10-26T22:15:00Z"), channel: .phone,
            initiative: .employee, madeBy: .officer, summary: "Talked about a gradual return", recordedBy: UUID())
        #expect(moment.occurredOn() == day("2024-10-27"))
        #expect(moment.occurredOn(in: TimeZone(identifier: "UTC")!) == day("2024-10-26"))
    }

    @Test func policiesAreChecked() {
        #expect(policy.problems.isEmpty)
        #expect(ContactPolicy(firstContactWithinDays: 0, thenEveryDays: 14).problems.count == 1)
        #expect(ContactPolicy(firstContactWithinDays: 7, thenEveryDays: 14, longestEveryDays: 10).problems.count == 1)
        #expect(ContactPolicy(firstContactWithinDays: 7, thenEveryDays: 400).problems.count == 1)
    }

    @Test func contactCodes() throws {
        #expect(ContactDue.Reason.allCases.map(\.rawValue) == ["firstContact", "cadence", "agreedDate"])
        #expect(ContactDue.Reason.allCases.map(\.sqlValue) == ["first_contact", "cadence", "agreed_date"])
        #expect(ContactChannel.inPerson.rawValue == "inPerson" && ContactChannel.inPerson.sqlValue == "in_person")
        for channel in ContactChannel.allCases { #expect(ContactChannel(sqlValue: channel.sqlValue) == channel) }
        #expect(WellbeingScore(0) == nil && WellbeingScore(6) == nil && WellbeingScore(5)?.value == 5)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(WellbeingScore.self, from: Data("9".utf8)) }
        #expect(!ContactMoment.isValidSummary("   "))
        #expect(ContactMoment.isValidSummary("Feels ready to discuss adapted hours"))
    }
}
