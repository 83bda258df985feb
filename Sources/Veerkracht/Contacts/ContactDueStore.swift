import Foundation
import PostgresLibPQ

/// Keeps the work-list columns of `trajectories` (`last_contact_at`, `contact_due_on`,
/// `contact_due_reason`) current, and reads the officer's work list from them.
public struct ContactDueStore: Sendable {
    public init() {}

    /// What the contact-due rule needs about one trajectory, in one statement; nil when the
    /// trajectory does not exist.
    public func situation(trajectoryID: UUID, on connection: PostgresConnection) async throws -> ContactSituation? {
        try await connection.run(situation(trajectoryID: trajectoryID))
    }

    /// What the schedule of trajectory `id` depends on, as one statement.
    public func situation(trajectoryID: UUID) -> PostgresStatement<ContactSituation?> {
        PostgresStatement("""
            SELECT t.status, t.opened_at, a.starts_on, a.ended_on, pt.definition -> 'contactPolicy' AS policy,
                   p.channel, p.contact_person, p.not_before, p.every_days,
                   latest.occurred_at AS last_contact_at, latest.next_contact_on
            FROM trajectories t
            LEFT JOIN absences a ON a.id = t.absence_id
            LEFT JOIN process_templates pt ON pt.id = t.template_id
            LEFT JOIN contact_preferences p ON p.trajectory_id = t.id
            LEFT JOIN LATERAL (
                SELECT c.occurred_at, c.next_contact_on FROM contact_moments c
                WHERE c.trajectory_id = t.id ORDER BY c.occurred_at DESC, c.id DESC LIMIT 1
            ) latest ON true
            WHERE t.id = \(trajectoryID)
            """) { rows in
            guard let row = try rows.singleRow() else { return nil }
            return ContactSituation(
                isOpen: try row.decode("status", as: TrajectoryStatus.self).isOpen,
                absenceStart: try row.decode("starts_on"), absenceEnd: try row.decode("ended_on"),
                openedOn: CalendarDate.today(at: try row.decode("opened_at")),
                policy: try row.decode("policy", as: PostgresJSON<ContactPolicy>?.self)?.value,
                preferences: ContactPreferences(
                    channel: try row.decode("channel"), contactPerson: try row.decode("contact_person"),
                    notBefore: try row.decode("not_before"), preferredEveryDays: try row.decode("every_days")),
                lastContactAt: try row.decode("last_contact_at"), agreedNextContactOn: try row.decode("next_contact_on"))
        }
    }

    /// Recomputes the trajectory's last contact and next contact due date (with
    /// `ContactSchedule`) and stores them; a closed trajectory has none due. Call it in the
    /// transaction of every change the rule reads: a contact moment, the preferences, the
    /// trajectory's status or template, its absence's start or end. `now` is the service's
    /// clock: it decides whether the absence is already over.
    public func refresh(trajectoryID: UUID, at now: Date, on connection: PostgresConnection) async throws {
        try refresh(trajectoryID: trajectoryID, situation: try await situation(trajectoryID: trajectoryID, on: connection), at: now, on: connection)
    }

    /// `refresh` from a situation just read in this transaction.
    public func refresh(trajectoryID: UUID, situation: ContactSituation?, at now: Date, on connection: PostgresConnection) throws {
        guard let situation else { return }
        let due = ContactSchedule.nextDue(situation, today: CalendarDate.today(at: now))
        // Unchanged columns are not rewritten, so a refresh costs no row version. Queued: nothing
        // in the transaction waits for it.
        try connection.queue("""
            UPDATE trajectories SET
                last_contact_at = \(situation.lastContactAt), contact_due_on = \(due?.dueOn), contact_due_reason = \(due?.reason)
            WHERE id = \(trajectoryID)
              AND (last_contact_at, contact_due_on, contact_due_reason)
                  IS DISTINCT FROM (\(situation.lastContactAt), \(due?.dueOn), \(due?.reason))
            """)
    }

    /// `refresh` for every open trajectory of an absence, for when its start or end changes.
    public func refresh(absenceID: UUID, at now: Date, on connection: PostgresConnection) async throws {
        let trajectories = try await connection.query("""
            SELECT id FROM trajectories WHERE absence_id = \(absenceID) AND status <> 'closed' ORDER BY id
            """)
        for row in trajectories { try await refresh(trajectoryID: try row.decode(0, as: UUID.self), at: now, on: connection) }
    }

    // MARK: - The officer's work list

    /// One row of the work list.
    public struct DueTrajectory: Sendable, Hashable {
        public var trajectoryID: UUID
        public var reference: String
        public var employeeID: UUID
        public var employeeGivenName: String
        public var employeeFamilyName: String
        public var dueOn: CalendarDate
        public var reason: ContactDue.Reason
        public var preferredChannel: ContactChannel?
        public var preferredContactPerson: ContactPerson?
        public var lastContactAt: Date?
    }

    /// The open trajectories of `officerID` within `scope` whose next contact is due by
    /// `until`, most overdue first, skipping those whose absence ended before `today`. One
    /// statement, a range scan of `trajectories_contact_due_idx`; the caller audits the rows.
    public func dueTrajectories(
        officerID: UUID, scope: AccessPolicy.CaseScope, today: CalendarDate, until: CalendarDate, page: PageRequest,
        on connection: PostgresConnection
    ) async throws -> (items: [DueTrajectory], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT t.id, t.reference, t.employee_id, e.given_name, e.family_name, t.contact_due_on,
                   t.contact_due_reason, t.last_contact_at, p.channel, p.contact_person
            FROM trajectories t
            JOIN employees e ON e.id = t.employee_id
            LEFT JOIN contact_preferences p ON p.trajectory_id = t.id
            LEFT JOIN absences a ON a.id = t.absence_id
            WHERE t.officer_id = \(officerID) AND t.status <> 'closed' AND t.contact_due_on IS NOT NULL
              AND t.contact_due_on <= \(until)
              AND (a.ended_on IS NULL OR a.ended_on >= \(today))
              AND \(fragment: scope.predicate("t"))
            """
        if let after = page.after, let afterDue = CalendarDate(after.key) {
            query.append(" AND (t.contact_due_on, t.id) > (\(afterDue), \(after.id))")
        }
        query.append(" ORDER BY t.contact_due_on, t.id LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, { row in
            DueTrajectory(
                trajectoryID: try row.decode("id"), reference: try row.decode("reference"), employeeID: try row.decode("employee_id"),
                employeeGivenName: try row.decode("given_name"), employeeFamilyName: try row.decode("family_name"),
                dueOn: try row.decode("contact_due_on"), reason: try row.decode("contact_due_reason"),
                preferredChannel: try row.decode("channel"), preferredContactPerson: try row.decode("contact_person"),
                lastContactAt: try row.decode("last_contact_at"))
        }) { Cursor(key: $0.dueOn.description, id: $0.trajectoryID) }
    }
}
