import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// Rows that other features own (staff, absences, templates, trajectories), seeded with SQL
/// so the contact tests do not depend on those features' endpoints.
///
/// Every contact suite runs on one fixed clock: Wednesday 20 March 2024, 11:00 in Brussels.
enum ContactClock {
    static let now = instant("2024-03-20T10:00:00Z")
    static let today = CalendarDate(year: 2024, month: 3, day: 20)!

    static func day(_ offset: Int) -> CalendarDate { today.adding(days: offset) }

    /// 10:00 UTC (11:00 in Brussels in March) on the day `offset` days from today, as the API writes it.
    static func at(_ offset: Int, hour: Int = 10) -> String {
        "\(day(offset))T\(hour < 10 ? "0" : "")\(hour):00:00Z"
    }

    static func instant(_ text: String) -> Date {
        try! Date(text, strategy: .iso8601)
    }

    /// A timestamp of a response (the server writes microseconds), for comparing instants.
    static func instant(in json: Any?) -> Date? {
        (json as? String).flatMap { try? RFC3339DateTranscoder().decode($0) }
    }
}

/// An officer's world: one entity, the officer, and a way to open cases in it.
struct ContactWorld {
    let entityID: UUID
    let entityCode: String
    let officer: User
    let officerToken: String
}

/// One seeded trajectory.
struct ContactCase {
    let trajectoryID: UUID
    let employeeID: UUID
    let absenceID: UUID?

    var id: String { trajectoryID.uuidString.lowercased() }
    var contactMoments: String { "/v1/trajectories/\(id)/contactMoments" }
    var contactPreferences: String { "/v1/trajectories/\(id)/contactPreferences" }
}

/// The usual cast: an officer with a case absent for ten days (first contact due three days
/// ago) that a physician is assigned to, and an officer of another entity.
struct ContactScene {
    let world: ContactWorld
    let trajectory: ContactCase
    let outsider: ContactWorld
    let physician: User
    let physicianToken: String
}

extension TestApp {
    /// The contact clock, the cast of `ContactScene`, and a client.
    static func withContactScene(
        logger: Logger = Logger(label: "test"), _ body: @Sendable (TestApp, any TestClientProtocol, ContactScene) async throws -> Void
    ) async throws {
        try await with(now: { ContactClock.now }, logger: logger) { app in
            try await app.test { client in
                let world = try await app.contactWorld(client, code: "DEP-A", officer: "olga@example.org")
                let outsider = try await app.contactWorld(client, code: "DEP-B", officer: "otto@example.org")
                let (physician, physicianToken) = try await app.user("phil@example.org", roles: [.physician])
                let trajectory = try await app.seedCase(in: world, physician: physician.id, absenceStart: ContactClock.day(-10))
                try await body(app, client, ContactScene(
                    world: world, trajectory: trajectory, outsider: outsider, physician: physician, physicianToken: physicianToken))
            }
        }
    }

    /// An app on the contact suites' fixed clock.
    static func withContactClock<Result>(_ body: (TestApp) async throws -> Result) async throws -> Result {
        try await with(now: { ContactClock.now }, body)
    }

    /// An entity (through the API) with an officer working for it.
    func contactWorld(_ client: any TestClientProtocol, code: String, officer email: String) async throws -> ContactWorld {
        let (entity, _) = try await createEntity(client, code: code)
        let entityID = try #require((entity["id"] as? String).flatMap(UUID.init(uuidString:)))
        let (officer, token) = try await user(email, roles: [.officer], entities: [code])
        return ContactWorld(entityID: entityID, entityCode: code, officer: officer, officerToken: token)
    }

    /// Stores a shipped template as the template loader does: the file's JSON as it is.
    func seedTemplate(_ id: String) async throws {
        let file = RepositoryFolder.sql.appendingPathComponent("templates/\(id).json")
        let json = try String(contentsOf: file, encoding: .utf8)
        let template = try ProcessTemplate.decode(from: Data(json.utf8), name: file.lastPathComponent)
        try await client.query("""
            INSERT INTO process_templates (id, name, jurisdiction, definition, checksum)
            VALUES (\(template.id), \(template.name.en), \(template.jurisdiction), \(json)::jsonb, sha256(convert_to(\(json), 'UTF8')))
            ON CONFLICT (id) DO NOTHING
            """)
    }

    /// A staff member of the world's entity with an absence from `absenceStart` (none when
    /// nil) and a trajectory in `status`, opened `openedDaysAgo` days ago, with its work-list
    /// columns computed as opening a trajectory does.
    func seedCase(
        in world: ContactWorld, officer: UUID? = nil, physician: UUID? = nil, givenName: String = "Sam",
        familyName: String = "Peeters", absenceStart: CalendarDate?, absenceEnd: CalendarDate? = nil,
        template: String? = "active-presence", status: TrajectoryStatus = .active, openedDaysAgo: Int = 1
    ) async throws -> ContactCase {
        if let template { try await seedTemplate(template) }
        let employeeID = try await client.query("""
            INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours)
            VALUES (\("P" + UUID().uuidString.prefix(8)), \(givenName), \(familyName), \(world.entityID), 38)
            RETURNING id
            """)[0].decode(0, as: UUID.self)
        var absenceID: UUID?
        if let absenceStart {
            absenceID = try await client.query("""
                INSERT INTO absences (employee_id, kind, starts_on, ended_on) VALUES (\(employeeID), 'illness', \(absenceStart), \(absenceEnd))
                RETURNING id
                """)[0].decode(0, as: UUID.self)
        }
        let openedAt = ContactClock.now.addingTimeInterval(-Double(openedDaysAgo) * 86_400)
        let closed = status == .closed
        let trajectoryID = try await client.query("""
            INSERT INTO trajectories (reference, employee_id, entity_id, absence_id, officer_id, physician_id, goal, template_id,
                                      status, opened_at, closed_at, outcome)
            VALUES ('VK-2024-' || lpad((SELECT count(*) + 1 FROM trajectories)::text, 6, '0'), \(employeeID), \(world.entityID),
                    \(absenceID), \(officer ?? world.officer.id), \(physician), 'return_own_job', \(template), \(status),
                    \(openedAt), \(closed ? ContactClock.now : nil), \(closed ? "returned_full" : nil))
            RETURNING id
            """)[0].decode(0, as: UUID.self)
        try await client.withConnection { connection in
            try await ContactDueStore().refresh(trajectoryID: trajectoryID, at: ContactClock.now, on: connection)
        }
        return ContactCase(trajectoryID: trajectoryID, employeeID: employeeID, absenceID: absenceID)
    }

    /// The trajectory's work-list columns, straight from the database.
    func contactDueColumns(_ trajectory: ContactCase) async throws -> (dueOn: CalendarDate?, reason: String?, lastContactAt: Date?) {
        try await client.query("""
            SELECT contact_due_on, contact_due_reason, last_contact_at FROM trajectories WHERE id = \(trajectory.trajectoryID)
            """)[0].decode((CalendarDate?, String?, Date?).self)
    }

    /// Audit rows matching the filter, straight from the database.
    func auditCount(
        actor: UUID, action: String, resource: String, outcome: String = "allowed", resourceID: UUID? = nil
    ) async throws -> Int {
        try await client.query("""
            SELECT count(*) FROM audit_log
            WHERE actor_id = \(actor) AND action = \(action) AND resource_type = \(resource) AND outcome = \(outcome)
              AND (\(resourceID)::uuid IS NULL OR resource_id = \(resourceID))
            """)[0].decode(0, as: Int.self)
    }

    /// Timeline events of a type for the trajectory.
    func timelineEvents(_ trajectory: ContactCase, type: String) async throws -> [String] {
        try await client.query("""
            SELECT payload::text FROM trajectory_events WHERE trajectory_id = \(trajectory.trajectoryID) AND type = \(type) ORDER BY id
            """).map { try $0.decode(0, as: String.self) }
    }

    /// Records a contact moment through the API and returns its JSON and ETag.
    func recordContact(
        _ client: any TestClientProtocol, _ trajectory: ContactCase, token: String, occurredAt: String,
        nextContactOn: CalendarDate? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], etag: String) {
        var body: [String: Any] = [
            "occurredAt": occurredAt, "channel": "phone", "initiative": "employer", "madeBy": "officer",
            "summary": "Talked about how the week went and about coming by for coffee",
        ]
        if let nextContactOn { body["nextContactOn"] = nextContactOn.description }
        let response = try await client.execute(uri: trajectory.contactMoments, method: .post, headers: .json(token), body: .json(body))
        try #require(response.status == .created, "recording a contact: \(response.body.text)", sourceLocation: sourceLocation)
        return (response.json, try #require(response.headers[.eTag], sourceLocation: sourceLocation))
    }
}
