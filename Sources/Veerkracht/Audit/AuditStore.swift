import Foundation
import PostgresLibPQ

extension AuditAction: PostgresStoredCode {}
extension AuditOutcome: PostgresStoredCode {}
extension AuditResource: PostgresStoredCode {}

/// The audit log's SQL. Entries are only ever inserted: the table refuses UPDATE, DELETE and
/// TRUNCATE (migration 0003) and the application role has no such grant (0004).
public struct AuditStore: Sendable {
    public init() {}

    /// Appends in the caller's transaction, so an audited change and its entry commit together.
    /// A list's entries go in one statement per set of roles (in practice: one).
    public func append(_ entries: [AuditEntry], on connection: PostgresConnection) async throws {
        for (roles, group) in Dictionary(grouping: entries, by: \.actorRoles) {
            try await connection.query("""
                INSERT INTO audit_log (actor_id, actor_roles, action, resource_type, resource_id, trajectory_id, request_id, outcome)
                SELECT e.actor_id, \(roles.map(\.rawValue)), e.action, e.resource_type, e.resource_id, e.trajectory_id,
                       e.request_id, e.outcome
                FROM unnest(\(group.map(\.actorID)), \(group.map(\.action)), \(group.map(\.resourceType)),
                            \(group.map(\.resourceID)), \(group.map(\.trajectoryID)), \(group.map(\.requestID)),
                            \(group.map(\.outcome)))
                    AS e(actor_id, action, resource_type, resource_id, trajectory_id, request_id, outcome)
                """)
        }
    }

    public func append(_ entry: AuditEntry, on connection: PostgresConnection) async throws {
        try await append([entry], on: connection)
    }
}
