import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// The deadline tests' world: the shipped templates loaded, two entities, an officer of
/// each, a physician and an HR professional. Entities and users go through the identity
/// store; employees, absences and trajectories (other features' tables) are plain SQL.
/// The server's clock stands still on Monday 3 June 2024, 12:00 in Brussels.
struct DeadlineWorld: Sendable {
    static let now = Date(timeIntervalSince1970: 1_717_408_800)  // 2024-06-03T10:00:00Z
    static let today = day("2024-06-03")

    let app: TestApp
    let entity: Entity
    let otherEntity: Entity
    let officer: User
    let officerToken: String
    /// An officer of the other entity: out of scope for the first entity's cases.
    let outsider: User
    let outsiderToken: String
    let physician: User
    let physicianToken: String
    let hrToken: String

    static func with<Result>(_ body: (DeadlineWorld) async throws -> Result) async throws -> Result {
        try await TestApp.with(now: { now }) { app in
            try await ProcessTemplateStore().load(
                from: RepositoryFolder.sql.appendingPathComponent("templates"), into: app.client, logger: Logger(label: "test"))
            let (entity, otherEntity) = try await app.client.withConnection { connection in
                (try await IdentityStore().createEntity(code: "DEP-CASES", name: "Cases", parentID: nil, on: connection),
                 try await IdentityStore().createEntity(code: "DEP-OTHER", name: "Elsewhere", parentID: nil, on: connection))
            }
            let officer = try await app.user("olivia@example.org", roles: [.officer], entities: ["DEP-CASES"])
            let outsider = try await app.user("oscar@example.org", roles: [.officer], entities: ["DEP-OTHER"])
            let physician = try await app.user("pia@example.org", roles: [.physician], entities: ["DEP-CASES"])
            let hr = try await app.user("hanne@example.org", roles: [.hr], entities: ["DEP-CASES"])
            return try await body(DeadlineWorld(
                app: app, entity: entity, otherEntity: otherEntity, officer: officer.user, officerToken: officer.token,
                outsider: outsider.user, outsiderToken: outsider.token, physician: physician.user,
                physicianToken: physician.token, hrToken: hr.token))
        }
    }

    /// A staff member, by SQL.
    func employee(_ givenName: String = "Eva", _ familyName: String = "Peeters", entity: UUID? = nil) async throws -> UUID {
        let number = "P" + UUID().uuidString.prefix(8)
        return try await app.client.query("""
            INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours)
            VALUES (\(number), \(givenName), \(familyName), \(entity ?? self.entity.id), 38)
            RETURNING id
            """)[0].decode(0, as: UUID.self)
    }

    /// A trajectory opened as the trajectory feature opens one: its row (with an absence from
    /// `absenceStart` when given), then, in the same transaction, its deadlines through
    /// `DeadlineStore.createDeadlines`. Returns the trajectory's id.
    @discardableResult
    func openTrajectory(
        template: String? = "be-reintegration-2022", absenceStart: CalendarDate? = day("2024-03-04"),
        openedOn: CalendarDate = DeadlineWorld.today, officer: UUID? = nil, physician: UUID? = nil, entity: UUID? = nil,
        employee name: (String, String) = ("Eva", "Peeters")
    ) async throws -> UUID {
        let entityID = entity ?? self.entity.id
        let employeeID = try await employee(name.0, name.1, entity: entityID)
        let officerID = officer ?? self.officer.id
        return try await app.client.withTransaction { connection in
            var absenceID: UUID?
            if let absenceStart {
                absenceID = try await connection.query("""
                    INSERT INTO absences (employee_id, kind, starts_on) VALUES (\(employeeID), 'illness', \(absenceStart)) RETURNING id
                    """)[0].decode(0, as: UUID.self)
            }
            let trajectoryID = try await connection.query("""
                INSERT INTO trajectories (reference, employee_id, entity_id, absence_id, officer_id, physician_id, goal, template_id, status)
                VALUES ('VK-2024-' || lpad((SELECT count(*) + 1 FROM trajectories)::text, 6, '0'), \(employeeID), \(entityID),
                        \(absenceID), \(officerID), \(physician), 'return_own_job', \(template), 'active')
                RETURNING id
                """)[0].decode(0, as: UUID.self)
            if let template {
                try await DeadlineStore().createDeadlines(
                    trajectoryID: trajectoryID, templateID: template, absenceStart: absenceStart, openedOn: openedOn,
                    actor: officerID, on: connection)
            }
            return trajectoryID
        }
    }

    func close(_ trajectoryID: UUID) async throws {
        try await app.client.query("""
            UPDATE trajectories SET status = 'closed', closed_at = now(), outcome = 'returned_full' WHERE id = \(trajectoryID)
            """)
    }

    /// Sets a deadline's due date straight in the database (to make one overdue).
    func setDue(_ milestoneCode: String, of trajectoryID: UUID, to dueOn: CalendarDate) async throws {
        try await app.client.query("""
            UPDATE deadlines SET due_on = \(dueOn) WHERE trajectory_id = \(trajectoryID) AND milestone_code = \(milestoneCode.snakeCased)
            """)
    }

    /// The deadlines of a trajectory by milestone code: (status, due date, met on).
    func deadlines(of trajectoryID: UUID) async throws -> [String: (status: String, dueOn: CalendarDate, metOn: CalendarDate?)] {
        let rows = try await app.client.query("""
            SELECT milestone_code, status, due_on, met_on FROM deadlines WHERE trajectory_id = \(trajectoryID)
            """)
        var result: [String: (status: String, dueOn: CalendarDate, metOn: CalendarDate?)] = [:]
        for row in rows {
            let (code, status, dueOn, metOn) = try row.decode((String, String, CalendarDate, CalendarDate?).self)
            result[code.lowerCamelCased ?? code] = (status, dueOn, metOn)
        }
        return result
    }

    /// The timeline event types of a trajectory, in order.
    func timeline(of trajectoryID: UUID) async throws -> [String] {
        try await app.client.query("""
            SELECT type FROM trajectory_events WHERE trajectory_id = \(trajectoryID) ORDER BY id
            """).map { try $0.decode(0, as: String.self) }
    }

    /// One row of the audit log, as the tests look at it.
    struct AuditRow: Sendable, Equatable {
        var actor: UUID?
        var action: String
        var resource: String
        var outcome: String
    }

    /// The audit entries about a trajectory, oldest first.
    func audit(trajectory trajectoryID: UUID) async throws -> [AuditRow] {
        try await app.client.query("""
            SELECT actor_id, action, resource_type, outcome FROM audit_log WHERE trajectory_id = \(trajectoryID) ORDER BY id
            """).map { row in
            let (actor, action, resource, outcome) = try row.decode((UUID?, String, String, String).self)
            return AuditRow(actor: actor, action: action, resource: resource, outcome: outcome)
        }
    }

    /// The outcomes of one user's audit entries about a trajectory, oldest first.
    func auditOutcomes(trajectory trajectoryID: UUID, actor: UUID) async throws -> [String] {
        try await app.client.query("""
            SELECT outcome FROM audit_log WHERE trajectory_id = \(trajectoryID) AND actor_id = \(actor) ORDER BY id
            """).map { try $0.decode(0, as: String.self) }
    }

    func count(_ table: String, trajectory trajectoryID: UUID) async throws -> Int {
        try await app.client.query("""
            SELECT count(*) FROM \(unsafeRaw: table) WHERE trajectory_id = \(trajectoryID)
            """)[0].decode(0, as: Int.self)
    }
}

extension DeadlineWorld {
    /// Records, as the officer, that the reintegration request came in on 20 May 2024; the answer.
    func recordRequestReceived(_ client: any TestClientProtocol, on trajectoryID: UUID) async throws -> TestResponse {
        try await client.execute(
            uri: DeadlinePath.triggerEvents(trajectoryID), method: .post, headers: .json(officerToken),
            body: .json(["event": "requestReceived", "occurredOn": "2024-05-20"]))
    }
}

/// Paths of the deadline resources.
enum DeadlinePath {
    static func triggerEvents(_ trajectoryID: UUID) -> String { "/v1/trajectories/\(trajectoryID.uuidString.lowercased())/triggerEvents" }
    static func deadlines(_ trajectoryID: UUID) -> String { "/v1/trajectories/\(trajectoryID.uuidString.lowercased())/deadlines" }
}

extension TestResponse {
    /// The `deadlines` of a trigger event answer by milestone code.
    var deadlinesByCode: [String: [String: Any]] {
        Dictionary(
            (json["deadlines"] as? [[String: Any]] ?? []).map { ($0["milestoneCode"] as? String ?? "?", $0) },
            uniquingKeysWith: { first, _ in first })
    }
}

/// A calendar day from a literal the test knows to be valid.
func day(_ text: String) -> CalendarDate {
    guard let date = CalendarDate(text) else { fatalError("not a date: \(text)") }
    return date
}
