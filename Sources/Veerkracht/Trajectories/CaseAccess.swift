import Foundation
import PostgresLibPQ

/// What the access rule needs to know about one trajectory, read on the connection that then
/// works on it.
struct CaseFacts: Sendable, Hashable {
    var trajectoryID: UUID
    var entityID: UUID
    var officerID: UUID
    var physicianID: UUID?
    var status: TrajectoryStatus
    var version: Int64
}

extension AccessPolicy.CaseScope {
    /// This scope as SQL over the `trajectories` row called `alias`: list queries filter with
    /// it, so nothing out of scope is ever fetched.
    func predicate(_ alias: String = "t") -> PostgresQuery {
        "(\(unsafeRaw: alias).entity_id = ANY(\(entityIDs)) OR \(unsafeRaw: alias).physician_id = \(physicianID))"
    }
}

/// What a gate's transaction decided: the body's value, or a refusal naming the trajectory it
/// concerned (for the audit entry).
enum GateOutcome<Value: Sendable>: Sendable {
    case allowed(Value)
    case denied(trajectory: UUID?)
}

extension VeerkrachtAPIService {
    /// The one gate to case data. Runs `body` when the principal may `access` trajectory `id`,
    /// and audits the access. A write runs in a transaction that holds the trajectory's row
    /// lock until commit (writes to one case are serialised) and audits in that transaction,
    /// so the change and its entry commit together. A read goes through `readCase`.
    /// Otherwise, whether the trajectory does not exist or is out of scope, answers 404 and
    /// audits the denial on its own.
    func withCase<Value: Sendable>(
        _ id: UUID, _ access: AccessPolicy.CaseAccess, audit action: AuditAction, _ resource: AuditResource,
        resourceID: UUID? = nil, _ body: (CaseFacts, PostgresConnection) async throws -> Value
    ) async throws -> Value {
        guard access == .write else {
            return try await readCase(id, audit: action, resource, resourceID: resourceID) { scope, connection in
                guard let facts = try await caseFacts(id, in: scope, lock: false, on: connection) else { return nil }
                return try await body(facts, connection)
            }
        }
        return try await writeCase(id, audit: action, resource, resourceID: resourceID, auditedAs: { _ in action }, body)
    }

    /// A create through the gate, audited as a create; when its Idempotency-Key replays the
    /// first answer, nothing new was made and the entry is a read of what was.
    func createInCase<Resource>(
        _ id: UUID, _ resource: AuditResource, resourceID: UUID? = nil,
        _ body: (CaseFacts, PostgresConnection) async throws -> (created: Created<Resource>, replayed: Bool)
    ) async throws -> (created: Created<Resource>, replayed: Bool) {
        try await writeCase(id, audit: .create, resource, resourceID: resourceID, auditedAs: { $0.replayed ? .read : .create }, body)
    }

    /// The write half of the gate; `auditedAs` says, from what `body` did, which action the
    /// entry records (`action` is the one a refusal records).
    private func writeCase<Value: Sendable>(
        _ id: UUID, audit action: AuditAction, _ resource: AuditResource, resourceID: UUID?,
        auditedAs: (Value) -> AuditAction, _ body: (CaseFacts, PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let principal = try Principal.required()
        let scope = AccessPolicy.caseScope(principal, .write)
        let outcome: GateOutcome<Value> = try await database.withTransaction { connection in
            guard let facts = try await caseFacts(id, in: scope, lock: true, on: connection) else { return .denied(trajectory: id) }
            let value = try await body(facts, connection)
            try auditTrail.append(AuditEntry(principal, auditedAs(value), resource, id: resourceID ?? id, trajectory: id), on: connection)
            return .allowed(value)
        }
        return try await settle(outcome, principal, action, resource, id: resourceID ?? id)
    }

    /// The read half of the gate. `fetch` reads, outside a transaction, what trajectory `id`
    /// shows within the principal's read scope, and nil when the case is out of scope or does
    /// not exist (404, the denial audited). An allowed read returns once `AuditWriter` has
    /// committed its entry. `fetch` may fold the scope check into its own statement, as the
    /// read of one trajectory does.
    func readCase<Value: Sendable>(
        _ id: UUID, audit action: AuditAction, _ resource: AuditResource, resourceID: UUID? = nil,
        _ fetch: (AccessPolicy.CaseScope, PostgresConnection) async throws -> Value?
    ) async throws -> Value {
        let principal = try Principal.required()
        let scope = AccessPolicy.caseScope(principal, .read)
        let found = try await database.withConnection { try await fetch(scope, $0) }
        guard let found else {
            try await auditDenial(principal, action, resource, id: resourceID ?? id, trajectory: id)
            throw Problem.notFound
        }
        try await auditWriter.append(AuditEntry(principal, action, resource, id: resourceID ?? id, trajectory: id))
        return found
    }

    private func caseFacts(_ id: UUID, in scope: AccessPolicy.CaseScope, lock: Bool, on connection: PostgresConnection) async throws -> CaseFacts? {
        let rows = try await connection.query("""
            SELECT t.id, t.entity_id, t.officer_id, t.physician_id, t.status, t.version FROM trajectories t
            WHERE t.id = \(id) AND \(fragment: scope.predicate())
            \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """)
        guard let row = try rows.singleRow() else { return nil }
        let (trajectoryID, entityID, officerID, physicianID, status, version) =
            try row.decode((UUID, UUID, UUID, UUID?, TrajectoryStatus, Int64).self)
        return CaseFacts(
            trajectoryID: trajectoryID, entityID: entityID, officerID: officerID, physicianID: physicianID,
            status: status, version: version)
    }

    /// The value of an allowed access. A refused one is audited on its own, outside the
    /// transaction that rolled back, and answers 404 whether the thing exists or not.
    func settle<Value>(
        _ outcome: GateOutcome<Value>, _ principal: Principal, _ action: AuditAction, _ resource: AuditResource, id: UUID?
    ) async throws -> Value {
        switch outcome {
        case .allowed(let value):
            return value
        case .denied(let trajectory):
            try await auditDenial(principal, action, resource, id: id, trajectory: trajectory)
            throw Problem.notFound
        }
    }

    /// Records a refused access apart from any transaction, which rolls back.
    func auditDenial(
        _ principal: Principal, _ action: AuditAction, _ resource: AuditResource, id: UUID?, trajectory: UUID?
    ) async throws {
        try await auditWriter.append(AuditEntry(principal, action, resource, id: id, trajectory: trajectory, outcome: .denied))
    }
}
