import Foundation
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

@Suite("Opening-time deadlines and the sweep")
struct DeadlineSweepTests {
    @Test func openingATrajectoryCreatesTheDeadlinesWhoseTriggerIsKnown() async throws {
        try await DeadlineWorld.with { world in
            let dutch = try await world.openTrajectory(template: "nl-wet-verbetering-poortwachter", absenceStart: day("2024-05-06"))
            let dutchDeadlines = try await world.deadlines(of: dutch)
            #expect(dutchDeadlines.mapValues(\.dueOn) == [
                "problemAnalysis": day("2024-06-17"), "planOfAction": day("2024-07-01"), "sickReportToUWV": day("2025-02-24"),
                "firstYearEvaluation": day("2025-05-05"), "reintegrationReport": day("2026-02-02"),
            ])
            #expect(dutchDeadlines.values.allSatisfy { $0.status == "pending" && $0.metOn == nil })
            let dutchTimeline = try await world.timeline(of: dutch)
            #expect(dutchTimeline == ["trigger_recorded"] + Array(repeating: "deadline_created", count: 5))
            let payloads = try await world.app.client.query("""
                SELECT actor_id, payload->>'milestoneCode', payload->>'dueOn', payload->>'status', payload->>'event'
                FROM trajectory_events WHERE trajectory_id = \(dutch) AND type = 'deadline_created' ORDER BY id
                """).map { try $0.decode((UUID?, String, String, String, String).self) }
            #expect(payloads.first?.0 == world.officer.id)
            #expect(payloads.map(\.1) == ["problemAnalysis", "planOfAction", "sickReportToUWV", "firstYearEvaluation", "reintegrationReport"])
            #expect(payloads.first.map { [$0.2, $0.3, $0.4] } == ["2024-06-17", "pending", "absenceStart"])

            // The Belgian template counts only its first milestone from the absence; the rest wait for events.
            let belgian = try await world.openTrajectory(employee: ("Jan", "Claes"))
            let belgianDeadlines = try await world.deadlines(of: belgian)
            #expect(belgianDeadlines.mapValues(\.dueOn) == ["incapacityReportedToPhysician": day("2024-04-01")])
            let events = try await world.app.client.query("""
                SELECT event, occurred_on, recorded_by FROM trajectory_trigger_events WHERE trajectory_id = \(belgian)
                """).map { try $0.decode((String, CalendarDate, UUID?).self) }
            #expect(events.count == 1)
            #expect(events.first?.0 == "absence_start" && events.first?.1 == day("2024-03-04") && events.first?.2 == world.officer.id)

            // A redeployment has no absence: nothing counts from it yet.
            let redeployment = try await world.openTrajectory(
                template: "nl-wet-verbetering-poortwachter", absenceStart: nil, employee: ("Kim", "Maes"))
            let none = try await world.count("deadlines", trajectory: redeployment)
            let noEvents = try await world.count("trajectory_trigger_events", trajectory: redeployment)
            #expect(none == 0 && noEvents == 0)

            // An unknown template is refused, so that the opening's transaction rolls back.
            let error = await #expect(throws: Problem.self) {
                try await world.app.client.withTransaction { connection in
                    try await DeadlineStore().createDeadlines(
                        trajectoryID: redeployment, templateID: "no-such-template", absenceStart: nil, openedOn: DeadlineWorld.today,
                        actor: world.officer.id, on: connection)
                }
            }
            #expect(error?.issues.first?.name == "templateId")
        }
    }

    @Test func theAbsenceFeatureMovesDeadlinesThroughTheStore() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory(template: "nl-wet-verbetering-poortwachter", absenceStart: day("2024-05-06"))
            // The absence turns out to have started a week earlier.
            let recording = try await world.app.client.withTransaction { connection in
                try await DeadlineStore().recordTriggerEvent(
                    .absenceStart, occurredOn: day("2024-04-29"), trajectoryID: trajectory, actor: world.officer.id,
                    today: DeadlineWorld.today, on: connection)
            }
            #expect(recording?.previousOccurredOn == day("2024-05-06"))
            #expect(recording?.affected.count == 5)
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored["problemAnalysis"]?.dueOn == day("2024-06-10"))
            #expect(stored["reintegrationReport"]?.dueOn == day("2026-01-26"))
            // A trajectory without a template, or an event its template does not use: nothing happens.
            let redeployment = try await world.openTrajectory(template: nil, absenceStart: nil, employee: ("Kim", "Maes"))
            let ignored = try await world.app.client.withTransaction { connection in
                (try await DeadlineStore().recordTriggerEvent(
                    .absenceStart, occurredOn: day("2024-04-29"), trajectoryID: redeployment, actor: nil, today: DeadlineWorld.today, on: connection),
                 try await DeadlineStore().recordTriggerEvent(
                    .requestReceived, occurredOn: day("2024-04-29"), trajectoryID: trajectory, actor: nil, today: DeadlineWorld.today, on: connection))
            }
            #expect(ignored.0 == nil && ignored.1 == nil)
        }
    }

    @Test func theSweepMarksOverdueDeadlinesMissedOnceAndOnlyThose() async throws {
        try await DeadlineWorld.with { world in
            // Active presence from 3 March: the review was due on 3 June, today, so it is on time.
            let dueToday = try await world.openTrajectory(template: "active-presence", absenceStart: day("2024-03-03"), employee: ("Ann", "Today"))
            // Belgian from 4 March: reported to the physician by 1 April, overdue.
            let overdue = try await world.openTrajectory(employee: ("Ben", "Late"))
            // Overdue too, but closed.
            let closed = try await world.openTrajectory(employee: ("Cas", "Closed"))
            try await world.close(closed)
            // Overdue, but met by its event before the sweep.
            let met = try await world.openTrajectory(employee: ("Dora", "Done"))
            try await world.app.client.withTransaction { connection in
                try await DeadlineStore().recordTriggerEvent(
                    .incapacityReported, occurredOn: day("2024-03-29"), trajectoryID: met, actor: world.officer.id,
                    today: DeadlineWorld.today, on: connection)
            }

            let first = try await DeadlineSweeper().sweep(world.app.client, today: DeadlineWorld.today)
            #expect(first == 1)
            let second = try await DeadlineSweeper().sweep(world.app.client, today: DeadlineWorld.today)
            #expect(second == 0, "a second sweep finds nothing left to do")

            let statuses = [
                try await world.deadlines(of: dueToday)["reviewAtThreeMonths"]?.status,
                try await world.deadlines(of: overdue)["incapacityReportedToPhysician"]?.status,
                try await world.deadlines(of: closed)["incapacityReportedToPhysician"]?.status,
                try await world.deadlines(of: met)["incapacityReportedToPhysician"]?.status,
            ]
            #expect(statuses == ["pending", "missed", "pending", "met"])
            let missedEvent = try await world.app.client.query("""
                SELECT actor_id, payload->>'milestoneCode', payload->>'status', payload->>'dueOn', payload ? 'event'
                FROM trajectory_events WHERE trajectory_id = \(overdue) AND type = 'deadline_missed'
                """).map { try $0.decode((UUID?, String, String, String, Bool).self) }
            #expect(missedEvent.count == 1)
            #expect(missedEvent.first?.0 == nil, "the system did it")
            #expect(missedEvent.first.map { [$0.1, $0.2, $0.3] } == ["incapacityReportedToPhysician", "missed", "2024-04-01"])
            #expect(missedEvent.first?.4 == false)
            let resolved = try await world.app.client.query("""
                SELECT resolved_at IS NOT NULL, resolved_by IS NULL, version FROM deadlines WHERE trajectory_id = \(overdue)
                """)[0].decode((Bool, Bool, Int64).self)
            #expect(resolved == (true, true, 2))

            // The next day the review is overdue too.
            let tomorrow = try await DeadlineSweeper().sweep(world.app.client, today: day("2024-06-04"))
            #expect(tomorrow == 1)
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func twoSweepsAtOnceMarkEachDeadlineExactlyOnce() async throws {
        try await DeadlineWorld.with { world in
            // Dutch cases from 2 January 2023: by 3 June 2024 four of their five deadlines are past.
            for index in 0..<15 {
                try await world.openTrajectory(
                    template: "nl-wet-verbetering-poortwachter", absenceStart: day("2023-01-02"), employee: ("Case", "Number \(index)"))
            }
            let overdue = try await world.app.client.query("""
                SELECT count(*) FROM deadlines WHERE status = 'pending' AND due_on < \(DeadlineWorld.today)
                """)[0].decode(0, as: Int.self)
            #expect(overdue == 60)
            // Two sweeps as two instances would run them: each with a connection of its own, in
            // small batches so that they interleave.
            let configuration = world.app.client.configuration.connection
            let counts = try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { first in
                try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { second in
                    async let one = DeadlineSweeper(batchSize: 4).sweep(first, today: DeadlineWorld.today)
                    async let two = DeadlineSweeper(batchSize: 4).sweep(second, today: DeadlineWorld.today)
                    return try await [one, two]
                }
            }
            #expect(counts.reduce(0, +) == 60, "\(counts)")
            let perDeadline = try await world.app.client.query("""
                SELECT d.id, count(e.id) FROM deadlines d
                LEFT JOIN trajectory_events e ON e.type = 'deadline_missed' AND e.payload->>'deadlineId' = d.id::text
                WHERE d.status = 'missed' GROUP BY d.id
                """).map { try $0.decode((UUID, Int).self) }
            #expect(perDeadline.count == 60)
            #expect(perDeadline.allSatisfy { $0.1 == 1 }, "every missed deadline has exactly one timeline event")
            let events = try await world.app.client.query("SELECT count(*) FROM trajectory_events WHERE type = 'deadline_missed'")[0]
                .decode(0, as: Int.self)
            #expect(events == 60)
            let pending = try await world.app.client.query("SELECT count(*) FROM deadlines WHERE status = 'pending'")[0].decode(0, as: Int.self)
            #expect(pending == 15, "the re-integration reports are not due until September")
        }
    }
}
