import Foundation
import PostgresLibPQ

/// A trajectory as the API shows it: the case and what is joined to it for reading.
public struct TrajectoryRecord: Sendable {
    public var trajectory: Trajectory
    public var employee: EmployeeName
    public var lastContactAt: Date?
    public var contactDueOn: CalendarDate?
    public var createdAt: Date
    public var updatedAt: Date
}

/// Who a trajectory is about, as lists and the case show it.
public struct EmployeeName: Sendable, Hashable {
    public var id: UUID
    public var personnelNumber: String
    public var givenName: String
    public var familyName: String
}

/// The trajectory's SQL.
public struct TrajectoryStore: Sendable {
    public init() {}

    static let columns = """
        t.id, t.reference, t.employee_id, t.entity_id, t.absence_id, t.officer_id, t.physician_id, t.goal, t.template_id,
        t.status, t.outcome, t.blocked_reason, t.blocked_since, t.target_return_on, t.opened_at, t.closed_at,
        t.consent_visible_to_hr, t.consent_experience_expert, t.version, t.last_contact_at, t.contact_due_on,
        t.created_at, t.updated_at, e.personnel_number, e.given_name, e.family_name
        """

    static func record(from row: PostgresRow) throws -> TrajectoryRecord {
        let blockedReason = try row.decode("blocked_reason", as: String?.self)
        let blockedSince = try row.decode("blocked_since", as: Date?.self)
        let blocked = try blockedReason.flatMap { reason in try blockedSince.map { try BlockedFlag(reason: reason, since: $0) } }
        let trajectory = Trajectory(
            id: try row.decode("id"), reference: try row.decode("reference"), employeeID: try row.decode("employee_id"),
            entityID: try row.decode("entity_id"), absenceID: try row.decode("absence_id"), officerID: try row.decode("officer_id"),
            physicianID: try row.decode("physician_id"), goal: try row.decode("goal"), templateID: try row.decode("template_id"),
            status: try row.decode("status"), outcome: try row.decode("outcome"), blocked: blocked,
            targetReturnOn: try row.decode("target_return_on"), openedAt: try row.decode("opened_at"),
            closedAt: try row.decode("closed_at"),
            consent: TrajectoryConsent(
                visibleToHRForMobility: try row.decode("consent_visible_to_hr"),
                contactByExperienceExpert: try row.decode("consent_experience_expert")),
            version: try row.decode("version"))
        return TrajectoryRecord(
            trajectory: trajectory,
            employee: EmployeeName(
                id: trajectory.employeeID, personnelNumber: try row.decode("personnel_number"),
                givenName: try row.decode("given_name"), familyName: try row.decode("family_name")),
            lastContactAt: try row.decode("last_contact_at"), contactDueOn: try row.decode("contact_due_on"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func record(id: UUID, on connection: PostgresConnection) async throws -> TrajectoryRecord? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM trajectories t JOIN employees e ON e.id = t.employee_id WHERE t.id = \(id)
            """).singleRow().map(Self.record(from:))
    }

    /// One case, when it is in `scope`: the single read of `GET /v1/trajectories/{id}`, which
    /// the caller audits.
    public func record(id: UUID, in scope: AccessPolicy.CaseScope, on connection: PostgresConnection) async throws -> TrajectoryRecord? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM trajectories t JOIN employees e ON e.id = t.employee_id
            WHERE t.id = \(id) AND \(fragment: scope.predicate())
            """).singleRow().map(Self.record(from:))
    }

    public struct Filter: Sendable {
        public var status: TrajectoryStatus?
        public var officerID: UUID?
        public var entityID: UUID?
        public var employeeID: UUID?
        public var goal: TrajectoryGoal?
        public var blocked: Bool?
        /// Opened at or after / before these instants.
        public var openedFrom: Date?
        public var openedBefore: Date?
    }

    /// Newest first; nothing outside `scope` is read.
    public func list(
        scope: AccessPolicy.CaseScope, filter: Filter, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (records: [TrajectoryRecord], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT \(unsafeRaw: Self.columns) FROM trajectories t JOIN employees e ON e.id = t.employee_id
            WHERE \(fragment: scope.predicate())
            """
        if let status = filter.status { query.append(" AND t.status = \(status)") }
        if let officer = filter.officerID { query.append(" AND t.officer_id = \(officer)") }
        if let entity = filter.entityID { query.append(" AND t.entity_id = \(entity)") }
        if let employee = filter.employeeID { query.append(" AND t.employee_id = \(employee)") }
        if let goal = filter.goal { query.append(" AND t.goal = \(goal)") }
        if let blocked = filter.blocked { query.append(" AND (t.blocked_reason IS NOT NULL) = \(blocked)") }
        if let from = filter.openedFrom { query.append(" AND t.opened_at >= \(from)") }
        if let before = filter.openedBefore { query.append(" AND t.opened_at < \(before)") }
        if let after = page.after, let openedAt = after.instant {
            query.append(" AND (t.opened_at, t.id) < (\(openedAt), \(after.id))")
        }
        query.append(" ORDER BY t.opened_at DESC, t.id DESC LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.record(from:)) { Cursor(instant: $0.trajectory.openedAt, id: $0.trajectory.id) }
    }

    // MARK: - Opening

    /// What opening needs to know about the employee.
    public func employeeEntity(_ employeeID: UUID, on connection: PostgresConnection) async throws -> (entityID: UUID, active: Bool)? {
        try await connection.query("SELECT entity_id, active FROM employees WHERE id = \(employeeID)")
            .singleRow()?.decode((UUID, Bool).self)
    }

    /// The start of the employee's absence `absenceID`; nil when it is not theirs.
    public func absenceStart(_ absenceID: UUID, of employeeID: UUID, on connection: PostgresConnection) async throws -> CalendarDate? {
        try await connection.query("SELECT starts_on FROM absences WHERE id = \(absenceID) AND employee_id = \(employeeID)")
            .singleRow()?.decode(0, as: CalendarDate.self)
    }

    /// An active user with `role` who works for `entityID` or an entity above it.
    public func userCanServe(_ userID: UUID, as role: Role, entity entityID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            WITH RECURSIVE scope(id) AS (
                SELECT entity_id FROM user_entities WHERE user_id = \(userID)
                UNION
                SELECT e.id FROM entities e JOIN scope ON e.parent_id = scope.id
            )
            SELECT EXISTS (SELECT 1 FROM users WHERE id = \(userID) AND active AND \(role.rawValue) = ANY(roles))
               AND EXISTS (SELECT 1 FROM scope WHERE id = \(entityID))
            """)[0].decode(0, as: Bool.self)
    }

    public func activeUser(_ userID: UUID, hasRole role: Role, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM users WHERE id = \(userID) AND active AND \(role.rawValue) = ANY(roles))")[0]
            .decode(0, as: Bool.self)
    }

    public func templateExists(_ templateID: String, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM process_templates WHERE id = \(templateID))")[0].decode(0, as: Bool.self)
    }

    /// The next `VK-YYYY-NNNNNN`: the year's counter row stays locked until commit, so two
    /// opens never get the same number and a rolled-back open leaves no gap behind.
    public func nextReference(year: Int, on connection: PostgresConnection) async throws -> TrajectoryReference {
        let sequence = try await connection.query("""
            INSERT INTO trajectory_reference_counters AS c (year, last_sequence) VALUES (\(year), 1)
            ON CONFLICT (year) DO UPDATE SET last_sequence = c.last_sequence + 1
            RETURNING last_sequence
            """)[0].decode(0, as: Int.self)
        guard let reference = TrajectoryReference(year: year, sequence: sequence) else {
            throw Problem.conflict("All trajectory references of \(year) are taken")
        }
        return reference
    }

    public func insert(_ trajectory: Trajectory, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO trajectories (id, reference, employee_id, entity_id, absence_id, officer_id, physician_id, goal,
                template_id, status, target_return_on, opened_at, consent_visible_to_hr, consent_experience_expert)
            VALUES (\(trajectory.id), \(trajectory.reference), \(trajectory.employeeID), \(trajectory.entityID),
                \(trajectory.absenceID), \(trajectory.officerID), \(trajectory.physicianID), \(trajectory.goal),
                \(trajectory.templateID), \(trajectory.status), \(trajectory.targetReturnOn), \(trajectory.openedAt),
                \(trajectory.consent.visibleToHRForMobility), \(trajectory.consent.contactByExperienceExpert))
            """)
    }

    /// Writes every field a trajectory's operations may change, if the version is still
    /// `expectedVersion`, and answers it as it now reads; nil when someone else wrote first.
    public func save(_ trajectory: Trajectory, expectedVersion: Int64, on connection: PostgresConnection) async throws -> TrajectoryRecord? {
        try await connection.query("""
            WITH t AS (
                UPDATE trajectories SET
                    officer_id = \(trajectory.officerID), physician_id = \(trajectory.physicianID), goal = \(trajectory.goal),
                    status = \(trajectory.status), outcome = \(trajectory.outcome), closed_at = \(trajectory.closedAt),
                    blocked_reason = \(trajectory.blocked?.reason), blocked_since = \(trajectory.blocked?.since),
                    target_return_on = \(trajectory.targetReturnOn),
                    consent_visible_to_hr = \(trajectory.consent.visibleToHRForMobility),
                    consent_experience_expert = \(trajectory.consent.contactByExperienceExpert),
                    version = version + 1
                WHERE id = \(trajectory.id) AND version = \(expectedVersion)
                RETURNING *
            )
            SELECT \(unsafeRaw: Self.columns) FROM t JOIN employees e ON e.id = t.employee_id
            """).singleRow().map(Self.record(from:))
    }

    // MARK: - Timeline

    public struct TimelineEvent: Sendable {
        public var id: Int64
        public var type: String
        public var actorID: UUID?
        public var occurredAt: Date
        public var payload: String
    }

    /// Oldest first; the cursor's key is the last event id.
    public func timeline(trajectoryID: UUID, page: PageRequest, on connection: PostgresConnection) async throws -> (events: [TimelineEvent], next: Cursor?) {
        let afterID = page.after.flatMap { $0.id == trajectoryID ? Int64($0.key) : nil } ?? 0
        let rows = try await connection.query("""
            SELECT id, type, actor_id, occurred_at, payload FROM trajectory_events
            WHERE trajectory_id = \(trajectoryID) AND id > \(afterID)
            ORDER BY id LIMIT \(page.limit)
            """)
        return try page.split(rows, { row in
            TimelineEvent(
                id: try row.decode("id"), type: try row.decode("type"), actorID: try row.decode("actor_id"),
                occurredAt: try row.decode("occurred_at"), payload: try row.decode("payload"))
        }) { Cursor(key: String($0.id), id: trajectoryID) }
    }

    // MARK: - Actions

    static let actionColumns = "id, trajectory_id, title, kind, owner_kind, owner_user_id, due_on, done_at, note, version, created_at, updated_at"

    static func action(from row: PostgresRow) throws -> TrajectoryAction {
        TrajectoryAction(
            id: try row.decode("id"), trajectoryID: try row.decode("trajectory_id"), title: try row.decode("title"),
            kind: try row.decode("kind"), owner: try row.decode("owner_kind"), ownerUserID: try row.decode("owner_user_id"),
            dueOn: try row.decode("due_on"), doneAt: try row.decode("done_at"), note: try row.decode("note"),
            version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func actions(trajectoryID: UUID, page: PageRequest, on connection: PostgresConnection) async throws -> (actions: [TrajectoryAction], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.actionColumns) FROM trajectory_actions WHERE trajectory_id = \(trajectoryID)"
        if let after = page.after, let createdAt = after.instant {
            query.append(" AND (created_at, id) > (\(createdAt), \(after.id))")
        }
        query.append(" ORDER BY created_at, id LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.action(from:)) { Cursor(instant: $0.createdAt, id: $0.id) }
    }

    /// The action when its trajectory is within `scope`: the scope check is part of the read.
    public func action(
        id: UUID, trajectoryID: UUID, in scope: AccessPolicy.CaseScope, on connection: PostgresConnection
    ) async throws -> TrajectoryAction? {
        let columns = Self.actionColumns.split(separator: ", ").map { "a." + $0 }.joined(separator: ", ")
        return try await connection.query("""
            SELECT \(unsafeRaw: columns) FROM trajectory_actions a JOIN trajectories t ON t.id = a.trajectory_id
            WHERE a.id = \(id) AND a.trajectory_id = \(trajectoryID) AND \(fragment: scope.predicate())
            """).singleRow().map(Self.action(from:))
    }

    public func action(id: UUID, trajectoryID: UUID, on connection: PostgresConnection) async throws -> TrajectoryAction? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.actionColumns) FROM trajectory_actions WHERE id = \(id) AND trajectory_id = \(trajectoryID)
            """).singleRow().map(Self.action(from:))
    }

    public func insertAction(
        trajectoryID: UUID, title: String, kind: TrajectoryAction.Kind, owner: TrajectoryAction.Owner, ownerUserID: UUID?,
        dueOn: CalendarDate?, note: String?, on connection: PostgresConnection
    ) async throws -> TrajectoryAction {
        try Self.action(from: try await connection.query("""
            INSERT INTO trajectory_actions (trajectory_id, title, kind, owner_kind, owner_user_id, due_on, note)
            VALUES (\(trajectoryID), \(title), \(kind), \(owner), \(ownerUserID), \(dueOn), \(note))
            RETURNING \(unsafeRaw: Self.actionColumns)
            """)[0])
    }

    public func saveAction(_ action: TrajectoryAction, on connection: PostgresConnection) async throws -> TrajectoryAction? {
        try await connection.query("""
            UPDATE trajectory_actions SET title = \(action.title), due_on = \(action.dueOn), done_at = \(action.doneAt),
                note = \(action.note), version = version + 1
            WHERE id = \(action.id) AND version = \(action.version)
            RETURNING \(unsafeRaw: Self.actionColumns)
            """).singleRow().map(Self.action(from:))
    }
}
