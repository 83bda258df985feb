import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("An officer's upcoming deadlines")
struct UpcomingDeadlineTests {
    /// Olivia's cases and some that are not hers to see, on Monday 3 June 2024.
    private struct Cases {
        var belgian: UUID  // report to the physician overdue since 1 April
        var dutch: UUID  // problem analysis 17 June, plan of action 1 July, the rest later
        var presence: UUID  // review 10 June
        var elsewhere: UUID  // hers, but in an entity outside her scope
        var colleagues: UUID  // a colleague's case in her entity: review 20 June
        var otto: User
    }

    private func seed(_ world: DeadlineWorld) async throws -> Cases {
        let otto = try await world.app.user("otto@example.org", roles: [.officer], entities: ["DEP-CASES"])
        let cases = Cases(
            belgian: try await world.openTrajectory(employee: ("An", "Janssens")),
            dutch: try await world.openTrajectory(
                template: "nl-wet-verbetering-poortwachter", absenceStart: day("2024-05-06"), physician: world.physician.id,
                employee: ("Bram", "Wouters")),
            presence: try await world.openTrajectory(template: "active-presence", absenceStart: day("2024-03-10"), employee: ("Chloé", "Dubois")),
            elsewhere: try await world.openTrajectory(
                template: "nl-wet-verbetering-poortwachter", absenceStart: day("2024-05-06"), entity: world.otherEntity.id,
                employee: ("Dirk", "Elsewhere")),
            colleagues: try await world.openTrajectory(
                template: "active-presence", absenceStart: day("2024-03-20"), officer: otto.user.id, employee: ("Emma", "Smets")),
            otto: otto.user)
        // Not listed: a closed case, and a deadline already met by its event.
        try await world.close(try await world.openTrajectory(template: "active-presence", absenceStart: day("2024-03-15"), employee: ("Fien", "Closed")))
        let reported = try await world.openTrajectory(absenceStart: day("2024-05-13"), employee: ("Gert", "Reported"))
        try await world.app.client.withTransaction { connection in
            try await DeadlineStore().recordTriggerEvent(
                .incapacityReported, occurredOn: day("2024-05-31"), trajectoryID: reported, actor: world.officer.id,
                today: DeadlineWorld.today, on: connection)
        }
        return cases
    }

    private func listAuditCount(_ world: DeadlineWorld, actor: UUID) async throws -> Int {
        try await world.app.client.query("""
            SELECT count(*) FROM audit_log WHERE actor_id = \(actor) AND action = 'list' AND resource_type = 'deadline'
            """)[0].decode(0, as: Int.self)
    }

    @Test func overdueFirstThenSoonestWithinTheHorizon() async throws {
        try await DeadlineWorld.with { world in
            let cases = try await seed(world)
            try await world.app.test { client in
                let response = try await client.execute(uri: "/v1/deadlines/upcoming", method: .get, headers: .bearer(world.officerToken))
                #expect(response.status == .ok, "\(response.body.text)")
                let items = response.items
                #expect(items.map { $0["milestoneCode"] as? String } == [
                    "incapacityReportedToPhysician", "reviewAtThreeMonths", "problemAnalysis", "planOfAction",
                ])
                #expect(items.map { $0["dueOn"] as? String } == ["2024-04-01", "2024-06-10", "2024-06-17", "2024-07-01"])
                #expect(items.map { $0["daysUntilDue"] as? Int } == [-63, 7, 14, 28])
                let overdue = try #require(items.first)
                let trajectory = try #require(overdue["trajectory"] as? [String: Any])
                #expect(trajectory["id"] as? String == cases.belgian.uuidString.lowercased())
                #expect(trajectory["href"] as? String == "/v1/trajectories/\(cases.belgian.uuidString.lowercased())")
                #expect((trajectory["reference"] as? String)?.hasPrefix("VK-2024-") == true)
                let employee = try #require(overdue["employee"] as? [String: Any])
                #expect(employee["givenName"] as? String == "An")
                #expect(employee["familyName"] as? String == "Janssens")
                #expect(overdue["responsible"] as? String == "employer")
                #expect(overdue["status"] as? String == "pending")
                #expect((overdue["label"] as? [String: String])?.count == 4)
                let href = try #require(overdue["href"] as? String)
                #expect(href.hasPrefix(DeadlinePath.deadlines(cases.belgian) + "/"))
                #expect(response.json["pageSize"] as? Int == 20)
                #expect(response.json["next"] == nil)

                let today = try await client.execute(uri: "/v1/deadlines/upcoming?horizon=0d", method: .get, headers: .bearer(world.officerToken))
                #expect(today.items.map { $0["dueOn"] as? String } == ["2024-04-01"])
                let twoWeeks = try await client.execute(
                    uri: "/v1/deadlines/upcoming?horizon=2w&officer=me", method: .get,
                    headers: .bearer(world.officerToken, [.acceptLanguage: "en"]))
                #expect(twoWeeks.items.count == 3)
                #expect(twoWeeks.headers[.contentLanguage] == "en")
                #expect(twoWeeks.items.first?["label"] as? [String: String] == ["en": "Report an incapacity of four weeks or more to the occupational physician"])
            }
            let audited = try await listAuditCount(world, actor: world.officer.id)
            #expect(audited == 4 + 1 + 3, "one list entry per deadline returned")
        }
    }

    @Test func pageByPageOverAYear() async throws {
        try await DeadlineWorld.with { world in
            _ = try await seed(world)
            try await world.app.test { client in
                let first = try await client.execute(
                    uri: "/v1/deadlines/upcoming?horizon=366d&pageSize=4", method: .get, headers: .bearer(world.officerToken))
                let next = try #require(first.json["next"] as? String)
                #expect(next.contains("horizon=366d") && next.contains("officer=me") && next.contains("pageSize=4"))
                let (items, pages) = try await world.app.collectAll(client, "/v1/deadlines/upcoming?horizon=366d&pageSize=4", token: world.officerToken)
                #expect(pages == 2)
                #expect(items.map { $0["dueOn"] as? String } == [
                    "2024-04-01", "2024-06-10", "2024-06-17", "2024-07-01", "2025-02-24", "2025-05-05",
                ])
                #expect(Set(items.compactMap { $0["id"] as? String }).count == 6)
            }
            let audited = try await listAuditCount(world, actor: world.officer.id)
            #expect(audited == 4 + 6, "the first page on its own, then both pages")
        }
    }

    @Test func anotherOfficersListShowsOnlyWhatTheCallerMaySee() async throws {
        try await DeadlineWorld.with { world in
            let cases = try await seed(world)
            try await world.app.test { client in
                let olivia = world.officer.id.uuidString.lowercased()
                // Oscar works for the other entity: of Olivia's cases he sees the one there.
                let oscar = try await client.execute(uri: "/v1/deadlines/upcoming?officer=\(olivia)", method: .get, headers: .bearer(world.outsiderToken))
                #expect(oscar.status == .ok)
                let seen = Set(oscar.items.compactMap { ($0["trajectory"] as? [String: Any])?["id"] as? String })
                #expect(seen == [cases.elsewhere.uuidString.lowercased()])
                #expect(oscar.items.count == 2)
                // Olivia sees her colleague's case in her entity.
                let colleague = try await client.execute(
                    uri: "/v1/deadlines/upcoming?officer=\(cases.otto.id.uuidString.lowercased())", method: .get, headers: .bearer(world.officerToken))
                #expect(colleague.items.map { $0["dueOn"] as? String } == ["2024-06-20"])
                // The physician sees the case assigned to them only.
                let physician = try await client.execute(
                    uri: "/v1/deadlines/upcoming?officer=\(olivia)", method: .get, headers: .bearer(world.physicianToken))
                #expect(Set(physician.items.compactMap { ($0["trajectory"] as? [String: Any])?["id"] as? String }) == [cases.dutch.uuidString.lowercased()])
                // Nothing for roles without case data, nor for an unknown officer.
                for token in [world.hrToken, world.app.adminToken] {
                    let none = try await client.execute(uri: "/v1/deadlines/upcoming?officer=\(olivia)", method: .get, headers: .bearer(token))
                    #expect(none.status == .ok)
                    #expect(none.body.text.contains(#""items":[]"#))
                }
                let unknown = try await client.execute(uri: "/v1/deadlines/upcoming?officer=\(UUID())", method: .get, headers: .bearer(world.officerToken))
                #expect(unknown.items.isEmpty)
            }
            let elsewhere = try await world.audit(trajectory: cases.elsewhere)
            #expect(elsewhere.map(\.actor) == [world.outsider.id, world.outsider.id])
            let dutch = try await world.audit(trajectory: cases.dutch)
            #expect(dutch.map(\.action) == ["list", "list"])
            let dutchByPhysician = try await world.auditOutcomes(trajectory: cases.dutch, actor: world.physician.id)
            #expect(dutchByPhysician == ["allowed", "allowed"])
        }
    }

    @Test func badParametersAreRefusedTogether() async throws {
        try await DeadlineWorld.with { world in
            try await world.app.test { client in
                let both = try await client.execute(
                    uri: "/v1/deadlines/upcoming?officer=olivia&horizon=400d", method: .get, headers: .bearer(world.officerToken))
                let issues = expectBadRequest(both, issue: ProblemURN.schemaViolation, in: "query", name: "horizon")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["officer", "horizon"])
                for horizon in ["1m", "30", "-1d", "53w"] {
                    let response = try await client.execute(
                        uri: "/v1/deadlines/upcoming?horizon=\(horizon)", method: .get, headers: .bearer(world.officerToken))
                    expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "query", name: "horizon")
                }
                let unknown = try await client.execute(uri: "/v1/deadlines/upcoming?sort=dueOn", method: .get, headers: .bearer(world.officerToken))
                expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "query", name: "sort")
                let anonymous = try await client.execute(uri: "/v1/deadlines/upcoming", method: .get)
                expectProblem(anonymous, .unauthorized, type: ProblemURN.noAccessToken)
            }
            let audited = try await world.app.count("audit_log")
            #expect(audited == 0)
        }
    }
}
