import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

/// Two entities, an officer in each, a physician, an HR user, an auditor, and an absent employee
/// of the first entity.
struct CaseWorld {
    let app: TestApp
    let entity: String
    let officer: (user: User, token: String)
    let otherOfficer: (user: User, token: String)
    let colleague: (user: User, token: String)
    let physician: (user: User, token: String)
    let hr: (user: User, token: String)
    let auditor: (user: User, token: String)
    let employeeID: UUID
    let absenceID: UUID

    static func make(_ app: TestApp, _ client: any TestClientProtocol) async throws -> CaseWorld {
        let north = try await app.createEntity(client, code: "NORTH").json["id"] as! String
        _ = try await app.createEntity(client, code: "SOUTH")
        let officer = try await app.user("officer@example.org", roles: [.officer], entities: ["NORTH"])
        let otherOfficer = try await app.user("south@example.org", roles: [.officer], entities: ["SOUTH"])
        let colleague = try await app.user("colleague@example.org", roles: [.officer], entities: ["NORTH"])
        let physician = try await app.user("doctor@example.org", roles: [.physician])
        let hr = try await app.user("hr@example.org", roles: [.hr], entities: ["NORTH"])
        let auditor = try await app.user("auditor@example.org", roles: [.auditor])
        let employeeID = try await app.client.query("""
            INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours)
            VALUES ('P-1001', 'Mira', 'Peeters', \(UUID(uuidString: north)!), 38) RETURNING id
            """)[0].decode(0, as: UUID.self)
        let absenceID = try await app.client.query("""
            INSERT INTO absences (employee_id, kind, starts_on) VALUES (\(employeeID), 'illness', '2026-09-01') RETURNING id
            """)[0].decode(0, as: UUID.self)
        return CaseWorld(
            app: app, entity: north, officer: officer, otherOfficer: otherOfficer, colleague: colleague, physician: physician,
            hr: hr, auditor: auditor, employeeID: employeeID, absenceID: absenceID)
    }

    /// A new app with this world in it, and a client.
    static func with(_ body: @Sendable (TestApp, any TestClientProtocol, CaseWorld) async throws -> Void) async throws {
        try await TestApp.with { app in
            try await app.test { client in try await body(app, client, try await make(app, client)) }
        }
    }

    /// Opens the employee's trajectory as the officer; its URI and ETag.
    func openCase(_ client: any TestClientProtocol, sourceLocation: SourceLocation = #_sourceLocation) async throws -> (uri: String, etag: String) {
        let opened = try await open(client)
        try #require(opened.status == .created, "opening: \(opened.body.text)", sourceLocation: sourceLocation)
        return (try #require(opened.headers[.location], sourceLocation: sourceLocation),
                try #require(opened.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// Adds a workplace visit to the action plan of the case at `uri`, as the officer: its
    /// JSON, URI and ETag.
    func addAction(
        _ client: any TestClientProtocol, to uri: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], uri: String, etag: String) {
        let added = try await client.execute(
            uri: uri + "/actions", method: .post, headers: .json(officer.token),
            body: .json(["title": "Workplace visit", "kind": "workplaceAdaptation", "owner": "manager"]))
        try #require(added.status == .created, "adding an action: \(added.body.text)", sourceLocation: sourceLocation)
        return (added.json, try #require(added.headers[.location], sourceLocation: sourceLocation),
                try #require(added.headers[.eTag], sourceLocation: sourceLocation))
    }

    func open(_ client: any TestClientProtocol, token: String? = nil, extra: [String: Any] = [:], key: String? = nil) async throws -> TestResponse {
        var body: [String: Any] = ["employeeId": employeeID.uuidString, "absenceId": absenceID.uuidString, "goal": "returnOwnJob"]
        body.merge(extra) { $1 }
        var headers: [HTTPField.Name: String] = [:]
        if let key { headers[.idempotencyKey] = key }
        return try await client.execute(uri: "/v1/trajectories", method: .post, headers: .json(token ?? officer.token, headers), body: .json(body))
    }

    func audit(outcome: String, resource: String = "trajectory") async throws -> Int {
        try await app.client.query("SELECT count(*) FROM audit_log WHERE outcome = \(outcome) AND resource_type = \(resource)")[0].decode(0, as: Int.self)
    }
}

@Suite("Trajectories")
struct TrajectoryTests {
    @Test func theLifeOfATrajectoryFromIntakeToClosedAndBack() async throws {
        // Half an hour before midnight on New Year's Eve in UTC, after it in Brussels.
        let newYear = try Date("2026-12-31T23:30:00Z", strategy: .iso8601)
        try await TestApp.with(now: { newYear }) { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let opened = try await world.open(client, extra: ["physicianId": world.physician.user.id.uuidString])
                #expect(opened.status == .created, "\(opened.body.text)")
                let id = try #require(opened.json["id"] as? String)
                // The year of the server's clock, in Brussels: New Year's Eve in UTC is already 2027 there.
                #expect(opened.json["reference"] as? String == "VK-2027-000001")
                #expect(opened.json["status"] as? String == "intake")
                #expect(opened.json["contactDueOn"] as? String == "2026-09-08", "first contact within 7 days of the absence start")
                #expect((opened.json["employee"] as? [String: Any])?["familyName"] as? String == "Peeters")
                #expect(opened.headers[.location]?.hasSuffix("/v1/trajectories/\(id)") == true)
                var etag = try #require(opened.headers[.eTag])
                let uri = "/v1/trajectories/\(id)"

                let read = try await client.execute(uri: uri, method: .get, headers: .bearer(world.officer.token))
                #expect(read.status == .ok)
                #expect(read.headers[.eTag] == etag)
                let byPhysician = try await client.execute(uri: uri, method: .get, headers: .bearer(world.physician.token))
                #expect(byPhysician.status == .ok, "the assigned physician reads the case")

                let blocked = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]),
                    body: .json(["blocked": ["reason": "Waiting for the workplace visit"], "targetReturnOn": "2027-01-15"]))
                #expect(blocked.status == .ok, "\(blocked.body.text)")
                #expect((blocked.json["blocked"] as? [String: Any])?["reason"] as? String == "Waiting for the workplace visit")
                #expect(blocked.json["targetReturnOn"] as? String == "2027-01-15")
                etag = try #require(blocked.headers[.eTag])

                for (status, outcome) in [("planning", nil), ("active", nil), ("onHold", nil), ("active", nil), ("closed", "returnedFull")] as [(String, String?)] {
                    var body: [String: Any] = ["status": status]
                    if let outcome { body["outcome"] = outcome }
                    let moved = try await client.execute(
                        uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(body))
                    #expect(moved.status == .ok, "to \(status): \(moved.body.text)")
                    #expect(moved.json["status"] as? String == status)
                    etag = try #require(moved.headers[.eTag])
                }
                let closed = try await client.execute(uri: uri, method: .get, headers: .bearer(world.officer.token))
                #expect(closed.json["outcome"] as? String == "returnedFull")
                #expect(closed.json["closedAt"] != nil)
                #expect(closed.json["blocked"] == nil, "closing lifts the block")
                #expect(closed.json["contactDueOn"] == nil, "a closed case is off the work list")

                // Closed is read-only; only its own officer reopens it, with a reason.
                let frozen = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["goal": "redeployment"]))
                expectProblem(frozen, .conflict, type: ProblemURN.conflict)
                let byColleague = try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.colleague.token, [.ifMatch: etag]),
                    body: .json(["status": "active", "reason": "Relapse"]))
                expectProblem(byColleague, .forbidden, type: ProblemURN.missingPermission)
                let noReason = try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["status": "active"]))
                expectBadRequest(noReason, issue: ProblemURN.invalidInput, in: "body", name: "reason")
                let reopened = try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]),
                    body: .json(["status": "active", "reason": "The return did not hold"]))
                #expect(reopened.status == .ok, "\(reopened.body.text)")
                #expect(reopened.json["outcome"] == nil)
                #expect(reopened.json["contactDueOn"] != nil, "a reopened case is back on the work list")

                let timeline = try await client.execute(uri: uri + "/timeline", method: .get, headers: .bearer(world.officer.token))
                #expect(timeline.status == .ok)
                let types = timeline.items.compactMap { $0["type"] as? String }
                #expect(types == ["opened", "blocked", "updated", "statusChanged", "statusChanged", "statusChanged", "statusChanged", "statusChanged", "statusChanged"])
                let last = try #require(timeline.items.last?["payload"] as? [String: Any])
                #expect(last["from"] as? String == "closed" && last["reason"] as? String == "The return did not hold")

                let reads = try await app.client.query("""
                    SELECT count(*) FROM audit_log WHERE trajectory_id = \(UUID(uuidString: id)!) AND action = 'read' AND outcome = 'allowed'
                    """)[0].decode(0, as: Int.self)
                // The officer's, the physician's and the closed case's reads, and the timeline's: once each.
                #expect(reads == 4, "every read of the case and its timeline is audited, once")
            }
        }
    }

    @Test func badInputWritesNothing() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let badID = try await client.execute(
                    uri: "/v1/trajectories", method: .post, headers: .json(world.officer.token),
                    body: .json(["employeeId": "not-a-uuid", "targetReturnOn": "2027-02-30"]))
                let issues = expectBadRequest(badID, issue: ProblemURN.schemaViolation, in: "body", name: "employeeId")
                #expect(issues.contains { $0["name"] as? String == "targetReturnOn" })
                let unknownGoal = try await world.open(client, extra: ["goal": "sabbatical"])
                expectBadRequest(unknownGoal, issue: ProblemURN.schemaViolation, in: "body", name: "goal")
                let stranger = try await world.open(client, token: world.otherOfficer.token)
                expectBadRequest(stranger, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "employeeId")
                let wrongAbsence = try await world.open(client, extra: ["absenceId": UUID().uuidString, "templateId": "no-such-template"])
                let found = expectBadRequest(wrongAbsence, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "absenceId")
                #expect(found.contains { $0["name"] as? String == "templateId" })
                let byHR = try await world.open(client, token: world.hr.token)
                expectProblem(byHR, .forbidden, type: ProblemURN.missingPermission)
                let trajectories = try await app.count("trajectories")
                let events = try await app.count("trajectory_events")
                let counters = try await app.count("trajectory_reference_counters")
                #expect(trajectories == 0 && events == 0 && counters == 0)

                let opened = try await world.open(client)
                let uri = try #require(opened.headers[.location])
                let etag = try #require(opened.headers[.eTag])
                let illegal = try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["status": "onHold"]))
                expectProblem(illegal, .conflict, type: "urn:problem-type:veerkracht:illegalTransition")
                let noOutcome = try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["status": "closed"]))
                expectBadRequest(noOutcome, issue: ProblemURN.invalidInput, in: "body", name: "outcome")
                let noIfMatch = try await client.execute(uri: uri, method: .patch, headers: .json(world.officer.token), body: .json(["goal": "redeployment"]))
                expectProblem(noIfMatch, .preconditionRequired, type: ProblemURN.preconditionRequired)
                let nulled = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["goal": NSNull()]))
                expectBadRequest(nulled, issue: ProblemURN.schemaViolation, in: "body", name: "goal")
                let after = try await client.execute(uri: uri, method: .get, headers: .bearer(world.officer.token))
                #expect(after.headers[.eTag] == etag, "nothing changed")
                #expect(after.json["status"] as? String == "intake")
            }
        }
    }

    @Test func outOfScopeIs404AndTheRefusalIsAudited() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let opened = try await world.open(client)
                let uri = try #require(opened.headers[.location])
                let etag = try #require(opened.headers[.eTag])
                for token in [world.otherOfficer.token, world.hr.token, world.physician.token, world.auditor.token, app.adminToken] {
                    let read = try await client.execute(uri: uri, method: .get, headers: .bearer(token))
                    expectProblem(read, .notFound, type: ProblemURN.resourceNotFound)
                }
                let write = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.otherOfficer.token, [.ifMatch: etag]), body: .json(["goal": "redeployment"]))
                expectProblem(write, .notFound, type: ProblemURN.resourceNotFound)
                let timeline = try await client.execute(uri: uri + "/timeline", method: .get, headers: .bearer(world.otherOfficer.token))
                expectProblem(timeline, .notFound, type: ProblemURN.resourceNotFound)
                let unknown = try await client.execute(uri: "/v1/trajectories/\(UUID())", method: .get, headers: .bearer(world.officer.token))
                expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)
                let denied = try await world.audit(outcome: "denied")
                let deniedTimeline = try await world.audit(outcome: "denied", resource: "timeline")
                #expect(denied == 7 && deniedTimeline == 1)

                let theirList = try await client.execute(uri: "/v1/trajectories", method: .get, headers: .bearer(world.otherOfficer.token))
                #expect(theirList.status == .ok && theirList.items.isEmpty)
                let hrList = try await client.execute(uri: "/v1/trajectories", method: .get, headers: .bearer(world.hr.token))
                #expect(hrList.status == .ok && hrList.items.isEmpty)
                let ownList = try await client.execute(uri: "/v1/trajectories?officer=me&status=intake", method: .get, headers: .bearer(world.officer.token))
                #expect(ownList.items.count == 1)
                let listed = try await app.client.query("SELECT count(*) FROM audit_log WHERE action = 'list'")[0].decode(0, as: Int.self)
                #expect(listed == 1, "one entry per listed trajectory")
            }
        }
    }

    @Test func concurrentWritesCannotLoseAnUpdateOrOpenTwice() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<4 { group.addTask { try await world.open(client).status } }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 1)
                #expect(statuses.filter { $0 == .conflict }.count == 3)

                let listed = try await client.execute(uri: "/v1/trajectories", method: .get, headers: .bearer(world.officer.token))
                let id = try #require(listed.items.first?["id"] as? String)
                let read = try await client.execute(uri: "/v1/trajectories/\(id)", method: .get, headers: .bearer(world.officer.token))
                let etag = try #require(read.headers[.eTag])
                let patches = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for goal in ["redeployment", "adaptedOwnJob", "otherJobInternal"] {
                        group.addTask {
                            try await client.execute(
                                uri: "/v1/trajectories/\(id)", method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]),
                                body: .json(["goal": goal])).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(patches.filter { $0 == .ok }.count == 1)
                #expect(patches.filter { $0 == .preconditionFailed }.count == 2)
            }
        }
    }

    @Test func openingIsIdempotentAndReassignmentHandsOver() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let key = UUID().uuidString
                let first = try await world.open(client, key: key)
                let again = try await world.open(client, key: key)
                #expect(first.status == .created && again.status == .created)
                #expect(first.json["id"] as? String == again.json["id"] as? String)
                let other = try await world.open(client, extra: ["goal": "redeployment"], key: key)
                expectProblem(other, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("trajectories")
                #expect(count == 1)

                let uri = try #require(first.headers[.location])
                let etag = try #require(first.headers[.eTag])
                let toStranger = try await client.execute(
                    uri: uri + "/reassignment", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]),
                    body: .json(["officerId": world.otherOfficer.user.id.uuidString]))
                expectBadRequest(toStranger, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "officerId")
                let handedOver = try await client.execute(
                    uri: uri + "/reassignment", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]),
                    body: .json(["officerId": world.colleague.user.id.uuidString, "handoverNote": "Prefers phone calls in the morning"]))
                #expect(handedOver.status == .ok, "\(handedOver.body.text)")
                #expect(handedOver.json["officerId"] as? String == world.colleague.user.id.uuidString.lowercased())
                let timeline = try await client.execute(uri: uri + "/timeline", method: .get, headers: .bearer(world.colleague.token))
                let payload = try #require(timeline.items.last?["payload"] as? [String: Any])
                #expect(payload["handoverNote"] as? String == "Prefers phone calls in the morning")
                #expect(payload["toOfficerId"] as? String == world.colleague.user.id.uuidString.lowercased())
            }
        }
    }

    @Test func theActionPlan() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let uri = try #require(try await world.open(client).headers[.location])
                let added = try await client.execute(
                    uri: uri + "/actions", method: .post, headers: .json(world.officer.token),
                    body: .json(["title": "Workplace visit", "kind": "workplaceAdaptation", "owner": "manager", "dueOn": "2026-12-01"]))
                #expect(added.status == .created, "\(added.body.text)")
                let actionURI = try #require(added.headers[.location])
                let bad = try await client.execute(
                    uri: uri + "/actions", method: .post, headers: .json(world.officer.token),
                    body: .json(["title": " ", "kind": "workplaceAdaptation", "owner": "user"]))
                let issues = expectBadRequest(bad, issue: ProblemURN.schemaViolation, in: "body", name: "title")
                #expect(issues.contains { $0["name"] as? String == "ownerUserId" })
                let outsider = try await client.execute(
                    uri: uri + "/actions", method: .post, headers: .json(world.otherOfficer.token),
                    body: .json(["title": "Sneaky", "kind": "other", "owner": "employee"]))
                expectProblem(outsider, .notFound, type: ProblemURN.resourceNotFound)
                let actions = try await app.count("trajectory_actions")
                #expect(actions == 1)

                let done = try await client.execute(
                    uri: actionURI, method: .patch, headers: .json(world.officer.token, [.ifMatch: try #require(added.headers[.eTag])]),
                    body: .json(["doneAt": "2026-11-20T10:00:00Z", "note": "Desk raised"]))
                #expect(done.status == .ok, "\(done.body.text)")
                #expect(done.json["doneAt"] as? String == "2026-11-20T10:00:00.000000Z")
                let listed = try await client.execute(uri: uri + "/actions", method: .get, headers: .bearer(world.physician.token))
                #expect(listed.status == .notFound, "not assigned to this physician")
                let own = try await client.execute(uri: uri + "/actions", method: .get, headers: .bearer(world.officer.token))
                #expect(own.items.count == 1 && own.items[0]["note"] as? String == "Desk raised")
            }
        }
    }

    @Test func aTemplateGivesTheCaseItsDeadlinesAndTheyFollowTheAbsence() async throws {
        try await TestApp.with { app in
            _ = try await ProcessTemplateStore().load(
                from: RepositoryFolder.sql.appendingPathComponent("templates"), into: app.client, logger: TestDatabase.logger)
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let opened = try await world.open(client, extra: ["templateId": "active-presence"])
                #expect(opened.status == .created, "\(opened.body.text)")
                let uri = try #require(opened.headers[.location])
                let deadlines = try await client.execute(uri: uri + "/deadlines", method: .get, headers: .bearer(world.officer.token))
                #expect(deadlines.status == .ok, "\(deadlines.body.text)")
                let review = try #require(deadlines.items.first { $0["milestoneCode"] as? String == "reviewAtThreeMonths" })
                #expect(review["dueOn"] as? String == "2026-12-01", "three months after the absence started on 2026-09-01")

                // Correcting the absence start moves the deadline and the first contact with it.
                let absenceURI = "/v1/absences/\(world.absenceID.uuidString.lowercased())"
                let absence = try await client.execute(uri: absenceURI, method: .get, headers: .bearer(world.officer.token))
                let moved = try await client.execute(
                    uri: absenceURI, method: .patch, headers: .json(world.officer.token, [.ifMatch: try #require(absence.headers[.eTag])]),
                    body: .json(["startsOn": "2026-09-15"]))
                #expect(moved.status == .ok, "\(moved.body.text)")
                let after = try await client.execute(uri: uri + "/deadlines", method: .get, headers: .bearer(world.officer.token))
                let movedReview = try #require(after.items.first { $0["milestoneCode"] as? String == "reviewAtThreeMonths" })
                #expect(movedReview["dueOn"] as? String == "2026-12-15")
                let trajectory = try await client.execute(uri: uri, method: .get, headers: .bearer(world.officer.token))
                #expect(trajectory.json["contactDueOn"] as? String == "2026-09-22")
            }
        }
    }

    @Test func auditorsReadTheAppendOnlyLog() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await CaseWorld.make(app, client)
                let opened = try await world.open(client)
                let id = try #require(opened.json["id"] as? String)
                _ = try await client.execute(uri: "/v1/trajectories/\(id)", method: .get, headers: .bearer(world.otherOfficer.token))
                let log = try await client.execute(uri: "/v1/audit?trajectory=\(id)&pageSize=1", method: .get, headers: .bearer(world.auditor.token))
                #expect(log.status == .ok, "\(log.body.text)")
                #expect(log.items.first?["outcome"] as? String == "denied")
                #expect(log.items.first?["actorId"] as? String == world.otherOfficer.user.id.uuidString.lowercased())
                let next = try #require(log.json["next"] as? String)
                let second = try await client.execute(uri: TestApp.relative(next), method: .get, headers: .bearer(world.auditor.token))
                #expect(second.items.first?["action"] as? String == "create")
                let byOfficer = try await client.execute(uri: "/v1/audit", method: .get, headers: .bearer(world.officer.token))
                expectProblem(byOfficer, .forbidden, type: ProblemURN.missingPermission)
                let badFilter = try await client.execute(uri: "/v1/audit?actor=nobody", method: .get, headers: .bearer(world.auditor.token))
                expectBadRequest(badFilter, issue: ProblemURN.schemaViolation, in: "query", name: "actor")

                await #expect(throws: PostgresError.self) { try await app.client.query("UPDATE audit_log SET outcome = 'allowed'") }
                await #expect(throws: PostgresError.self) { try await app.client.query("DELETE FROM audit_log") }
            }
        }
    }
}
