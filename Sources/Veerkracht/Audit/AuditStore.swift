import Foundation
import PostgresLibPQ

extension AuditAction: PostgresStoredCode {}
extension AuditOutcome: PostgresStoredCode {}
extension AuditResource: PostgresStoredCode {}

/// The audit log's SQL. Entries are only ever inserted: the table refuses UPDATE, DELETE and
/// TRUNCATE (migration 0003) and the application role has no such grant (0008).
public struct AuditStore: Sendable {
    public init() {}

    /// Appends in the caller's transaction, so an audited change and its entry commit together;
    /// `AuditWriter` batches the entries of reads through here. The insert is queued: it goes
    /// with the connection's next statement (in a transaction at the latest with its COMMIT),
    /// and a failure is thrown there. One statement for any number of entries: each entry's
    /// roles travel as one comma-separated text (role codes hold no commas), since an array of
    /// arrays does not unnest row by row.
    public func append(_ entries: [AuditEntry], on connection: PostgresConnection) throws {
        guard !entries.isEmpty else { return }
        try connection.queue("""
            INSERT INTO audit_log (actor_id, actor_roles, action, resource_type, resource_id, trajectory_id, request_id, outcome)
            SELECT e.actor_id, string_to_array(e.roles, ','), e.action, e.resource_type, e.resource_id, e.trajectory_id,
                   e.request_id, e.outcome
            FROM unnest(\(entries.map(\.actorID)), \(entries.map { $0.actorRoles.map(\.rawValue).joined(separator: ",") }),
                        \(entries.map(\.action)), \(entries.map(\.resourceType)), \(entries.map(\.resourceID)),
                        \(entries.map(\.trajectoryID)), \(entries.map(\.requestID)), \(entries.map(\.outcome)))
                AS e(actor_id, roles, action, resource_type, resource_id, trajectory_id, request_id, outcome)
            """)
    }

    public func append(_ entry: AuditEntry, on connection: PostgresConnection) throws {
        try append([entry], on: connection)
    }

    public struct Filter: Sendable {
        public var trajectoryID: UUID?
        public var actorID: UUID?
        public var from: Date?
        public var to: Date?
    }

    public struct StoredEntry: Sendable {
        public var id: Int64
        public var occurredAt: Date
        public var entry: AuditEntry
    }

    /// Newest first. The log is ordered by its own id, so the cursor's key is that id.
    public func entries(_ filter: Filter, page: PageRequest, on connection: PostgresConnection) async throws -> (entries: [StoredEntry], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT id, occurred_at, actor_id, actor_roles, action, resource_type, resource_id, trajectory_id, request_id, outcome
            FROM audit_log WHERE true
            """
        if let trajectory = filter.trajectoryID { query.append(" AND trajectory_id = \(trajectory)") }
        if let actor = filter.actorID { query.append(" AND actor_id = \(actor)") }
        if let from = filter.from { query.append(" AND occurred_at >= \(from)") }
        if let to = filter.to { query.append(" AND occurred_at < \(to)") }
        if let after = page.after.flatMap({ Int64($0.key) }) { query.append(" AND id < \(after)") }
        query.append(" ORDER BY id DESC LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        // Ordered by the id alone: the cursor's id carries nothing.
        return try page.split(rows, { row in
            StoredEntry(
                id: try row.decode("id"), occurredAt: try row.decode("occurred_at"),
                entry: AuditEntry(
                    actorID: try row.decode("actor_id"), actorRoles: try row.decode("actor_roles", as: [String].self).compactMap(Role.init),
                    action: try row.decode("action"), resourceType: try row.decode("resource_type"), resourceID: try row.decode("resource_id"),
                    trajectoryID: try row.decode("trajectory_id"), requestID: try row.decode("request_id"), outcome: try row.decode("outcome")))
        }) { Cursor(key: String($0.id), id: Cursor.noID) }
    }
}
