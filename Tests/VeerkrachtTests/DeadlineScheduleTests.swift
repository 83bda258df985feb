import Foundation
import Testing
@testable import Veerkracht

@Suite("Deadline arithmetic from process templates")
struct DeadlineScheduleTests {
    @Test func offsetsInDaysWeeksAndMonths() {
        let start = day("2024-01-31")
        #expect(MilestoneOffset.days(6).applied(to: start) == day("2024-02-06"))
        #expect(MilestoneOffset.weeks(6).applied(to: start) == day("2024-03-13"))
        #expect(MilestoneOffset.days(42).applied(to: start) == MilestoneOffset.weeks(6).applied(to: start))
        #expect(MilestoneOffset.months(1).applied(to: start) == day("2024-02-29"))
        #expect(MilestoneOffset.months(6).applied(to: day("2024-08-31")) == day("2025-02-28"))
    }

    @Test func theDutchTimelineInWeeks() throws {
        // 1 January 2024, a Monday in a leap year: every milestone falls on a Monday.
        let schedule = DeadlineSchedule(
            template: try shippedTemplate("nl-wet-verbetering-poortwachter"), events: [.absenceStart: day("2024-01-01")])
        let due = Dictionary(uniqueKeysWithValues: schedule.milestones.map { ($0.code, $0.dueOn) })
        #expect(due["problemAnalysis"] == day("2024-02-12"))
        #expect(due["planOfAction"] == day("2024-02-26"))
        #expect(due["sickReportToUWV"] == day("2024-10-21"))
        #expect(due["firstYearEvaluation"] == day("2024-12-30"))
        #expect(due["reintegrationReport"] == day("2025-09-29"))
        #expect(schedule.milestones.allSatisfy { $0.dueOn?.weekday == .monday })
    }

    @Test func theSameWeeksLandOnOtherDatesInANonLeapYear() throws {
        let schedule = DeadlineSchedule(
            template: try shippedTemplate("nl-wet-verbetering-poortwachter"), events: [.absenceStart: day("2023-01-02")])
        #expect(schedule.dueOn("sickReportToUWV") == day("2023-10-23"))
        #expect(schedule.dueOn("firstYearEvaluation") == day("2024-01-01"))
        #expect(schedule.dueOn("reintegrationReport") == day("2024-09-30"))
    }

    @Test func belgianDayCountsAcrossFebruary() throws {
        let template = try shippedTemplate("be-reintegration-2022")
        var leap = DeadlineSchedule(template: template)
        leap.record(.requestReceived, on: day("2024-02-01"))
        #expect(leap.dueOn("reintegrationAssessment") == day("2024-03-21"))
        var common = DeadlineSchedule(template: template)
        common.record(.requestReceived, on: day("2023-02-01"))
        #expect(common.dueOn("reintegrationAssessment") == day("2023-03-22"))

        leap.record(.temporaryUnfitnessDecided, on: day("2024-03-15"))
        #expect(leap.dueOn("reintegrationPlanAfterDecisionA") == day("2024-05-17"))
        leap.record(.definitiveUnfitnessDecided, on: day("2024-08-31"))
        #expect(leap.dueOn("planOrReportAfterDecisionB") == day("2025-02-28"))
        #expect(leap.dueOn("appealAgainstDecisionB") == day("2024-09-21"))
    }

    @Test func milestonesWaitForTheirTrigger() throws {
        let schedule = DeadlineSchedule(
            template: try shippedTemplate("be-reintegration-2022"), events: [.absenceStart: day("2024-05-06")])
        for scheduled in schedule.milestones {
            if scheduled.milestone.trigger == .absenceStart {
                #expect(scheduled.dueOn == day("2024-06-03"))
            } else {
                #expect(scheduled.dueOn == nil, "\(scheduled.code)")
                #expect(scheduled.triggeredOn == nil)
            }
        }
        let opening = schedule.changes(from: [], today: day("2024-05-06"))
        #expect(opening == [.create(milestoneCode: "incapacityReportedToPhysician", dueOn: day("2024-06-03"), metOn: nil)])
    }

    @Test func aTriggerMovedAfterTheDeadlinesExistMovesOnlyItsMilestones() throws {
        var schedule = DeadlineSchedule(
            template: try shippedTemplate("be-reintegration-2022"), events: [.absenceStart: day("2024-01-02")])
        schedule.record(.requestReceived, on: day("2024-01-10"))
        let today = day("2024-01-12")
        let created = schedule.changes(from: [], today: today)
        #expect(created.contains(.create(milestoneCode: "reintegrationAssessment", dueOn: day("2024-02-28"), metOn: nil)))
        let stored = created.compactMap { change -> Deadline? in
            guard case .create(let code, let dueOn, _) = change else { return nil }
            return Deadline(milestoneCode: code, dueOn: dueOn)
        }

        // The request turns out to have arrived five days later.
        schedule.record(.requestReceived, on: day("2024-01-15"))
        #expect(schedule.changes(from: stored, today: today) == [
            .move(milestoneCode: "reintegrationAssessment", from: day("2024-02-28"), to: day("2024-03-04"), reopen: false)
        ])
        // Recording the same date again changes nothing.
        let moved = stored.map { $0.milestoneCode == "reintegrationAssessment" ? Deadline(milestoneCode: $0.milestoneCode, dueOn: day("2024-03-04")) : $0 }
        #expect(schedule.changes(from: moved, today: today).isEmpty)
    }

    @Test func aMissedDeadlineMovedIntoTheFutureIsPendingAgain() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.requestReceived, on: day("2024-03-01"))
        let missed = [Deadline(milestoneCode: "reintegrationAssessment", dueOn: day("2024-02-28"), status: .missed)]
        #expect(schedule.changes(from: missed, today: day("2024-03-05")) == [
            .move(milestoneCode: "reintegrationAssessment", from: day("2024-02-28"), to: day("2024-04-19"), reopen: true)
        ])
        // Corrected, but still in the past: it stays missed.
        schedule.record(.requestReceived, on: day("2024-01-05"))
        #expect(schedule.changes(from: missed, today: day("2024-03-05")) == [
            .move(milestoneCode: "reintegrationAssessment", from: day("2024-02-28"), to: day("2024-02-23"), reopen: false)
        ])
    }

    @Test func settledDeadlinesStayPut() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.requestReceived, on: day("2024-03-01"))
        let settled = [
            Deadline(milestoneCode: "reintegrationAssessment", dueOn: day("2024-02-28"), status: .met),
        ]
        #expect(schedule.changes(from: settled, today: day("2024-03-05")).isEmpty)
        let waived = [Deadline(milestoneCode: "reintegrationAssessment", dueOn: day("2024-02-28"), status: .waived)]
        schedule.remove(.requestReceived)
        #expect(schedule.changes(from: waived, today: day("2024-03-05")).isEmpty)
    }

    @Test func theMeetingEventMeetsTheDeadline() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.requestReceived, on: day("2024-03-01"))
        let stored = [Deadline(milestoneCode: "reintegrationAssessment", dueOn: day("2024-04-19"))]
        schedule.record(.assessmentDone, on: day("2024-04-02"))
        schedule.record(.temporaryUnfitnessDecided, on: day("2024-04-02"))
        let changes = schedule.changes(from: stored, today: day("2024-04-02"))
        #expect(changes.contains(.meet(milestoneCode: "reintegrationAssessment", on: day("2024-04-02"))))
        #expect(changes.contains(.create(milestoneCode: "reintegrationPlanAfterDecisionA", dueOn: day("2024-06-04"), metOn: nil)))
        #expect(changes.count == 2)

        // A plan offered before the deadline row existed: created as met.
        schedule.record(.planOffered, on: day("2024-05-01"))
        let late = schedule.changes(from: stored, today: day("2024-05-01"))
        #expect(late.contains(.create(milestoneCode: "reintegrationPlanAfterDecisionA", dueOn: day("2024-06-04"), metOn: day("2024-05-01"))))
        #expect(late.contains(.create(milestoneCode: "workerRepliesToPlan", dueOn: day("2024-05-15"), metOn: nil)))
    }

    @Test func withdrawingATriggerRemovesItsOpenDeadlines() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.appealLodged, on: day("2024-06-03"))
        let stored = [
            Deadline(milestoneCode: "appealDecision", dueOn: day("2024-07-15")),
            Deadline(milestoneCode: "somethingTheTemplateNoLongerHas", dueOn: day("2024-07-01")),
        ]
        #expect(schedule.changes(from: stored, today: day("2024-06-04")).isEmpty)
        schedule.remove(.appealLodged)
        #expect(schedule.changes(from: stored, today: day("2024-06-04")) == [.remove(milestoneCode: "appealDecision")])
    }

    @Test func theSweepMissesADeadlineOnlyAfterItsDay() {
        let deadline = Deadline(milestoneCode: "problemAnalysis", dueOn: day("2024-05-19"))
        #expect(!deadline.isMissed(on: day("2024-05-19")))
        #expect(deadline.isMissed(on: day("2024-05-20")))
        #expect(!Deadline(milestoneCode: "x", dueOn: day("2024-05-19"), status: .met).isMissed(on: day("2024-06-01")))
        #expect(!Deadline(milestoneCode: "x", dueOn: day("2024-05-19"), status: .waived).isMissed(on: day("2024-06-01")))
    }

    @Test func dstInBrusselsDoesNotShiftADueDate() throws {
        // The request arrives at 00:30 Brussels time on the night the clocks go forward.
        let receivedAt = instant("2024-03-30T23:30:00Z")
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.requestReceived, on: CalendarDate.today(at: receivedAt))
        let dueOn = try #require(schedule.dueOn("reintegrationAssessment"))
        #expect(dueOn == day("2024-05-19"))
        let deadline = Deadline(milestoneCode: "reintegrationAssessment", dueOn: dueOn)
        // Summer time: 23:59 on the due day is still on time, 00:30 the next day is not.
        #expect(!deadline.isMissed(on: CalendarDate.today(at: instant("2024-05-19T21:59:00Z"))))
        #expect(deadline.isMissed(on: CalendarDate.today(at: instant("2024-05-19T22:30:00Z"))))
        // And a period running over the autumn change ends on the same calendar day count.
        schedule.record(.requestReceived, on: CalendarDate.today(at: instant("2024-10-26T22:30:00Z")))
        #expect(schedule.dueOn("reintegrationAssessment") == day("2024-12-15"))
    }

    @Test func weeksAreSevenDaysAndMonthsFollowTheCalendar() {
        let start = day("2024-01-29")
        #expect(MilestoneOffset.weeks(4).applied(to: start) == day("2024-02-26"))
        #expect(MilestoneOffset.days(4).applied(to: start) == day("2024-02-02"))
        #expect(MilestoneOffset.weeks(4).applied(to: start) != MilestoneOffset.months(1).applied(to: start))
        // Months end on the same day of the month, or on the last day the month has.
        #expect(MilestoneOffset.months(1).applied(to: start) == day("2024-02-29"))
        #expect(MilestoneOffset.months(1).applied(to: day("2023-01-29")) == day("2023-02-28"))
        #expect(MilestoneOffset.months(3).applied(to: day("2023-11-30")) == day("2024-02-29"))
        #expect(MilestoneOffset.months(3).applied(to: day("2022-11-30")) == day("2023-02-28"))
        #expect(MilestoneOffset.months(12).applied(to: day("2024-02-29")) == day("2025-02-28"))
        #expect(MilestoneOffset.months(48).applied(to: day("2024-02-29")) == day("2028-02-29"))
        // 52 weeks are 364 days, not a year: the date falls a day (two in a leap year) earlier.
        #expect(MilestoneOffset.weeks(52).applied(to: day("2023-03-01")) == day("2024-02-28"))
        #expect(MilestoneOffset.weeks(52).applied(to: day("2024-03-01")) == day("2025-02-28"))
        #expect(MilestoneOffset.days(365).applied(to: day("2024-01-01")) == day("2024-12-31"))
    }

    @Test func theActivePresenceReviewAcrossALeapDay() throws {
        let template = try shippedTemplate("active-presence")
        var schedule = DeadlineSchedule(template: template, events: [.absenceStart: day("2023-11-29")])
        #expect(schedule.dueOn("reviewAtThreeMonths") == day("2024-02-29"))
        schedule.record(.absenceStart, on: day("2023-11-30"))
        #expect(schedule.dueOn("reviewAtThreeMonths") == day("2024-02-29"))
        schedule.record(.absenceStart, on: day("2024-11-30"))
        #expect(schedule.dueOn("reviewAtThreeMonths") == day("2025-02-28"))
    }

    @Test func aWeekCountOverTheSpringChangeIsMissedOnlyAfterItsBrusselsDay() throws {
        // First day of sickness on the Monday before the clocks go forward (31 March 2024).
        let schedule = DeadlineSchedule(
            template: try shippedTemplate("nl-wet-verbetering-poortwachter"), events: [.absenceStart: day("2024-03-25")])
        let dueOn = try #require(schedule.dueOn("problemAnalysis"))
        #expect(dueOn == day("2024-05-06"))
        let deadline = Deadline(milestoneCode: "problemAnalysis", dueOn: dueOn)
        // 23:30 in Brussels (21:30 UTC in summer time) is still the due day; 00:10 is not.
        #expect(!deadline.isMissed(on: CalendarDate.today(at: instant("2024-05-06T21:30:00Z"))))
        #expect(deadline.isMissed(on: CalendarDate.today(at: instant("2024-05-06T22:10:00Z"))))
        // In winter time the same wall-clock minutes are an hour later in UTC.
        let winter = Deadline(milestoneCode: "x", dueOn: day("2024-12-02"))
        #expect(!winter.isMissed(on: CalendarDate.today(at: instant("2024-12-02T22:59:00Z"))))
        #expect(winter.isMissed(on: CalendarDate.today(at: instant("2024-12-02T23:01:00Z"))))
    }

    @Test func aTriggerMovedTwiceMovesFromWhereItIs() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        schedule.record(.definitiveUnfitnessDecided, on: day("2024-03-01"))
        var stored = schedule.changes(from: [], today: day("2024-03-01")).compactMap { change -> Deadline? in
            guard case .create(let code, let dueOn, _) = change else { return nil }
            return Deadline(milestoneCode: code, dueOn: dueOn)
        }
        #expect(Set(stored.map(\.milestoneCode)) == ["planOrReportAfterDecisionB", "appealAgainstDecisionB"])
        // The appeal window was swept as missed before anyone noticed the wrong decision date.
        stored = stored.map {
            $0.milestoneCode == "appealAgainstDecisionB" ? Deadline(milestoneCode: $0.milestoneCode, dueOn: $0.dueOn, status: .missed) : $0
        }

        // Both milestones hanging on the decision move, each by its own unit; the missed one
        // lands in the future and is pending again.
        schedule.record(.definitiveUnfitnessDecided, on: day("2024-03-31"))
        let moves = schedule.changes(from: stored, today: day("2024-04-02"))
        #expect(Set(moves) == [
            .move(milestoneCode: "planOrReportAfterDecisionB", from: day("2024-09-01"), to: day("2024-09-30"), reopen: false),
            .move(milestoneCode: "appealAgainstDecisionB", from: day("2024-03-22"), to: day("2024-04-21"), reopen: true),
        ])
        // Corrected once more, now that both are pending: they move and stay pending.
        stored = stored.map { Deadline(milestoneCode: $0.milestoneCode, dueOn: schedule.dueOn($0.milestoneCode)!, status: .pending) }
        schedule.record(.definitiveUnfitnessDecided, on: day("2024-03-15"))
        #expect(Set(schedule.changes(from: stored, today: day("2024-04-02"))) == [
            .move(milestoneCode: "planOrReportAfterDecisionB", from: day("2024-09-30"), to: day("2024-09-15"), reopen: false),
            .move(milestoneCode: "appealAgainstDecisionB", from: day("2024-04-21"), to: day("2024-04-05"), reopen: false),
        ])
    }

    @Test func aMeetingEventBeforeTheTriggerDoesNotMeetIt() throws {
        var schedule = DeadlineSchedule(template: try shippedTemplate("be-reintegration-2022"))
        // Decision A, a plan offered, later decision B: that earlier plan is not the one B asks for.
        schedule.record(.temporaryUnfitnessDecided, on: day("2024-01-10"))
        schedule.record(.planOffered, on: day("2024-02-01"))
        schedule.record(.definitiveUnfitnessDecided, on: day("2024-05-02"))
        let changes = schedule.changes(from: [], today: day("2024-05-02"))
        #expect(changes.contains(.create(milestoneCode: "reintegrationPlanAfterDecisionA", dueOn: day("2024-03-13"), metOn: day("2024-02-01"))))
        #expect(changes.contains(.create(milestoneCode: "planOrReportAfterDecisionB", dueOn: day("2024-11-02"), metOn: nil)))
        // A plan offered on the day of decision B does meet it.
        schedule.record(.planOffered, on: day("2024-05-02"))
        #expect(schedule.changes(from: [], today: day("2024-05-02"))
            .contains(.create(milestoneCode: "planOrReportAfterDecisionB", dueOn: day("2024-11-02"), metOn: day("2024-05-02"))))
    }

    @Test func deadlineStatusCodes() {
        #expect(DeadlineStatus.allCases.map(\.sqlValue) == ["pending", "met", "missed", "waived"])
        #expect(DeadlineStatus.met.isSettled && DeadlineStatus.waived.isSettled)
        #expect(!DeadlineStatus.pending.isSettled && !DeadlineStatus.missed.isSettled)
    }
}
