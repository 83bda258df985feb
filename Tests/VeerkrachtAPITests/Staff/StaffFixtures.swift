import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// The organisation the staff tests work in: a department with a service below it, and an
/// agency elsewhere; an officer and an HR professional of the department, an officer of the
/// agency, and an auditor.
struct StaffWorld {
    let app: TestApp
    let department: String
    let service: String
    let agency: String
    let officer: (id: UUID, token: String)
    let hr: (id: UUID, token: String)
    let outsider: (id: UUID, token: String)
    let auditor: (id: UUID, token: String)

    static func make(_ app: TestApp, _ client: any TestClientProtocol) async throws -> StaffWorld {
        let department = try await app.createEntity(client, code: "DEP-FIN").json["id"] as! String
        let service = try await app.createEntity(client, code: "SVC-PAY", parent: department).json["id"] as! String
        let agency = try await app.createEntity(client, code: "AG-TAX").json["id"] as! String
        let officer = try await app.user("olga@example.org", roles: [.officer], entities: ["DEP-FIN"])
        let hr = try await app.user("hanna@example.org", roles: [.hr], entities: ["DEP-FIN"])
        let outsider = try await app.user("otto@example.org", roles: [.officer, .hr], entities: ["AG-TAX"])
        let auditor = try await app.user("aude@example.org", roles: [.auditor], entities: ["DEP-FIN"])
        return StaffWorld(
            app: app, department: department, service: service, agency: agency, officer: (officer.user.id, officer.token),
            hr: (hr.user.id, hr.token), outsider: (outsider.user.id, outsider.token), auditor: (auditor.user.id, auditor.token))
    }

    /// Adds an employee through the API and returns its JSON and ETag.
    func employee(
        _ client: any TestClientProtocol, _ number: String, family: String = "Peeters", given: String = "Jan", entity: String? = nil,
        manager: String? = nil, token: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], etag: String) {
        var body: [String: Any] = [
            "personnelNumber": number, "givenName": given, "familyName": family, "entityId": entity ?? service, "weeklyHours": 38,
        ]
        if let manager { body["managerId"] = manager }
        let response = try await client.execute(uri: "/v1/employees", method: .post, headers: .json(token ?? officer.token), body: .json(body))
        try #require(response.status == .created, "adding \(number): \(response.body.text)", sourceLocation: sourceLocation)
        return (response.json, try #require(response.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// Adds an employee in the service and returns its id.
    func employeeID(_ client: any TestClientProtocol, _ number: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try await employee(client, number, sourceLocation: sourceLocation).json["id"] as! String
    }

    /// Records an absence through the API (as the department's officer) and returns its JSON and ETag.
    func absence(
        _ client: any TestClientProtocol, of employeeID: String, _ body: [String: Any],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], etag: String) {
        let response = try await client.execute(
            uri: "/v1/employees/\(employeeID)/absences", method: .post, headers: .json(officer.token), body: .json(body))
        try #require(response.status == .created, "recording an absence: \(response.body.text)", sourceLocation: sourceLocation)
        return (response.json, try #require(response.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// A trajectory that refers to the absence, inserted straight into the database (the
    /// trajectories feature owns its API).
    func trajectory(employee: String, absence: String, reference: String = "VK-2025-000001") async throws -> UUID {
        try await app.client.query("""
            INSERT INTO trajectories (reference, employee_id, entity_id, absence_id, officer_id, goal)
            SELECT \(reference), e.id, e.entity_id, \(UUID(uuidString: absence)!), \(officer.id), 'undetermined'
            FROM employees e WHERE e.id = \(UUID(uuidString: employee)!)
            RETURNING id
            """)[0].decode(0, as: UUID.self)
    }

    /// The audit entries of a user, oldest first, as (action, resource type, resource id, trajectory id, outcome).
    func audit(of userID: UUID) async throws -> [AuditRow] {
        try await app.client.query("""
            SELECT action, resource_type, resource_id, trajectory_id, outcome FROM audit_log WHERE actor_id = \(userID) ORDER BY id
            """).map { row in
            let (action, type, resource, trajectory, outcome) = try row.decode((String, String, UUID?, UUID?, String).self)
            return AuditRow(action: action, resourceType: type, resourceID: resource?.uuidString.lowercased(),
                            trajectoryID: trajectory?.uuidString.lowercased(), outcome: outcome)
        }
    }

    /// The timeline of a trajectory, oldest first, as (type, payload JSON).
    func timeline(of trajectoryID: UUID) async throws -> [(type: String, payload: [String: Any])] {
        try await app.client.query("""
            SELECT type, payload::text FROM trajectory_events WHERE trajectory_id = \(trajectoryID) ORDER BY id
            """).map { row in
            let (type, payload) = try row.decode((String, String).self)
            return (type, (try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]) ?? [:])
        }
    }
}

struct AuditRow: Equatable, CustomStringConvertible {
    var action: String
    var resourceType: String
    var resourceID: String?
    var trajectoryID: String?
    var outcome: String

    var description: String { "\(action) \(resourceType) \(resourceID ?? "-") \(trajectoryID ?? "-") \(outcome)" }
}
