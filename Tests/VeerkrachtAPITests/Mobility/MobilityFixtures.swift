import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// A marketplace to test in: a home entity (NORTH) with its officer, HR and staff, a host
/// entity (HOST) with an HR author and an HR approver, an occupational physician, and people
/// who must not see things (an officer of SOUTH, an auditor).
///
/// Staff of NORTH: Mira (open trajectory, consents to HR), Noor (open trajectory, does not
/// consent), Lotte (no trajectory; may ask for a move herself).
struct MobilityWorld {
    typealias Person = (user: User, token: String)

    let app: TestApp
    let north: UUID
    let host: UUID
    let south: UUID
    let officer: Person
    let homeHR: Person
    let hostHR: Person
    let approver: Person
    let physician: Person
    let southOfficer: Person
    let auditor: Person
    let mira: UUID
    let noor: UUID
    let lotte: UUID
    let miraCase: UUID
    let noorCase: UUID

    /// The day the tests live on (an offer starting after it can still be published).
    static let today = try! Date("2026-12-04T10:00:00Z", strategy: .iso8601)

    static func with(
        mobility: MobilitySettings = MobilitySettings(), _ body: @Sendable (TestApp, any TestClientProtocol, MobilityWorld) async throws -> Void
    ) async throws {
        try await TestApp.with(now: { today }, mobility: mobility) { app in
            try await app.test { client in try await body(app, client, try await make(app, client)) }
        }
    }

    static func make(_ app: TestApp, _ client: any TestClientProtocol) async throws -> MobilityWorld {
        let north = UUID(uuidString: try await app.createEntity(client, code: "NORTH").json["id"] as! String)!
        let host = UUID(uuidString: try await app.createEntity(client, code: "HOST").json["id"] as! String)!
        let south = UUID(uuidString: try await app.createEntity(client, code: "SOUTH").json["id"] as! String)!
        let officer = try await app.user("officer@example.org", roles: [.officer], entities: ["NORTH"])
        let homeHR = try await app.user("hr.north@example.org", roles: [.hr], entities: ["NORTH"])
        let hostHR = try await app.user("hr.host@example.org", roles: [.hr], entities: ["HOST"])
        let approver = try await app.user("approver@example.org", roles: [.hr], entities: ["HOST"])
        try await app.client.query("UPDATE users SET permissions = '{approve_offers}' WHERE id = \(approver.user.id)")
        let physician = try await app.user("doctor@example.org", roles: [.physician])
        let southOfficer = try await app.user("south@example.org", roles: [.officer], entities: ["SOUTH"])
        let auditor = try await app.user("auditor@example.org", roles: [.auditor])
        func employee(_ number: String, _ given: String, _ family: String, grade: String) async throws -> UUID {
            try await app.client.query("""
                INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours, grade)
                VALUES (\(number), \(given), \(family), \(north), 38, \(grade)) RETURNING id
                """)[0].decode(0, as: UUID.self)
        }
        let mira = try await employee("P-2001", "Mira", "Peeters", grade: "A1")
        let noor = try await employee("P-2002", "Noor", "Janssens", grade: "B2")
        let lotte = try await employee("P-2003", "Lotte", "Maes", grade: "A1")
        func open(_ employee: UUID, consent: Bool) async throws -> UUID {
            let opened = try await client.execute(
                uri: "/v1/trajectories", method: .post, headers: .json(officer.token),
                body: .json([
                    "employeeId": employee.uuidString, "goal": "temporaryMobility", "physicianId": physician.user.id.uuidString,
                    "consent": ["visibleToHrForMobility": consent],
                ]))
            try #require(opened.status == .created, "opening a case: \(opened.body.text)")
            return UUID(uuidString: opened.json["id"] as! String)!
        }
        let miraCase = try await open(mira, consent: true)
        let noorCase = try await open(noor, consent: false)
        return MobilityWorld(
            app: app, north: north, host: host, south: south, officer: officer, homeHR: homeHR, hostHR: hostHR, approver: approver,
            physician: physician, southOfficer: southOfficer, auditor: auditor, mira: mira, noor: noor, lotte: lotte,
            miraCase: miraCase, noorCase: noorCase)
    }

    /// A valid offer body of the host entity; `extra` overrides fields.
    func offerBody(_ extra: [String: Any] = [:]) -> [String: Any] {
        var body: [String: Any] = [
            "hostEntityId": host.uuidString, "title": "Policy analyst for the mobility plan",
            "description": "Six months on the regional mobility plan: analysis and drafting.",
            "site": ["name": "Herman Teirlinck", "postcode": "1000"],
            "competencies": [["code": "policyAnalysis", "level": 3, "weight": 2, "required": true], ["code": "dataAnalysis", "level": 2]],
            "talentTags": ["analysing", "writing"], "gradesAccepted": ["A1", "A2"], "hoursPerWeek": 30,
            "startsOn": "2027-01-15", "endsOn": "2027-06-30", "teleworkDays": 2,
            "demands": ["emotionalLoad": "medium", "screenWork": "high"], "adaptations": ["quietWorkplace", "flexibleSchedule"],
            "positions": 1, "costBearer": "homeOrganisation",
        ]
        body.merge(extra) { $1 }
        return body
    }

    /// Posts an offer as the host's HR author; its JSON and ETag.
    func postOffer(_ client: any TestClientProtocol, _ extra: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> (json: [String: Any], etag: String) {
        let posted = try await client.execute(uri: "/v1/mobility/offers", method: .post, headers: .json(hostHR.token), body: .json(offerBody(extra)))
        try #require(posted.status == .created, "posting an offer: \(posted.body.text)", sourceLocation: sourceLocation)
        return (posted.json, try #require(posted.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// Moves an offer on; the response.
    func changeOffer(_ client: any TestClientProtocol, _ id: String, to status: String, etag: String, token: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/mobility/offers/\(id)/statusChanges", method: .post, headers: .json(token, [.ifMatch: etag]),
            body: .json(["status": status]))
    }

    /// An open offer: posted, submitted, approved by the approver; its id.
    func openOffer(_ client: any TestClientProtocol, _ extra: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let (offer, etag) = try await postOffer(client, extra, sourceLocation: sourceLocation)
        let id = offer["id"] as! String
        let submitted = try await changeOffer(client, id, to: "submitted", etag: etag, token: hostHR.token)
        try #require(submitted.status == .ok, "submitting: \(submitted.body.text)", sourceLocation: sourceLocation)
        let opened = try await changeOffer(client, id, to: "open", etag: submitted.headers[.eTag]!, token: approver.token)
        try #require(opened.status == .ok, "approving: \(opened.body.text)", sourceLocation: sourceLocation)
        return id
    }

    /// A profile body that fits `offerBody()`.
    static var fittingProfile: [String: Any] { [
        "competencies": [["code": "policyAnalysis", "level": 4], ["code": "dataAnalysis", "level": 2]],
        "talents": ["goodAt": ["analysing"], "likesDoing": ["writing"], "findsImportant": ["societalImpact"]],
        "preferredPostcodes": ["1000", "9000"], "maxTravelMinutes": 90, "maxHoursPerWeek": 32, "availableFrom": "2027-01-01",
        "teleworkDaysWanted": 2,
    ] }

    /// Sets a profile as `token` (the officer by default); the response.
    func putProfile(
        _ client: any TestClientProtocol, _ employee: UUID, _ body: [String: Any] = fittingProfile, token: String? = nil, etag: String? = nil
    ) async throws -> TestResponse {
        var headers: [HTTPField.Name: String] = [:]
        if let etag { headers[.ifMatch] = etag }
        return try await client.execute(
            uri: "/v1/mobility/candidates/\(employee.uuidString)", method: .put, headers: .json(token ?? officer.token, headers), body: .json(body))
    }

    /// Sets restrictions as the physician; the response.
    func putRestrictions(_ client: any TestClientProtocol, _ employee: UUID, _ levels: [String: String], token: String? = nil, etag: String? = nil) async throws -> TestResponse {
        var headers: [HTTPField.Name: String] = [:]
        if let etag { headers[.ifMatch] = etag }
        return try await client.execute(
            uri: "/v1/mobility/candidates/\(employee.uuidString)/restrictions", method: .put,
            headers: .json(token ?? physician.token, headers), body: .json(["restrictions": levels]))
    }

    /// Proposes `offer` to `employee` as the officer; the response.
    func propose(_ client: any TestClientProtocol, offer: String, employee: UUID, token: String? = nil) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/mobility/placements", method: .post, headers: .json(token ?? officer.token),
            body: .json(["offerId": offer, "employeeId": employee.uuidString]))
    }

    /// One step of a placement; the response.
    func step(_ client: any TestClientProtocol, _ placement: String, etag: String, token: String, _ body: [String: Any]) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/mobility/placements/\(placement)/statusChanges", method: .post, headers: .json(token, [.ifMatch: etag]), body: .json(body))
    }

    static var agreement: [String: Any] { [
        "startsOn": "2027-01-15", "endsOn": "2027-06-30", "hoursPerWeek": 30, "costBearer": "homeOrganisation",
        "adaptations": ["quietWorkplace"],
    ] }

    /// Audit entries of a resource type, as stored (`candidate_profile`).
    func audits(_ resource: String, outcome: String = "allowed") async throws -> Int {
        try await app.client.query("SELECT count(*) FROM audit_log WHERE resource_type = \(resource) AND outcome = \(outcome)")[0].decode(0, as: Int.self)
    }
}
