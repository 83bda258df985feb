import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

/// The cells of the endpoint × {bad input, out of scope} matrix that no other test covered:
/// each request is refused, answers the problem it should, and leaves the data as it was.
@Suite("Refusals change nothing")
struct RefusalMatrixTests {
    static let caseTables = ["trajectories", "trajectory_events", "trajectory_actions", "contact_moments", "contact_preferences"]

    /// The helper itself: a refusal under which a row changed is reported.
    @Test func aChangeUnderARefusalIsCaught() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            try await withKnownIssue("the goal changed while the request was refused") {
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: ["trajectories"]) {
                    try await app.client.query("UPDATE trajectories SET goal = 'redeployment'")
                    return try await client.execute(uri: uri, method: .get, headers: .bearer(world.otherOfficer.token))
                }
            } matching: { issue in
                // The helper's own report, not a status or type that happened to differ.
                issue.comments.contains { $0.rawValue.contains("trajectories changed although the request was refused") }
            }
        }
    }

    @Test func trajectoryWritesOutOfScopeOrMalformed() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, etag) = try await world.openCase(client)
            let outsider = world.otherOfficer.token
            let stranger = "/v1/trajectories/\(UUID().uuidString.lowercased())"
            for target in [uri, stranger] {
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: Self.caseTables) {
                    try await client.execute(
                        uri: target + "/statusChanges", method: .post, headers: .json(outsider, [.ifMatch: etag]), body: .json(["status": "planning"]))
                }
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: Self.caseTables) {
                    try await client.execute(
                        uri: target + "/reassignment", method: .post, headers: .json(outsider, [.ifMatch: etag]),
                        body: .json(["officerId": world.otherOfficer.user.id.uuidString]))
                }
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: Self.caseTables) {
                    try await client.execute(uri: target, method: .patch, headers: .json(outsider, [.ifMatch: etag]), body: .json(["goal": "redeployment"]))
                }
            }
            #expect(try await world.audit(outcome: "denied") == 6)
            try await app.expectRefused(
                .badRequest, type: ProblemURN.schemaViolation, issue: "officerId", in: "body", unchanged: Self.caseTables
            ) {
                try await client.execute(
                    uri: uri + "/reassignment", method: .post, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["officerId": "x"]))
            }
            let timeline = world.officer.token
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "pageSize", in: "query", unchanged: []) {
                try await client.execute(uri: uri + "/timeline?pageSize=0", method: .get, headers: .bearer(timeline))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "trajectoryId", in: "path", unchanged: []) {
                try await client.execute(uri: "/v1/trajectories/42/timeline", method: .get, headers: .bearer(timeline))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "pageSize", in: "query", unchanged: []) {
                try await client.execute(uri: uri + "/actions?pageSize=101", method: .get, headers: .bearer(timeline))
            }
        }
    }

    @Test func actionChangesOutOfScope() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            let (added, actionURI, etag) = try await world.addAction(client, to: uri)
            let actionID = try #require(added["id"] as? String)
            let elsewhere = "/v1/trajectories/\(UUID().uuidString.lowercased())/actions/\(actionID)"
            let unknown = uri + "/actions/\(UUID().uuidString.lowercased())"
            for (target, token) in [(actionURI, world.otherOfficer.token), (actionURI, world.physician.token),
                                    (elsewhere, world.officer.token), (unknown, world.officer.token)] {
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: Self.caseTables) {
                    try await client.execute(uri: target, method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["note": "Sneaky"]))
                }
            }
            try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: []) {
                try await client.execute(uri: uri + "/actions", method: .get, headers: .bearer(world.otherOfficer.token))
            }
        }
    }

    @Test func contactMomentChangesOutOfScopeOrMalformed() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let (created, etag) = try await app.recordContact(client, scene.trajectory, token: scene.world.officerToken, occurredAt: ContactClock.at(0))
            let href = try #require(created["href"] as? String)
            let id = try #require(created["id"] as? String)
            let other = try await app.seedCase(in: scene.world, absenceStart: ContactClock.day(-3))
            // The outsider, the physician (who reads but does not write), and the right officer on the wrong case.
            for (target, token) in [(href, scene.outsider.officerToken), (href, scene.physicianToken),
                                    (other.contactMoments + "/\(id)", scene.world.officerToken)] {
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: Self.caseTables) {
                    try await client.execute(uri: target, method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["summary": "Rewritten"]))
                }
            }
            try await app.expectRefused(
                .badRequest, type: ProblemURN.schemaViolation, issue: "summary", in: "body", unchanged: Self.caseTables
            ) {
                try await client.execute(
                    uri: href, method: .patch, headers: .json(scene.world.officerToken, [.ifMatch: etag]),
                    body: .json(["summary": String(repeating: "ü", count: ContactMoment.maximumSummaryLength + 1)]))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "contactMomentId", in: "path", unchanged: []) {
                try await client.execute(uri: scene.trajectory.contactMoments + "/42", method: .get, headers: .bearer(scene.world.officerToken))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "trajectoryId", in: "path", unchanged: []) {
                try await client.execute(uri: "/v1/trajectories/nope/contactPreferences", method: .get, headers: .bearer(scene.world.officerToken))
            }
        }
    }

    @Test func userAndTokenAdministrationRefusals() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (user, etag) = try await app.createUser(client, email: "target@example.org", roles: ["auditor"])
                let userID = try #require(user["id"] as? String)
                let (_, officerToken) = try await app.user("officer@example.org", roles: [.officer])
                // A token's first use is written down (last_used_at); let that happen before comparing.
                _ = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(officerToken))
                let tables = ["users", "user_entities", "api_tokens"]
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: tables) {
                    try await client.execute(
                        uri: "/v1/users/\(UUID().uuidString.lowercased())", method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]),
                        body: .json(["displayName": "Nobody"]))
                }
                try await app.expectRefused(.forbidden, type: ProblemURN.missingPermission, unchanged: tables) {
                    try await client.execute(
                        uri: "/v1/users/\(userID)", method: .patch, headers: .json(officerToken, [.ifMatch: etag]), body: .json(["displayName": "Taken over"]))
                }
                let token = try await client.execute(
                    uri: "/v1/users/\(userID)/tokens", method: .post, headers: .json(app.adminToken), body: .json(["name": "laptop", "expiresIn": 30]))
                let tokenID = try #require(token.json["id"] as? String)
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "tokenId", in: "path", unchanged: tables) {
                    try await client.execute(uri: "/v1/users/\(userID)/tokens/not-a-uuid", method: .delete, headers: .bearer(app.adminToken))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "userId", in: "path", unchanged: tables) {
                    try await client.execute(uri: "/v1/users/zzz/tokens/\(tokenID)", method: .delete, headers: .bearer(app.adminToken))
                }
                let secret = try #require(token.json["secret"] as? String)
                let stillWorks = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(secret))
                #expect(stillWorks.status == .ok)
            }
        }
    }

    @Test func triggerEventsOutOfScopeOrMalformed() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory()
            try await world.app.test { client in
                let recorded = try await world.recordRequestReceived(client, on: trajectory)
                #expect(recorded.status == .created, "\(recorded.body.text)")
                let one = DeadlinePath.triggerEvents(trajectory) + "/requestReceived"
                for token in [world.outsiderToken, world.hrToken, world.physicianToken, world.app.adminToken] {
                    try await world.app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: ["trajectory_trigger_events"]) {
                        try await client.execute(uri: one, method: .get, headers: .bearer(token))
                    }
                }
                let own = try await client.execute(uri: one, method: .get, headers: .bearer(world.officerToken))
                #expect(own.status == .ok)
                try await world.app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "pageSize", in: "query", unchanged: []) {
                    try await client.execute(uri: DeadlinePath.triggerEvents(trajectory) + "?pageSize=0", method: .get, headers: .bearer(world.officerToken))
                }
            }
            let denied = try await world.audit(trajectory: trajectory).filter { $0.outcome == "denied" && $0.action == "read" }
            #expect(denied.count == 4)
        }
    }

    @Test func staffRecordRefusals() async throws {
        try await TestApp.with(now: AbsenceAPITests.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let (employee, employeeETag) = try await world.employee(client, "P1")
                let employeeID = try #require(employee["id"] as? String)
                let staff = ["employees", "absences", "absence_work_capacity"]
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "employeeId", in: "path", unchanged: []) {
                    try await client.execute(uri: "/v1/employees/not-a-uuid", method: .get, headers: .bearer(world.officer.token))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "weeklyHours", in: "body", unchanged: staff) {
                    try await client.execute(
                        uri: "/v1/employees/\(employeeID)", method: .patch, headers: .json(world.officer.token, [.ifMatch: employeeETag]),
                        body: .json(["weeklyHours": 99]))
                }
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: staff) {
                    try await client.execute(
                        uri: "/v1/employees/\(employeeID)", method: .patch, headers: .json(world.outsider.token, [.ifMatch: employeeETag]),
                        body: .json(["grade": "A1"]))
                }

                let (absence, absenceETag) = try await world.absence(
                    client, of: employeeID, ["kind": "illness", "startsOn": "2025-03-03", "expectedEndOn": "2025-03-31", "workCapacityPercent": 0])
                let absenceID = try #require(absence["id"] as? String)
                let uri = "/v1/absences/\(absenceID)"
                try await app.expectRefused(.badRequest, type: ProblemURN.invalidInput, issue: "endedOn", in: "body", unchanged: staff) {
                    try await client.execute(
                        uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: absenceETag]), body: .json(["endedOn": "2025-03-02"]))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "percent", in: "body", unchanged: staff) {
                    try await client.execute(
                        uri: uri + "/workCapacityChanges", method: .post, headers: .json(world.officer.token),
                        body: .json(["effectiveFrom": "2025-03-10", "percent": 101]))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "absenceId", in: "path", unchanged: []) {
                    try await client.execute(uri: "/v1/absences/42", method: .get, headers: .bearer(world.officer.token))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "pageSize", in: "query", unchanged: []) {
                    try await client.execute(uri: "/v1/employees/\(employeeID)/absences?pageSize=0", method: .get, headers: .bearer(world.officer.token))
                }
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "cursor", in: "query", unchanged: []) {
                    try await client.execute(uri: uri + "/workCapacityChanges?cursor=x", method: .get, headers: .bearer(world.officer.token))
                }
            }
        }
    }
}
