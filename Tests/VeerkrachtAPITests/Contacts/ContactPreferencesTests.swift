import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Contact preferences")
struct ContactPreferencesTests {
    @Test func preferencesAreSetThenReplacedWithIfMatch() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let token = world.officerToken

            let empty = try await client.execute(uri: trajectory.contactPreferences, method: .get, headers: .bearer(token))
            #expect(empty.status == .ok)
            #expect(Set(empty.json.keys) == ["trajectoryId", "href"], "\(empty.body.text)")
            #expect(empty.json["href"] as? String == trajectory.contactPreferences)
            let firstETag = try #require(empty.headers[.eTag])

            let set = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(token),
                body: .json(["channel": "video", "contactPerson": "manager", "notBefore": ContactClock.day(5).description, "everyDays": 21]))
            #expect(set.status == .ok, "\(set.body.text)")
            let etag = try #require(set.headers[.eTag])
            #expect(etag != firstETag)
            #expect(set.json["channel"] as? String == "video")
            #expect(set.json["contactPerson"] as? String == "manager")
            #expect(set.json["notBefore"] as? String == ContactClock.day(5).description)
            #expect(set.json["everyDays"] as? Int == 21)
            #expect(set.json["updatedAt"] is String)
            let deferred = try await app.contactDueColumns(trajectory)
            #expect(deferred.dueOn == ContactClock.day(5) && deferred.reason == "first_contact")

            let withoutIfMatch = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(token), body: .json(["channel": "phone"]))
            expectProblem(withoutIfMatch, .preconditionRequired, type: ProblemURN.preconditionRequired)
            let stale = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(token, [.ifMatch: firstETag]), body: .json(["channel": "phone"]))
            expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)

            let replaced = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(token, [.ifMatch: etag]), body: .json(["channel": "phone"]))
            #expect(replaced.status == .ok, "\(replaced.body.text)")
            #expect(replaced.json["channel"] as? String == "phone")
            #expect(replaced.json["contactPerson"] == nil && replaced.json["notBefore"] == nil && replaced.json["everyDays"] == nil)
            let current = try await client.execute(
                uri: trajectory.contactPreferences, method: .get, headers: .bearer(token, [.ifNoneMatch: try #require(replaced.headers[.eTag])]))
            #expect(current.status == .notModified)
            let back = try await app.contactDueColumns(trajectory)
            #expect(back.dueOn == ContactClock.day(-3), "without notBefore the first contact is due again")

            let events = try await app.timelineEvents(trajectory, type: "contact_preferences_changed")
            #expect(events.count == 2)
            let updates = try await app.auditCount(actor: world.officer.id, action: "update", resource: "contact_preferences")
            let reads = try await app.auditCount(actor: world.officer.id, action: "read", resource: "contact_preferences")
            #expect(updates == 2 && reads == 2)
        }
    }

    @Test func aFirstPutMayNameTheEmptyVersion() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let empty = try await client.execute(uri: trajectory.contactPreferences, method: .get, headers: .bearer(world.officerToken))
            let etag = try #require(empty.headers[.eTag])
            let wrong = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(world.officerToken, [.ifMatch: "\"other-1\""]),
                body: .json(["everyDays": 20]))
            expectProblem(wrong, .preconditionFailed, type: ProblemURN.preconditionFailed)
            let set = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(world.officerToken, [.ifMatch: etag]),
                body: .json(["everyDays": 20]))
            #expect(set.status == .ok, "\(set.body.text)")
        }
    }

    @Test func badPreferencesAre400AndNothingIsWritten() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let response = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(world.officerToken),
                body: .json(["everyDays": 0, "notBefore": "20-03-2024"]))
            let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "body", name: "everyDays")
            #expect(Set(issues.compactMap { $0["name"] as? String }) == ["everyDays", "notBefore"], "\(issues)")
            let channel = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(world.officerToken), body: .json(["channel": "pigeon"]))
            expectBadRequest(channel, issue: ProblemURN.schemaViolation, in: "body")
            let unknown = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(world.officerToken), body: .json(["mood": "fine"]))
            expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "body")
            let stored = try await app.count("contact_preferences")
            let events = try await app.count("trajectory_events")
            #expect(stored == 0 && events == 0)
        }
    }

    @Test func outsideTheCaseScopeIs404AndOnlyOfficersWrite() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let (trajectory, other, physicianToken) = (scene.trajectory, scene.outsider, scene.physicianToken)

            let read = try await client.execute(uri: trajectory.contactPreferences, method: .get, headers: .bearer(other.officerToken))
            expectProblem(read, .notFound, type: ProblemURN.resourceNotFound)
            let write = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(other.officerToken), body: .json(["channel": "video"]))
            expectProblem(write, .notFound, type: ProblemURN.resourceNotFound)
            let deniedReads = try await app.auditCount(actor: other.officer.id, action: "read", resource: "contact_preferences", outcome: "denied")
            let deniedWrites = try await app.auditCount(actor: other.officer.id, action: "update", resource: "contact_preferences", outcome: "denied")
            #expect(deniedReads == 1 && deniedWrites == 1)

            let physicianRead = try await client.execute(uri: trajectory.contactPreferences, method: .get, headers: .bearer(physicianToken))
            #expect(physicianRead.status == .ok)
            let physicianWrite = try await client.execute(
                uri: trajectory.contactPreferences, method: .put, headers: .json(physicianToken), body: .json(["channel": "video"]))
            expectProblem(physicianWrite, .notFound, type: ProblemURN.resourceNotFound)
            let stored = try await app.count("contact_preferences")
            #expect(stored == 0)
        }
    }
}
