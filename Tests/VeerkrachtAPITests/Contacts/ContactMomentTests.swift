import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Contact moments")
struct ContactMomentTests {
    /// A valid contact moment; a computed property, as JSON values are not Sendable.
    static var body: [String: Any] { [
        "occurredAt": ContactClock.at(-1), "channel": "inPerson", "initiative": "employee", "madeBy": "manager",
        "summary": "Came by the office; would like to talk about part-time work in May", "wellbeing": 3,
        "nextContactOn": ContactClock.day(6).description,
    ] }

    @Test func recordingAContactAnswers201AndMovesTheNextContact() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let before = try await app.contactDueColumns(trajectory)
            #expect(before.dueOn == ContactClock.day(-3) && before.reason == "first_contact")

            let response = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(Self.body))
            #expect(response.status == .created, "\(response.body.text)")
            let json = response.json
            let id = try #require(json["id"] as? String)
            let location = try #require(response.headers[.location])
            #expect(location == "\(trajectory.contactMoments)/\(id)")
            #expect(json["href"] as? String == location)
            let etag = try #require(response.headers[.eTag])
            #expect(json["trajectoryId"] as? String == trajectory.id)
            #expect(ContactClock.instant(in: json["occurredAt"]) == ContactClock.instant(ContactClock.at(-1)))
            #expect(json["channel"] as? String == "inPerson")
            #expect(json["initiative"] as? String == "employee")
            #expect(json["madeBy"] as? String == "manager")
            #expect(json["wellbeing"] as? Int == 3)
            #expect(json["nextContactOn"] as? String == ContactClock.day(6).description)
            #expect(json["recordedBy"] as? String == world.officer.id.uuidString.lowercased())

            let fetched = try await client.execute(uri: location, method: .get, headers: .bearer(world.officerToken))
            #expect(fetched.status == .ok)
            #expect(fetched.headers[.eTag] == etag)
            #expect(fetched.json["summary"] as? String == Self.body["summary"] as? String)
            let notModified = try await client.execute(uri: location, method: .get, headers: .bearer(world.officerToken, [.ifNoneMatch: etag]))
            #expect(notModified.status == .notModified)

            let after = try await app.contactDueColumns(trajectory)
            #expect(after.dueOn == ContactClock.day(6) && after.reason == "agreed_date")
            #expect(after.lastContactAt == ContactClock.instant(ContactClock.at(-1)))
            let events = try await app.timelineEvents(trajectory, type: "contact_recorded")
            #expect(events.count == 1)
            #expect(events.first?.contains(id) == true)
            #expect(events.first?.contains("Came by") == false, "the summary stays out of the timeline")
            let created = try await app.auditCount(actor: world.officer.id, action: "create", resource: "contact_moment", resourceID: UUID(uuidString: id))
            let read = try await app.auditCount(actor: world.officer.id, action: "read", resource: "contact_moment", resourceID: UUID(uuidString: id))
            #expect(created == 1)
            #expect(read == 2)
        }
    }

    @Test func badInputListsEveryIssueAndWritesNothing() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            var bad = Self.body
            bad["occurredAt"] = ContactClock.at(0, hour: 11)  // an hour after the clock
            bad["summary"] = "   "
            bad["wellbeing"] = 9
            bad["nextContactOn"] = "2024-02-30"
            let response = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(bad))
            let issues = expectBadRequest(response, issue: ProblemURN.invalidInput, in: "body", name: "occurredAt")
            #expect(Set(issues.compactMap { $0["name"] as? String }) == ["occurredAt", "summary", "wellbeing", "nextContactOn"], "\(issues)")

            var beforeAbsence = Self.body
            beforeAbsence["occurredAt"] = ContactClock.at(-11)
            beforeAbsence["nextContactOn"] = ContactClock.day(-11).description
            let early = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(beforeAbsence))
            let earlyIssues = expectBadRequest(early, issue: ProblemURN.invalidInput, in: "body", name: "occurredAt")
            #expect(Set(earlyIssues.compactMap { $0["name"] as? String }) == ["occurredAt", "nextContactOn"], "\(earlyIssues)")

            var unknownChannel = Self.body
            unknownChannel["channel"] = "fax"
            let fax = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(unknownChannel))
            expectBadRequest(fax, issue: ProblemURN.schemaViolation, in: "body")
            var extra = Self.body
            extra["diagnosis"] = "none of your business"
            let unknown = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(extra))
            expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "body")
            let badPath = try await client.execute(
                uri: "/v1/trajectories/nope/contactMoments", method: .post, headers: .json(world.officerToken), body: .json(Self.body))
            expectBadRequest(badPath, issue: ProblemURN.schemaViolation, in: "path", name: "trajectoryId")

            let moments = try await app.count("contact_moments")
            let events = try await app.count("trajectory_events")
            let due = try await app.contactDueColumns(trajectory)
            #expect(moments == 0 && events == 0)
            #expect(due.reason == "first_contact")
        }
    }

    @Test func aClosedTrajectoryIsReadOnly() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let open = try await app.seedCase(in: world, absenceStart: ContactClock.day(-10))
            let (moment, etag) = try await app.recordContact(client, open, token: world.officerToken, occurredAt: ContactClock.at(-2))
            let closed = try await app.seedCase(in: world, givenName: "Ann", absenceStart: ContactClock.day(-40), status: .closed)
            let due = try await app.contactDueColumns(closed)
            #expect(due.dueOn == nil && due.reason == nil)

            let create = try await client.execute(
                uri: closed.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(Self.body))
            expectProblem(create, .conflict, type: ProblemURN.conflict)
            try await app.client.query("""
                UPDATE trajectories SET status = 'closed', closed_at = now(), outcome = 'returned_full' WHERE id = \(open.trajectoryID)
                """)
            let patch = try await client.execute(
                uri: try #require(moment["href"] as? String), method: .patch, headers: .json(world.officerToken, [.ifMatch: etag]),
                body: .json(["summary": "Changed afterwards"]))
            expectProblem(patch, .conflict, type: ProblemURN.conflict)
            let preferences = try await client.execute(
                uri: closed.contactPreferences, method: .put, headers: .json(world.officerToken), body: .json(["channel": "video"]))
            expectProblem(preferences, .conflict, type: ProblemURN.conflict)
            let moments = try await app.count("contact_moments")
            let stored = try await app.count("contact_preferences")
            #expect(moments == 1 && stored == 0)
        }
    }

    @Test func outsideTheCaseScopeIs404AndTheDenialIsAudited() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let other = scene.outsider
            let physicianToken = scene.physicianToken
            let (_, hrToken) = try await app.user("hanna@example.org", roles: [.hr], entities: ["DEP-A"])
            let trajectory = scene.trajectory
            let (moment, _) = try await app.recordContact(client, trajectory, token: world.officerToken, occurredAt: ContactClock.at(-2))
            let href = try #require(moment["href"] as? String)

            for token in [other.officerToken, hrToken] {
                let list = try await client.execute(uri: trajectory.contactMoments, method: .get, headers: .bearer(token))
                expectProblem(list, .notFound, type: ProblemURN.resourceNotFound)
                let single = try await client.execute(uri: href, method: .get, headers: .bearer(token))
                expectProblem(single, .notFound, type: ProblemURN.resourceNotFound)
                let create = try await client.execute(uri: trajectory.contactMoments, method: .post, headers: .json(token), body: .json(Self.body))
                expectProblem(create, .notFound, type: ProblemURN.resourceNotFound)
            }
            let denied = try await app.auditCount(actor: other.officer.id, action: "create", resource: "contact_moment", outcome: "denied")
            let deniedReads = try await app.auditCount(actor: other.officer.id, action: "read", resource: "contact_moment", outcome: "denied")
            #expect(denied == 1 && deniedReads == 1)

            // The assigned physician reads, but only officers write.
            let physicianList = try await client.execute(uri: trajectory.contactMoments, method: .get, headers: .bearer(physicianToken))
            #expect(physicianList.status == .ok && physicianList.items.count == 1)
            let physicianRead = try await client.execute(uri: href, method: .get, headers: .bearer(physicianToken))
            #expect(physicianRead.status == .ok)
            let physicianCreate = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(physicianToken), body: .json(Self.body))
            expectProblem(physicianCreate, .notFound, type: ProblemURN.resourceNotFound)

            // A contact moment of another trajectory, or none at all, is not found either.
            let second = try await app.seedCase(in: world, givenName: "Ann", absenceStart: ContactClock.day(-5))
            let unknownID = UUID()
            for uri in [href.replacingOccurrences(of: trajectory.id, with: second.id), "\(trajectory.contactMoments)/\(unknownID.uuidString.lowercased())"] {
                let missing = try await client.execute(uri: uri, method: .get, headers: .bearer(world.officerToken))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
            }
            let missingAudited = try await app.auditCount(
                actor: world.officer.id, action: "read", resource: "contact_moment", outcome: "denied", resourceID: unknownID)
            #expect(missingAudited == 1)
            let moments = try await app.count("contact_moments")
            #expect(moments == 1)
        }
    }

    @Test func anIdempotentReplayAnswersTheFirstResponse() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let key = UUID().uuidString
            let headers = HTTPFields.json(world.officerToken, [.idempotencyKey: key])
            let first = try await client.execute(uri: trajectory.contactMoments, method: .post, headers: headers, body: .json(Self.body))
            let replay = try await client.execute(uri: trajectory.contactMoments, method: .post, headers: headers, body: .json(Self.body))
            #expect(first.status == .created && replay.status == .created)
            #expect(replay.headers[.location] == first.headers[.location])
            #expect(replay.headers[.eTag] == first.headers[.eTag])
            #expect(NSDictionary(dictionary: replay.json) == NSDictionary(dictionary: first.json), "the same document (member order is free)")
            var other = Self.body
            other["summary"] = "Another conversation"
            let reused = try await client.execute(uri: trajectory.contactMoments, method: .post, headers: headers, body: .json(other))
            expectProblem(reused, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)

            let moments = try await app.count("contact_moments")
            let events = try await app.timelineEvents(trajectory, type: "contact_recorded")
            #expect(moments == 1 && events.count == 1)
            // One create; the replay is a read of the contact moment it returned, under its id.
            let id = try #require((first.json["id"] as? String).flatMap(UUID.init(uuidString:)))
            let created = try await app.auditCount(actor: world.officer.id, action: "create", resource: "contact_moment", resourceID: id)
            let read = try await app.auditCount(actor: world.officer.id, action: "read", resource: "contact_moment", resourceID: id)
            #expect(created == 1 && read == 1)
        }
    }

    @Test func theListIsNewestFirstPageByPage() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = try await app.seedCase(in: world, absenceStart: ContactClock.day(-20))
            var ids: [String] = []
            for offset in [-15, -3, -9, -1, -12] {
                let (moment, _) = try await app.recordContact(client, trajectory, token: world.officerToken, occurredAt: ContactClock.at(offset))
                ids.append(try #require(moment["id"] as? String))
            }
            let (items, pages) = try await app.collectAll(client, trajectory.contactMoments + "?pageSize=2", token: world.officerToken)
            #expect(pages == 3)
            #expect(items.compactMap { ContactClock.instant(in: $0["occurredAt"]) } == [-1, -3, -9, -12, -15].map { ContactClock.instant(ContactClock.at($0)) })
            #expect(Set(items.compactMap { $0["id"] as? String }) == Set(ids))
            let listed = try await app.auditCount(actor: world.officer.id, action: "list", resource: "contact_moment")
            #expect(listed == 5 + 3, "one per contact moment returned, and one per page for the trajectory")

            let badPage = try await client.execute(uri: trajectory.contactMoments + "?pageSize=0&sort=x", method: .get, headers: .bearer(world.officerToken))
            expectBadRequest(badPage, issue: ProblemURN.unknownInput, in: "query", name: "sort")
            let badSize = try await client.execute(uri: trajectory.contactMoments + "?pageSize=500", method: .get, headers: .bearer(world.officerToken))
            expectBadRequest(badSize, issue: ProblemURN.schemaViolation, in: "query", name: "pageSize")
        }
    }

    @Test func patchCorrectsAContactMomentWithIfMatch() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let created = try await client.execute(
                uri: trajectory.contactMoments, method: .post, headers: .json(world.officerToken), body: .json(Self.body))
            let href = try #require(created.json["href"] as? String)
            let etag = try #require(created.headers[.eTag])

            let withoutIfMatch = try await client.execute(
                uri: href, method: .patch, headers: .json(world.officerToken), body: .json(["summary": "Corrected"]))
            expectProblem(withoutIfMatch, .preconditionRequired, type: ProblemURN.preconditionRequired)
            let removeSummary = try await client.execute(
                uri: href, method: .patch, headers: .json(world.officerToken, [.ifMatch: etag]),
                body: .json(["summary": NSNull(), "wellbeing": 0, "nextContactOn": ContactClock.day(-5).description]))
            let issues = expectBadRequest(removeSummary, issue: ProblemURN.schemaViolation, in: "body", name: "summary")
            #expect(Set(issues.compactMap { $0["name"] as? String }) == ["summary", "wellbeing"], "\(issues)")
            let tooEarly = try await client.execute(
                uri: href, method: .patch, headers: .json(world.officerToken, [.ifMatch: etag]),
                body: .json(["nextContactOn": ContactClock.day(-5).description]))
            expectBadRequest(tooEarly, issue: ProblemURN.invalidInput, in: "body", name: "nextContactOn")

            var headers = HTTPFields.json(world.officerToken, [.ifMatch: etag])
            headers[.contentType] = "application/merge-patch+json"
            let patched = try await client.execute(
                uri: href, method: .patch, headers: headers,
                body: .json(["summary": "Corrected: talked about May", "wellbeing": NSNull(), "nextContactOn": NSNull(), "channel": "video"]))
            #expect(patched.status == .ok, "\(patched.body.text)")
            let newETag = try #require(patched.headers[.eTag])
            #expect(newETag != etag)
            #expect(patched.json["summary"] as? String == "Corrected: talked about May")
            #expect(patched.json["channel"] as? String == "video")
            #expect(patched.json["madeBy"] as? String == "manager")
            #expect(patched.json["wellbeing"] == nil && patched.json["nextContactOn"] == nil)
            #expect(ContactClock.instant(in: patched.json["occurredAt"]) == ContactClock.instant(ContactClock.at(-1)))

            let due = try await app.contactDueColumns(trajectory)
            #expect(due.dueOn == ContactClock.day(13) && due.reason == "cadence", "without the agreed date, every 14 days")
            let events = try await app.timelineEvents(trajectory, type: "contact_updated")
            #expect(events.count == 1)
            #expect(events.first?.contains("talked about May") == false)

            let stale = try await client.execute(
                uri: href, method: .patch, headers: .json(world.officerToken, [.ifMatch: etag]), body: .json(["summary": "Again"]))
            expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)
            let stored = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken))
            #expect(stored.json["summary"] as? String == "Corrected: talked about May")
        }
    }

    @Test func concurrentPatchesWithOneETagLetExactlyOneWin() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let world = scene.world
            let trajectory = scene.trajectory
            let (moment, etag) = try await app.recordContact(client, trajectory, token: world.officerToken, occurredAt: ContactClock.at(-1))
            let href = try #require(moment["href"] as? String)
            let headers = HTTPFields.json(world.officerToken, [.ifMatch: etag])
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<4 {
                    group.addTask {
                        try await client.execute(uri: href, method: .patch, headers: headers, body: .json(["summary": "Writer \(index)"])).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .preconditionFailed }.count == 3, "\(statuses)")
            let version = try await app.client.query("SELECT version FROM contact_moments")[0].decode(0, as: Int.self)
            let events = try await app.timelineEvents(trajectory, type: "contact_updated")
            #expect(version == 2 && events.count == 1)
        }
    }
}
