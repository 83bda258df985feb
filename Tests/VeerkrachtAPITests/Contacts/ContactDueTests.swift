import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("The officer's work list of contacts due")
struct ContactDueTests {
    /// Trajectories of one officer (today is 2024-03-20, the active-presence policy: first
    /// contact within 7 days, then every 14, at most every 28 at the staff member's request).
    struct Caseload {
        let world: ContactWorld
        let colleague: (user: User, token: String)
        var byName: [String: ContactCase] = [:]
    }

    func caseload(_ app: TestApp, _ client: any TestClientProtocol) async throws -> Caseload {
        let world = try await app.contactWorld(client, code: "DEP-A", officer: "olga@example.org")
        var load = Caseload(world: world, colleague: try await app.user("gert@example.org", roles: [.officer], entities: ["DEP-A"]))
        // No contact yet: first contact due 3 days ago.
        load.byName["Aerts"] = try await app.seedCase(in: world, givenName: "Ann", familyName: "Aerts", absenceStart: ContactClock.day(-10))
        // Last contact 20 days ago: due every 14 days, 6 days ago.
        let bos = try await app.seedCase(in: world, givenName: "Bart", familyName: "Bos", absenceStart: ContactClock.day(-30))
        _ = try await app.recordContact(client, bos, token: world.officerToken, occurredAt: ContactClock.at(-20))
        load.byName["Bos"] = bos
        // Agreed at the last contact: in 2 days.
        let claes = try await app.seedCase(in: world, givenName: "Chris", familyName: "Claes", absenceStart: ContactClock.day(-30))
        _ = try await app.recordContact(client, claes, token: world.officerToken, occurredAt: ContactClock.at(-5), nextContactOn: ContactClock.day(2))
        load.byName["Claes"] = claes
        // Absent since two days: first contact due in 5 days.
        load.byName["Dams"] = try await app.seedCase(in: world, givenName: "Dirk", familyName: "Dams", absenceStart: ContactClock.day(-2))
        // First contact was due yesterday, but "not before" in 4 days.
        let eyck = try await app.seedCase(in: world, givenName: "Els", familyName: "Eyck", absenceStart: ContactClock.day(-8))
        let preferences = try await client.execute(
            uri: eyck.contactPreferences, method: .put, headers: .json(world.officerToken),
            body: .json(["notBefore": ContactClock.day(4).description, "channel": "video", "contactPerson": "hr"]))
        try #require(preferences.status == .ok, "\(preferences.body.text)")
        load.byName["Eyck"] = eyck
        // Closed: never on the list.
        load.byName["Fierens"] = try await app.seedCase(
            in: world, givenName: "Fien", familyName: "Fierens", absenceStart: ContactClock.day(-60), status: .closed)
        // The colleague's case.
        load.byName["Goossens"] = try await app.seedCase(
            in: world, officer: load.colleague.user.id, givenName: "Gert", familyName: "Goossens", absenceStart: ContactClock.day(-10))
        // A redeployment without absence or template: counts from the day it was opened, default policy.
        load.byName["Hermans"] = try await app.seedCase(
            in: world, givenName: "Hilde", familyName: "Hermans", absenceStart: nil, template: nil, openedDaysAgo: 4)
        // The most overdue, but its absence ends yesterday (recorded without a refresh): off the list.
        let ide = try await app.seedCase(in: world, givenName: "Iris", familyName: "Ide", absenceStart: ContactClock.day(-20))
        try await app.client.query("UPDATE absences SET ended_on = \(ContactClock.day(-1)) WHERE id = \(try #require(ide.absenceID))")
        load.byName["Ide"] = ide
        return load
    }

    func names(_ items: [[String: Any]]) -> [String] {
        items.compactMap { ($0["employee"] as? [String: Any])?["familyName"] as? String }
    }

    @Test func mostOverdueFirstWithTheReasonWhy() async throws {
        try await TestApp.withContactClock { app in
            try await app.test { client in
                let load = try await caseload(app, client)
                let token = load.world.officerToken

                let today = try await client.execute(uri: "/v1/contacts/due", method: .get, headers: .bearer(token))
                #expect(today.status == .ok, "\(today.body.text)")
                #expect(names(today.items) == ["Bos", "Aerts"])
                #expect(today.json["pageSize"] as? Int == 20 && today.json["next"] == nil)

                let week = try await client.execute(uri: "/v1/contacts/due?officer=me&horizon=7d", method: .get, headers: .bearer(token))
                #expect(names(week.items) == ["Bos", "Aerts", "Claes", "Hermans", "Eyck", "Dams"])
                let byName = Dictionary(uniqueKeysWithValues: week.items.map { (names([$0]).first ?? "", $0) })
                let expected: [(String, Int, Int, String)] = [
                    ("Bos", -6, 6, "cadence"), ("Aerts", -3, 3, "firstContact"), ("Claes", 2, -2, "agreedDate"),
                    ("Hermans", 3, -3, "firstContact"), ("Eyck", 4, -4, "firstContact"), ("Dams", 5, -5, "firstContact"),
                ]
                for (name, dueOffset, overdue, reason) in expected {
                    let item = try #require(byName[name])
                    #expect(item["dueOn"] as? String == ContactClock.day(dueOffset).description, "\(name)")
                    #expect(item["daysOverdue"] as? Int == overdue, "\(name)")
                    #expect(item["reason"] as? String == reason, "\(name)")
                    let trajectory = try #require(load.byName[name])
                    #expect(item["trajectoryId"] as? String == trajectory.id)
                    #expect(item["href"] as? String == "/v1/trajectories/\(trajectory.id)")
                    #expect((item["trajectoryReference"] as? String)?.hasPrefix("VK-2024-") == true)
                }
                #expect(byName["Eyck"]?["preferredChannel"] as? String == "video")
                #expect(byName["Eyck"]?["preferredContactPerson"] as? String == "hr")
                #expect(byName["Aerts"]?["preferredChannel"] == nil && byName["Aerts"]?["lastContactAt"] == nil)
                #expect(ContactClock.instant(in: byName["Bos"]?["lastContactAt"]) == ContactClock.instant(ContactClock.at(-20)))
                #expect((byName["Bos"]?["employee"] as? [String: Any])?["givenName"] as? String == "Bart")

                let weeks = try await client.execute(uri: "/v1/contacts/due?horizon=1w", method: .get, headers: .bearer(token))
                #expect(names(weeks.items) == names(week.items))
                let twoDays = try await client.execute(uri: "/v1/contacts/due?horizon=2d", method: .get, headers: .bearer(token))
                #expect(names(twoDays.items) == ["Bos", "Aerts", "Claes"])
            }
        }
    }

    @Test func pagesFollowTheSameOrderAndEachListedCaseIsAudited() async throws {
        try await TestApp.withContactClock { app in
            try await app.test { client in
                let load = try await caseload(app, client)
                let officer = load.world.officer.id
                let before = try await app.auditCount(actor: officer, action: "list", resource: "trajectory")
                let (items, pages) = try await app.collectAll(client, "/v1/contacts/due?horizon=7d&pageSize=4", token: load.world.officerToken)
                #expect(pages == 2)
                #expect(names(items) == ["Bos", "Aerts", "Claes", "Hermans", "Eyck", "Dams"])
                let after = try await app.auditCount(actor: officer, action: "list", resource: "trajectory")
                #expect(after - before == 6)
                let aerts = try #require(load.byName["Aerts"])
                let audited = try await app.client.query("""
                    SELECT count(*) FROM audit_log
                    WHERE actor_id = \(officer) AND action = 'list' AND resource_type = 'trajectory'
                      AND resource_id = \(aerts.trajectoryID) AND trajectory_id = \(aerts.trajectoryID) AND request_id IS NOT NULL
                    """)[0].decode(0, as: Int.self)
                #expect(audited == 1)
            }
        }
    }

    @Test func aContactMomentTakesTheTrajectoryOffTheList() async throws {
        try await TestApp.withContactClock { app in
            try await app.test { client in
                let load = try await caseload(app, client)
                let aerts = try #require(load.byName["Aerts"])
                _ = try await app.recordContact(client, aerts, token: load.world.officerToken, occurredAt: ContactClock.at(0))
                let today = try await client.execute(uri: "/v1/contacts/due", method: .get, headers: .bearer(load.world.officerToken))
                #expect(names(today.items) == ["Bos"])
                let due = try await app.contactDueColumns(aerts)
                #expect(due.dueOn == ContactClock.day(14) && due.reason == "cadence")
                let later = try await client.execute(uri: "/v1/contacts/due?horizon=14d", method: .get, headers: .bearer(load.world.officerToken))
                #expect(names(later.items).last == "Aerts")
            }
        }
    }

    @Test func anotherOfficersListStaysWithinTheCallersScope() async throws {
        try await TestApp.withContactClock { app in
            try await app.test { client in
                let load = try await caseload(app, client)
                let colleagueID = load.colleague.user.id.uuidString.lowercased()
                let colleagues = try await client.execute(
                    uri: "/v1/contacts/due?officer=\(colleagueID)", method: .get, headers: .bearer(load.world.officerToken))
                #expect(names(colleagues.items) == ["Goossens"])

                let outsider = try await app.contactWorld(client, code: "DEP-B", officer: "otto@example.org")
                let (_, hrToken) = try await app.user("hanna@example.org", roles: [.hr], entities: ["DEP-A"])
                let (physician, physicianToken) = try await app.user("phil@example.org", roles: [.physician])
                _ = try await app.seedCase(in: load.world, physician: physician.id, givenName: "Jo", familyName: "Jacobs", absenceStart: ContactClock.day(-10))
                let officerID = load.world.officer.id.uuidString.lowercased()
                for token in [outsider.officerToken, hrToken, physicianToken] {
                    for uri in ["/v1/contacts/due?horizon=90d", "/v1/contacts/due?officer=\(officerID)&horizon=90d"] {
                        let response = try await client.execute(uri: uri, method: .get, headers: .bearer(token))
                        #expect(response.status == .ok, "\(response.body.text)")
                        #expect(response.items.isEmpty, "\(uri): \(response.body.text)")
                        #expect(response.json["items"] is [Any])
                    }
                }
                let listedByOutsider = try await app.auditCount(actor: outsider.officer.id, action: "list", resource: "trajectory")
                #expect(listedByOutsider == 0)
            }
        }
    }

    @Test func aRefreshFollowsTheAbsenceAndTheStatus() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let trajectory = scene.trajectory
            let absence = try #require(trajectory.absenceID)
            let store = ContactDueStore()
            try await app.client.query("UPDATE absences SET starts_on = \(ContactClock.day(-4)) WHERE id = \(absence)")
            try await app.client.withConnection { try await store.refresh(absenceID: absence, at: ContactClock.now, on: $0) }
            let moved = try await app.contactDueColumns(trajectory)
            #expect(moved.dueOn == ContactClock.day(3) && moved.reason == "first_contact")

            try await app.client.query("UPDATE absences SET ended_on = \(ContactClock.day(-1)) WHERE id = \(absence)")
            try await app.client.withConnection { try await store.refresh(absenceID: absence, at: ContactClock.now, on: $0) }
            let ended = try await app.contactDueColumns(trajectory)
            #expect(ended.dueOn == nil && ended.reason == nil)

            try await app.client.query("UPDATE absences SET ended_on = NULL WHERE id = \(absence)")
            try await app.client.withConnection { try await store.refresh(absenceID: absence, at: ContactClock.now, on: $0) }
            let reopened = try await app.contactDueColumns(trajectory)
            #expect(reopened.dueOn == ContactClock.day(3))
            try await app.client.query("""
                UPDATE trajectories SET status = 'closed', closed_at = now(), outcome = 'withdrawn' WHERE id = \(trajectory.trajectoryID)
                """)
            try await app.client.withConnection { try await store.refresh(trajectoryID: trajectory.trajectoryID, at: ContactClock.now, on: $0) }
            let closed = try await app.contactDueColumns(trajectory)
            #expect(closed.dueOn == nil && closed.reason == nil)
        }
    }

    @Test func badQueryParametersAre400() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let token = scene.world.officerToken
            for (query, name) in [("horizon=91d", "horizon"), ("horizon=13w", "horizon"), ("horizon=7", "horizon"), ("horizon=-1d", "horizon"),
                                  ("officer=someone", "officer"), ("pageSize=0", "pageSize"), ("cursor=%21%21", "cursor")] {
                let response = try await client.execute(uri: "/v1/contacts/due?\(query)", method: .get, headers: .bearer(token))
                expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "query", name: name)
            }
            let both = try await client.execute(uri: "/v1/contacts/due?horizon=1y&officer=x", method: .get, headers: .bearer(token))
            let issues = expectBadRequest(both, issue: ProblemURN.schemaViolation, in: "query", name: "horizon")
            #expect(issues.count == 2)
            let unknown = try await client.execute(uri: "/v1/contacts/due?entity=x", method: .get, headers: .bearer(token))
            expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "query", name: "entity")
            let anonymous = try await client.execute(uri: "/v1/contacts/due", method: .get)
            expectProblem(anonymous, .unauthorized, type: ProblemURN.noAccessToken)
        }
    }
}
