import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Trigger events")
struct TriggerEventTests {
    @Test func aNewEventCreatesTheDeadlinesCountedFromIt() async throws {
        try await DeadlineWorld.with { world in
            // Belgian template, absence from 4 March: only the report to the physician is due yet.
            let trajectory = try await world.openTrajectory()
            try await world.app.test { client in
                let response = try await world.recordRequestReceived(client, on: trajectory)
                #expect(response.status == .created, "\(response.body.text)")
                let location = try #require(response.headers[.location])
                #expect(location.hasSuffix(DeadlinePath.triggerEvents(trajectory) + "/requestReceived"))
                #expect(response.json["href"] as? String == location)
                let etag = try #require(response.headers[.eTag])
                #expect(response.json["event"] as? String == "requestReceived")
                #expect(response.json["occurredOn"] as? String == "2024-05-20")
                #expect(response.json["recordedBy"] as? String == world.officer.id.uuidString.lowercased())
                #expect(response.json["previousOccurredOn"] == nil)
                #expect(response.headers[.contentLanguage] == nil, "all four languages")
                let created = response.deadlinesByCode
                #expect(Array(created.keys) == ["reintegrationAssessment"])
                let assessment = try #require(created["reintegrationAssessment"])
                #expect(assessment["dueOn"] as? String == "2024-07-08", "49 days after the request")
                #expect(assessment["status"] as? String == "pending")
                #expect(assessment["responsible"] as? String == "occupationalPhysician")
                #expect(assessment["trigger"] as? String == "requestReceived")
                #expect(assessment["parameter"] as? Bool == true)
                let label = try #require(assessment["label"] as? [String: String])
                #expect(Set(label.keys) == ["nl", "fr", "de", "en"])

                let fetched = try await client.execute(uri: TestApp.relative(location), method: .get, headers: .bearer(world.officerToken))
                #expect(fetched.status == .ok)
                #expect(fetched.headers[.eTag] == etag)
                #expect(fetched.json["occurredOn"] as? String == "2024-05-20")
                let unchanged = try await client.execute(
                    uri: TestApp.relative(location), method: .get, headers: .bearer(world.officerToken, [.ifNoneMatch: etag]))
                #expect(unchanged.status == .notModified)

                let (events, _) = try await world.app.collectAll(client, DeadlinePath.triggerEvents(trajectory) + "?pageSize=1", token: world.officerToken)
                #expect(events.map { $0["event"] as? String } == ["absenceStart", "requestReceived"], "in the order they happened")
                #expect(events.map { $0["occurredOn"] as? String } == ["2024-03-04", "2024-05-20"])
                let notRecorded = try await client.execute(
                    uri: DeadlinePath.triggerEvents(trajectory) + "/planOffered", method: .get, headers: .bearer(world.officerToken))
                expectProblem(notRecorded, .notFound, type: ProblemURN.resourceNotFound)
            }
            let timeline = try await world.timeline(of: trajectory)
            #expect(timeline == ["trigger_recorded", "deadline_created", "trigger_recorded", "deadline_created"])
            let audit = try await world.audit(trajectory: trajectory)
            #expect(audit.contains { $0.actor == world.officer.id && $0.action == "create" && $0.resource == "trigger_event" && $0.outcome == "allowed" })
        }
    }

    @Test func recordingAgainMovesWhatIsOpenAndLeavesWhatIsSettled() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            try await world.app.test { client in
                func record(_ event: String, _ date: String) async throws -> TestResponse {
                    try await client.execute(
                        uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: .json(world.officerToken),
                        body: .json(["event": event, "occurredOn": date]))
                }
                _ = try await record("requestReceived", "2024-05-20")
                // The request arrived a week later than recorded.
                let moved = try await record("requestReceived", "2024-05-27")
                #expect(moved.status == .ok, "\(moved.body.text)")
                #expect(moved.headers[.location] == nil)
                #expect(moved.json["previousOccurredOn"] as? String == "2024-05-20")
                #expect(moved.deadlinesByCode["reintegrationAssessment"]?["dueOn"] as? String == "2024-07-15")
                // The same date again changes nothing.
                let same = try await record("requestReceived", "2024-05-27")
                #expect(same.status == .ok)
                #expect(same.json["deadlines"] as? [Any] != nil && same.deadlinesByCode.isEmpty)

                // The assessment meets its deadline; decision A starts the plan's.
                let assessed = try await record("assessmentDone", "2024-06-01")
                #expect(assessed.status == .created)
                #expect(assessed.deadlinesByCode["reintegrationAssessment"]?["status"] as? String == "met")
                #expect(assessed.deadlinesByCode["reintegrationAssessment"]?["metOn"] as? String == "2024-06-01")
                let decided = try await record("temporaryUnfitnessDecided", "2024-06-01")
                #expect(decided.deadlinesByCode["reintegrationPlanAfterDecisionA"]?["dueOn"] as? String == "2024-08-03")

                // A met deadline is history: correcting its trigger does not move it.
                let corrected = try await record("requestReceived", "2024-05-10")
                #expect(corrected.status == .ok)
                #expect(corrected.deadlinesByCode.isEmpty)
            }
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored["reintegrationAssessment"]?.status == "met")
            #expect(stored["reintegrationAssessment"]?.dueOn == day("2024-07-15"))
            #expect(stored["reintegrationPlanAfterDecisionA"]?.status == "pending")
            let timeline = try await world.timeline(of: trajectory)
            #expect(timeline == [
                "trigger_recorded", "deadline_created",  // opening
                "trigger_recorded", "deadline_created",  // request
                "trigger_recorded", "deadline_moved",  // request moved
                "trigger_recorded", "deadline_met",  // assessment
                "trigger_recorded", "deadline_created",  // decision A
                "trigger_recorded",  // request corrected again, nothing to move
            ])
        }
    }

    @Test func aMissedDeadlineWhoseTriggerIsCorrectedIntoTheFutureIsPendingAgain() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            try await world.app.test { client in
                let first = try await client.execute(
                    uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: .json(world.officerToken),
                    body: .json(["event": "requestReceived", "occurredOn": "2024-04-01"]))
                #expect(first.deadlinesByCode["reintegrationAssessment"]?["dueOn"] as? String == "2024-05-20")
                let swept = try await DeadlineSweeper().sweep(world.app.client, today: DeadlineWorld.today)
                #expect(swept == 2, "the assessment and the report to the physician are past")
                let corrected = try await client.execute(
                    uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: .json(world.officerToken),
                    body: .json(["event": "requestReceived", "occurredOn": "2024-05-01"]))
                let assessment = try #require(corrected.deadlinesByCode["reintegrationAssessment"])
                #expect(assessment["dueOn"] as? String == "2024-06-19")
                #expect(assessment["status"] as? String == "pending")
                #expect(assessment["resolvedAt"] == nil)
            }
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored["incapacityReportedToPhysician"]?.status == "missed")
        }
    }

    @Test func badInputIsRefusedWithEveryIssueAndNothingIsWritten() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            let before = (try await world.count("trajectory_trigger_events", trajectory: trajectory),
                          try await world.count("deadlines", trajectory: trajectory),
                          try await world.count("trajectory_events", trajectory: trajectory))
            try await world.app.test { client in
                func post(_ body: Any) async throws -> TestResponse {
                    try await client.execute(
                        uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: .json(world.officerToken), body: .json(body))
                }
                let both = try await post(["event": "request_received", "occurredOn": "2024-02-30"])
                let issues = expectBadRequest(both, issue: ProblemURN.schemaViolation, in: "body", name: "event")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["event", "occurredOn"])

                let future = try await post(["event": "requestReceived", "occurredOn": "2024-06-04"])
                expectBadRequest(future, issue: ProblemURN.invalidInput, in: "body", name: "occurredOn")
                let fromTheAbsence = try await post(["event": "absenceStart", "occurredOn": "2024-03-01"])
                expectBadRequest(fromTheAbsence, issue: ProblemURN.invalidInput, in: "body", name: "event")
                // The Dutch sick report is not part of the Belgian template.
                let otherTemplate = try await post(["event": "sickReportFiled", "occurredOn": "2024-05-01"])
                let detail = expectBadRequest(otherTemplate, issue: ProblemURN.invalidInput, in: "body", name: "event").first?["detail"] as? String
                #expect(detail?.contains("requestReceived") == true, "the answer lists the events the template uses: \(detail ?? "")")
                let unknown = try await post(["event": "requestReceived", "occurredOn": "2024-05-01", "note": "x"])
                expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "body")
                let missing = try await post(["event": "requestReceived"])
                expectBadRequest(missing, issue: ProblemURN.schemaViolation, in: "body", name: "occurredOn")
                let badPath = try await client.execute(
                    uri: "/v1/trajectories/not-a-uuid/triggerEvents", method: .post, headers: .json(world.officerToken),
                    body: .json(["event": "requestReceived", "occurredOn": "2024-05-01"]))
                expectBadRequest(badPath, issue: ProblemURN.schemaViolation, in: "path", name: "trajectoryId")
                let badCode = try await client.execute(
                    uri: DeadlinePath.triggerEvents(trajectory) + "/request_received", method: .get, headers: .bearer(world.officerToken))
                expectBadRequest(badCode, issue: ProblemURN.schemaViolation, in: "path", name: "triggerEventCode")
            }
            let after = (try await world.count("trajectory_trigger_events", trajectory: trajectory),
                         try await world.count("deadlines", trajectory: trajectory),
                         try await world.count("trajectory_events", trajectory: trajectory))
            #expect(after == before)
        }
    }

    @Test func outOfScopeIs404AndTheDenialIsAudited() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            let assigned = try await world.openTrajectory(physician: world.physician.id, employee: ("Jan", "Claes"))
            try await world.app.test { client in
                let body = ByteBuffer.json(["event": "requestReceived", "occurredOn": "2024-05-20"])
                for token in [world.outsiderToken, world.physicianToken, world.hrToken, world.app.adminToken] {
                    let write = try await client.execute(
                        uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: .json(token), body: body)
                    expectProblem(write, .notFound, type: ProblemURN.resourceNotFound)
                    let read = try await client.execute(uri: DeadlinePath.triggerEvents(trajectory), method: .get, headers: .bearer(token))
                    expectProblem(read, .notFound, type: ProblemURN.resourceNotFound)
                }
                // The assigned physician reads the events of their case but does not record them.
                let read = try await client.execute(uri: DeadlinePath.triggerEvents(assigned), method: .get, headers: .bearer(world.physicianToken))
                #expect(read.status == .ok)
                #expect(read.items.count == 1)
                let write = try await client.execute(
                    uri: DeadlinePath.triggerEvents(assigned), method: .post, headers: .json(world.physicianToken), body: body)
                expectProblem(write, .notFound, type: ProblemURN.resourceNotFound)
                let nowhere = try await client.execute(
                    uri: DeadlinePath.triggerEvents(UUID()), method: .post, headers: .json(world.officerToken), body: body)
                expectProblem(nowhere, .notFound, type: ProblemURN.resourceNotFound)
            }
            let denials = try await world.audit(trajectory: trajectory).filter { $0.outcome == "denied" }
            #expect(denials.count == 8)
            #expect(denials.contains { $0.actor == world.outsider.id && $0.action == "create" && $0.resource == "trigger_event" })
            #expect(denials.contains { $0.actor == world.outsider.id && $0.action == "list" && $0.resource == "trigger_event" })
            let byPhysician = try await world.auditOutcomes(trajectory: assigned, actor: world.physician.id)
            #expect(byPhysician == ["allowed", "denied"])
            let events = try await world.count("trajectory_trigger_events", trajectory: trajectory)
            #expect(events == 1, "only the absence start of the opening")
        }
    }

    @Test func closedOrTemplatelessTrajectoriesAre409() async throws {
        try await DeadlineWorld.with { world in
            let closed = try await world.openTrajectory()
            try await world.close(closed)
            let redeployment = try await world.openTrajectory(template: nil, absenceStart: nil, employee: ("Kim", "Maes"))
            try await world.app.test { client in
                for trajectory in [closed, redeployment] {
                    let response = try await world.recordRequestReceived(client, on: trajectory)
                    expectProblem(response, .conflict, type: ProblemURN.conflict)
                }
                // Reading stays possible.
                let read = try await client.execute(uri: DeadlinePath.triggerEvents(closed), method: .get, headers: .bearer(world.officerToken))
                #expect(read.status == .ok)
            }
            let events = try await world.count("trajectory_trigger_events", trajectory: closed)
            #expect(events == 1)
        }
    }

    @Test func anIdempotentRetryAnswersTheFirstResultAgain() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            let other = try await world.openTrajectory(employee: ("Jan", "Claes"))
            try await world.app.test { client in
                let headers = HTTPFields.json(world.officerToken, [.idempotencyKey: "request-2024-05-20"])
                let body = ["event": "requestReceived", "occurredOn": "2024-05-20"]
                let first = try await client.execute(uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: headers, body: .json(body))
                #expect(first.status == .created)
                var french = headers
                french[.acceptLanguage] = "fr-BE"
                let replay = try await client.execute(uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: french, body: .json(body))
                #expect(replay.status == .created)
                #expect(replay.headers[.location] == first.headers[.location])
                #expect(replay.headers[.eTag] == first.headers[.eTag])
                #expect(replay.json["recordedAt"] as? String == first.json["recordedAt"] as? String)
                #expect(replay.headers[.contentLanguage] == "fr")
                let label = replay.deadlinesByCode["reintegrationAssessment"]?["label"] as? [String: String]
                #expect(label.map { Array($0.keys) } == ["fr"], "a replay answers in the language asked now")

                let otherBody = try await client.execute(
                    uri: DeadlinePath.triggerEvents(trajectory), method: .post, headers: headers,
                    body: .json(["event": "requestReceived", "occurredOn": "2024-05-21"]))
                expectProblem(otherBody, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let otherTrajectory = try await client.execute(
                    uri: DeadlinePath.triggerEvents(other), method: .post, headers: headers, body: .json(body))
                expectProblem(otherTrajectory, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
            }
            let timeline = try await world.timeline(of: trajectory)
            #expect(timeline.filter { $0 == "trigger_recorded" }.count == 2, "the opening's and the request's, once")
            let untouched = try await world.count("trajectory_trigger_events", trajectory: other)
            #expect(untouched == 1)
        }
    }
}
