import Foundation
import Testing
@testable import Veerkracht

@Suite("Trajectory state machine")
struct TrajectoryStatusTests {
    /// The whole machine: every pair of statuses not listed here is illegal.
    static let legal: [TrajectoryStatus: [TrajectoryStatus: TrajectoryStatusChange.Kind]] = [
        .intake: [.planning: .startPlanning, .closed: .close],
        .planning: [.active: .activate, .closed: .close],
        .active: [.onHold: .putOnHold, .closed: .close],
        .onHold: [.active: .resume, .closed: .close],
        .closed: [.active: .reopen],
    ]

    static let allPairs = TrajectoryStatus.allCases.flatMap { from in TrajectoryStatus.allCases.map { (from, $0) } }

    @Test(arguments: allPairs)
    func everyPairIsEitherLegalOrRefusedByName(from: TrajectoryStatus, to: TrajectoryStatus) throws {
        let outcome: TrajectoryOutcome? = to == .closed && from != .closed ? .returnedFull : nil
        if let kind = Self.legal[from]?[to] {
            let change = try TrajectoryStatus.change(from: from, to: to, outcome: outcome, reason: "agreed with the employee")
            #expect(change.kind == kind)
            #expect(change.from == from && change.to == to)
            #expect(from.canMove(to: to))
        } else {
            #expect(throws: TrajectoryTransitionError.illegalTransition(from: from, to: to)) {
                try TrajectoryStatus.change(from: from, to: to, outcome: outcome, reason: "because")
            }
            #expect(!from.canMove(to: to))
        }
    }

    @Test func exactlyNineStepsAreLegal() {
        let count = Self.allPairs.filter { $0.0.canMove(to: $0.1) }.count
        #expect(count == 9)
        #expect(Self.legal.values.map(\.count).reduce(0, +) == 9)
    }

    @Test(arguments: [TrajectoryStatus.intake, .planning, .active, .onHold])
    func closingNeedsAnOutcome(from: TrajectoryStatus) throws {
        #expect(throws: TrajectoryTransitionError.outcomeRequired(from: from, to: .closed)) {
            try TrajectoryStatus.change(from: from, to: .closed)
        }
        let change = try TrajectoryStatus.change(from: from, to: .closed, outcome: .withdrawn)
        #expect(change.outcome == .withdrawn)
    }

    @Test(arguments: [(TrajectoryStatus.intake, TrajectoryStatus.planning), (.planning, .active), (.active, .onHold),
                      (.onHold, .active), (.closed, .active)])
    func onlyClosingTakesAnOutcome(from: TrajectoryStatus, to: TrajectoryStatus) {
        #expect(throws: TrajectoryTransitionError.outcomeNotAllowed(from: from, to: to)) {
            try TrajectoryStatus.change(from: from, to: to, outcome: .returnedFull, reason: "a reason")
        }
    }

    @Test(arguments: [nil, "", "   \n\t"])
    func reopeningNeedsAReason(reason: String?) {
        #expect(throws: TrajectoryTransitionError.reasonRequired(from: .closed, to: .active)) {
            try TrajectoryStatus.change(from: .closed, to: .active, reason: reason)
        }
    }

    @Test func reasonsAreTrimmedAndBounded() throws {
        let change = try TrajectoryStatus.change(from: .closed, to: .active, reason: "  relapse after two weeks \n")
        #expect(change.kind == .reopen)
        #expect(change.reason == "relapse after two weeks")
        let long = String(repeating: "x", count: TrajectoryStatusChange.maximumReasonLength + 1)
        #expect(throws: TrajectoryTransitionError.reasonTooLong(from: .active, to: .onHold, limit: 2000)) {
            try TrajectoryStatus.change(from: .active, to: .onHold, reason: long)
        }
        #expect(try TrajectoryStatus.change(from: .active, to: .onHold).reason == nil)
    }

    @Test func errorsNameBothEnds() {
        let error = TrajectoryTransitionError.illegalTransition(from: .closed, to: .planning)
        #expect(error.from == .closed && error.to == .planning)
        #expect(error.description.contains("closed") && error.description.contains("planning"))
        #expect(error.description.contains("active"))  // what is allowed instead
        #expect(TrajectoryTransitionError.outcomeRequired(from: .onHold, to: .closed).description.contains("onHold"))
        #expect(TrajectoryTransitionError.illegalTransition(from: .active, to: .active).description.contains("already active"))
    }

    @Test func onlyClosedIsNotOpen() {
        #expect(TrajectoryStatus.allCases.filter { !$0.isOpen } == [.closed])
    }

    @Test func statusCodesAreLowerCamelCaseInTheAPIAndSnakeCaseInSQL() throws {
        #expect(TrajectoryStatus.onHold.rawValue == "onHold")
        #expect(TrajectoryStatus.onHold.sqlValue == "on_hold")
        #expect(String(decoding: try JSONEncoder().encode(TrajectoryStatus.onHold), as: UTF8.self) == #""onHold""#)
        for status in TrajectoryStatus.allCases { #expect(TrajectoryStatus(sqlValue: status.sqlValue) == status) }
        #expect(TrajectoryStatus(sqlValue: "onHold") == nil)
    }
}

@Suite("Trajectory values")
struct TrajectoryTests {
    let opened = instant("2024-03-04T08:00:00Z")

    func newTrajectory() -> Trajectory {
        Trajectory(
            id: UUID(), reference: TrajectoryReference(year: 2024, sequence: 17)!, employeeID: UUID(), entityID: UUID(), absenceID: UUID(),
            officerID: UUID(), goal: .returnOwnJob, templateID: "be-reintegration-2022", openedAt: opened)
    }

    @Test func aWholeLifeFromIntakeToClosedAndBack() throws {
        var trajectory = newTrajectory()
        #expect(trajectory.status == .intake)
        try trajectory.transition(to: .planning, at: opened)
        try trajectory.transition(to: .active, at: opened)
        try trajectory.transition(to: .onHold, reason: "surgery planned", at: opened)
        try trajectory.transition(to: .active, at: opened)
        try trajectory.block(reason: "no adapted job found", at: instant("2024-04-01T09:00:00Z"))

        let closedAt = instant("2024-06-28T15:00:00Z")
        let close = try trajectory.transition(to: .closed, outcome: .returnedPartial, at: closedAt)
        #expect(close.kind == .close)
        #expect(trajectory.outcome == .returnedPartial)
        #expect(trajectory.closedAt == closedAt)
        #expect(trajectory.blocked == nil)
        #expect(trajectory.isReadOnly)

        #expect(throws: TrajectoryTransitionError.illegalTransition(from: .closed, to: .onHold)) {
            try trajectory.transition(to: .onHold, at: closedAt)
        }
        #expect(throws: TrajectoryRuleError.closedIsReadOnly) { try trajectory.block(reason: "x", at: closedAt) }
        #expect(throws: TrajectoryRuleError.closedIsReadOnly) { try trajectory.unblock() }

        let reopen = try trajectory.transition(to: .active, reason: "relapse", at: instant("2024-07-15T08:00:00Z"))
        #expect(reopen.kind == .reopen && reopen.reason == "relapse")
        #expect(trajectory.status == .active && trajectory.outcome == nil && trajectory.closedAt == nil)
    }

    @Test func aRefusedTransitionChangesNothing() {
        var trajectory = newTrajectory()
        let before = trajectory
        #expect(throws: TrajectoryTransitionError.illegalTransition(from: .intake, to: .active)) {
            try trajectory.transition(to: .active, at: opened)
        }
        #expect(trajectory == before)
    }

    @Test func blockingKeepsItsStartWhenTheReasonChanges() throws {
        var trajectory = newTrajectory()
        try trajectory.block(reason: "  waiting for the physician ", at: instant("2024-03-10T09:00:00Z"))
        #expect(trajectory.blocked?.reason == "waiting for the physician")
        try trajectory.block(reason: "waiting for a second opinion", at: instant("2024-03-20T09:00:00Z"))
        #expect(trajectory.blocked?.since == instant("2024-03-10T09:00:00Z"))
        #expect(trajectory.blocked?.reason == "waiting for a second opinion")
        #expect(try trajectory.unblock()?.reason == "waiting for a second opinion")
        #expect(trajectory.blocked == nil)
        #expect(try trajectory.unblock() == nil)
    }

    @Test func aBlockNeedsAReason() {
        var trajectory = newTrajectory()
        #expect(throws: TrajectoryRuleError.blockReasonRequired) { try trajectory.block(reason: " \n", at: opened) }
        #expect(throws: TrajectoryRuleError.blockReasonTooLong(limit: BlockedFlag.maximumReasonLength)) {
            try trajectory.block(reason: String(repeating: "y", count: BlockedFlag.maximumReasonLength + 1), at: opened)
        }
    }

    @Test func daysBlockedCountsBrusselsDays() throws {
        // Blocked at 00:30 Brussels time on 31 March, the night the clocks go forward.
        let flag = try BlockedFlag(reason: "no answer from the host entity", since: instant("2024-03-30T23:30:00Z"))
        #expect(flag.daysBlocked(on: day("2024-03-31")) == 0)
        #expect(flag.daysBlocked(on: day("2024-04-10")) == 10)
        #expect(flag.daysBlocked(on: day("2024-03-30")) == 0)
        #expect(flag.daysBlocked(on: day("2024-04-10"), in: TimeZone(identifier: "UTC")!) == 11)
    }

    @Test func goalsAndOutcomesSpeakLowerCamelCaseToTheAPIAndSnakeCaseToSQL() throws {
        #expect(TrajectoryGoal.allCases.map(\.rawValue) == [
            "returnOwnJob", "adaptedOwnJob", "otherJobInternal", "temporaryMobility", "redeployment", "exitOutplacement",
            "undetermined",
        ])
        #expect(TrajectoryGoal.allCases.map(\.sqlValue) == [
            "return_own_job", "adapted_own_job", "other_job_internal", "temporary_mobility", "redeployment",
            "exit_outplacement", "undetermined",
        ])
        #expect(TrajectoryOutcome.allCases.map(\.rawValue) == [
            "returnedFull", "returnedPartial", "placedOtherJob", "temporaryPlacementCompleted", "leftOrganisation",
            "definitivelyUnfit", "withdrawn",
        ])
        #expect(TrajectoryOutcome.allCases.map(\.sqlValue) == [
            "returned_full", "returned_partial", "placed_other_job", "temporary_placement_completed",
            "left_organisation", "definitively_unfit", "withdrawn",
        ])
        for goal in TrajectoryGoal.allCases { #expect(TrajectoryGoal(sqlValue: goal.sqlValue) == goal) }
        for outcome in TrajectoryOutcome.allCases { #expect(TrajectoryOutcome(sqlValue: outcome.sqlValue) == outcome) }
        #expect(TrajectoryGoal(rawValue: "return_own_job") == nil)
        let decoded = try JSONDecoder().decode([TrajectoryOutcome].self, from: Data(#"["leftOrganisation"]"#.utf8))
        #expect(decoded == [.leftOrganisation])
    }

    @Test func referencesLookLikeVK2026000123() throws {
        let reference = try #require(TrajectoryReference("VK-2026-000123"))
        #expect(reference.year == 2026 && reference.sequence == 123)
        #expect(TrajectoryReference(year: 2026, sequence: 4)?.description == "VK-2026-000004")
        for bad in ["VK-2026-123", "vk-2026-000123", "VK-2026-000000", "VK-26-000123", "VK-2026-0001234", " VK-2026-000123", "VK-2026-00012a", "VK+2026-000123", "VK-2O26-000123"] {
            #expect(TrajectoryReference(bad) == nil, "\(bad)")
        }
        #expect(TrajectoryReference(year: 2026, sequence: 1_000_000) == nil)
        #expect(TrajectoryReference("VK-2025-999999")! < TrajectoryReference("VK-2026-000001")!)
        let encoded = String(decoding: try JSONEncoder().encode(reference), as: UTF8.self)
        #expect(encoded == #""VK-2026-000123""#)
    }
}
