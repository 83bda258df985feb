import Foundation
import PostgresLibPQ

extension AbsenceKind: PostgresStoredCode {}

/// The SQL of staff: employees, their absences and the work capacity history. Every function
/// takes the connection (or transaction) it runs on.
public struct StaffStore: Sendable {
    public init() {}

    // MARK: - Employees

    static let employeeColumns = """
        e.id, e.personnel_number, e.given_name, e.family_name, e.work_email::text AS work_email, e.entity_id,
        e.job_title, e.grade, e.weekly_hours, e.manager_id, e.active, e.version, e.created_at, e.updated_at
        """

    static func employee(from row: PostgresRow) throws -> Employee {
        Employee(
            id: try row.decode("id"), personnelNumber: try row.decode("personnel_number"), givenName: try row.decode("given_name"),
            familyName: try row.decode("family_name"), workEmail: try row.decode("work_email"), entityID: try row.decode("entity_id"),
            jobTitle: try row.decode("job_title"), grade: try row.decode("grade"), weeklyHours: try row.decode("weekly_hours"),
            managerID: try row.decode("manager_id"), active: try row.decode("active"), version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    /// `lock`: keep the row locked until the transaction ends (before an update).
    public func employee(id: UUID, lock: Bool = false, on connection: PostgresConnection) async throws -> Employee? {
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: Self.employeeColumns) FROM employees e WHERE e.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """)
        return try rows.singleRow().map(Self.employee(from:))
    }

    public struct EmployeeFilter: Sendable {
        /// Entities the caller may see (`AccessPolicy.employeeScope`); nothing outside is read.
        public var scope: [UUID]
        public var entityIDs: [UUID] = []
        public var managerID: UUID?
        public var active: Bool?
        /// Prefix of the family name (any case) or of the personnel number.
        public var prefix: String?

        public init(scope: [UUID], entityIDs: [UUID] = [], managerID: UUID? = nil, active: Bool? = nil, prefix: String? = nil) {
            self.scope = scope
            self.entityIDs = entityIDs
            self.managerID = managerID
            self.active = active
            self.prefix = prefix
        }
    }

    /// Employees by family name, given name and id, one page at a time. The cursor's key is
    /// the JSON array `[familyName, givenName]` of the last row.
    public func employees(_ filter: EmployeeFilter, page: PageRequest, on connection: PostgresConnection) async throws -> (employees: [Employee], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.employeeColumns) FROM employees e WHERE e.entity_id = ANY(\(filter.scope))"
        if !filter.entityIDs.isEmpty { query.append(" AND e.entity_id = ANY(\(filter.entityIDs))") }
        if let manager = filter.managerID { query.append(" AND e.manager_id = \(manager)") }
        if let active = filter.active { query.append(" AND e.active = \(active)") }
        if let prefix = filter.prefix {
            let pattern = Self.likeEscaped(prefix.lowercased()) + "%"
            query.append(" AND (lower(e.family_name) LIKE \(pattern) OR lower(e.personnel_number) LIKE \(pattern))")
        }
        if let after = page.after {
            guard let key = Self.nameKey(after.key) else { throw Self.badCursor }
            query.append(" AND (e.family_name, e.given_name, e.id) > (\(key.family), \(key.given), \(after.id))")
        }
        query.append(" ORDER BY e.family_name, e.given_name, e.id LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.employee(from:)) { Cursor(key: Self.nameKey(family: $0.familyName, given: $0.givenName), id: $0.id) }
    }

    static func nameKey(family: String, given: String) -> String {
        String(decoding: (try? JSONEncoder().encode([family, given])) ?? Data(), as: UTF8.self)
    }

    static func nameKey(_ key: String) -> (family: String, given: String)? {
        guard let names = try? JSONDecoder().decode([String].self, from: Data(key.utf8)), names.count == 2 else { return nil }
        return (names[0], names[1])
    }

    /// `%`, `_` and `\` match themselves in a LIKE pattern (whose escape character is `\`).
    static func likeEscaped(_ text: String) -> String {
        text.reduce(into: "") { escaped, character in
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
    }

    public func createEmployee(_ draft: EmployeeDraft, managerID: UUID?, on connection: PostgresConnection) async throws -> Employee {
        try await Self.translatingConflicts {
            try Self.employee(from: try await connection.query("""
                INSERT INTO employees AS e (personnel_number, given_name, family_name, work_email, entity_id, job_title, grade,
                                            weekly_hours, manager_id, active)
                VALUES (\(draft.personnelNumber), \(draft.givenName), \(draft.familyName), \(draft.workEmail), \(draft.entityID),
                        \(draft.jobTitle), \(draft.grade), \(draft.weeklyHours), \(managerID), \(draft.active))
                RETURNING \(unsafeRaw: Self.employeeColumns)
                """)[0])
        }
    }

    /// A change of an employee: nil leaves a field as it is; for the optional fields,
    /// `.some(nil)` removes the value.
    public struct EmployeeChanges: Sendable {
        public var personnelNumber: String?
        public var givenName: String?
        public var familyName: String?
        public var workEmail: String??
        public var entityID: UUID?
        public var jobTitle: String??
        public var grade: String??
        public var weeklyHours: Double?
        public var managerID: UUID??
        public var active: Bool?

        public init() {}
    }

    /// Applies the changes if the row is still at `version`; nil when it is not.
    public func updateEmployee(id: UUID, version: Int64, _ changes: EmployeeChanges, on connection: PostgresConnection) async throws -> Employee? {
        try await Self.translatingConflicts {
            let rows = try await connection.query("""
                UPDATE employees AS e SET
                    personnel_number = coalesce(\(changes.personnelNumber), personnel_number),
                    given_name = coalesce(\(changes.givenName), given_name),
                    family_name = coalesce(\(changes.familyName), family_name),
                    work_email = CASE WHEN \(changes.workEmail != nil) THEN \(changes.workEmail ?? nil)::citext ELSE work_email END,
                    entity_id = coalesce(\(changes.entityID), entity_id),
                    job_title = CASE WHEN \(changes.jobTitle != nil) THEN \(changes.jobTitle ?? nil) ELSE job_title END,
                    grade = CASE WHEN \(changes.grade != nil) THEN \(changes.grade ?? nil) ELSE grade END,
                    weekly_hours = coalesce(\(changes.weeklyHours), weekly_hours),
                    manager_id = CASE WHEN \(changes.managerID != nil) THEN \(changes.managerID ?? nil) ELSE manager_id END,
                    active = coalesce(\(changes.active), active),
                    version = version + 1
                WHERE e.id = \(id) AND e.version = \(version)
                RETURNING \(unsafeRaw: Self.employeeColumns)
                """)
            return try rows.singleRow().map(Self.employee(from:))
        }
    }

    /// Serialises changes of managers for the rest of the transaction, so that two
    /// concurrent changes cannot close a cycle that each alone would not.
    public func lockManagerChanges(on connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended('veerkracht.employees.manager', 0))")
    }

    /// Whether making `newManager` the manager of `employee` would make the employee report
    /// to themselves (UNION stops at a cycle, should one ever exist).
    public func wouldCycle(employee: UUID, newManager: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            WITH RECURSIVE above(id, manager_id) AS (
                SELECT id, manager_id FROM employees WHERE id = \(newManager)
                UNION
                SELECT e.id, e.manager_id FROM employees e JOIN above ON e.id = above.manager_id
            )
            SELECT EXISTS (SELECT 1 FROM above WHERE id = \(employee))
            """)[0].decode(0, as: Bool.self)
    }

    // MARK: - Import

    /// What exists of a batch's personnel numbers, e-mail addresses and managers; `scope`
    /// decides which managers the caller may name.
    public func existing(for rows: [EmployeeImport.Row], scope: Set<UUID>, on connection: PostgresConnection) async throws -> EmployeeImport.Existing {
        let numbers = Array(Set(rows.compactMap(\.personnelNumber)))
        let emails = Array(Set(rows.compactMap { $0.workEmail?.lowercased() }))
        let managerNumbers = Array(Set(rows.compactMap(\.managerPersonnelNumber)))
        var existing = EmployeeImport.Existing()
        existing.personnelNumbers = Set(try await connection.query("""
            SELECT personnel_number FROM employees WHERE personnel_number = ANY(\(numbers))
            """).map { try $0.decode(0, as: String.self) })
        existing.workEmails = Set(try await connection.query("""
            SELECT lower(work_email::text) FROM employees WHERE work_email = ANY(\(emails)::citext[])
            """).map { try $0.decode(0, as: String.self) })
        for row in try await connection.query("""
            SELECT id, personnel_number, entity_id FROM employees WHERE personnel_number = ANY(\(managerNumbers))
            """)
        {
            let (id, number, entityID) = try row.decode((UUID, String, UUID).self)
            existing.managers[number] = (id, scope.contains(entityID))
        }
        return existing
    }

    /// Inserts the planned employees in one statement; a manager may be another row of it,
    /// since the foreign key is checked at the end of the statement.
    public func insert(_ planned: [EmployeeImport.Planned], on connection: PostgresConnection) async throws -> Int {
        try await Self.translatingConflicts {
            try await connection.query("""
                INSERT INTO employees (id, personnel_number, given_name, family_name, work_email, entity_id, job_title, grade,
                                       weekly_hours, manager_id, active)
                SELECT * FROM unnest(
                    \(planned.map(\.id)), \(planned.map(\.draft.personnelNumber)), \(planned.map(\.draft.givenName)),
                    \(planned.map(\.draft.familyName)), \(planned.map(\.draft.workEmail))::citext[], \(planned.map(\.draft.entityID)),
                    \(planned.map(\.draft.jobTitle)), \(planned.map(\.draft.grade)), \(planned.map(\.draft.weeklyHours)),
                    \(planned.map(\.managerID)), \(planned.map(\.draft.active)))
                """).affectedRows
        }
    }

    // MARK: - Absences

    /// The work capacity of absence `a` on `today`: the newest entry of its history effective
    /// on or before that day; before the first entry (an absence yet to begin), the first's.
    static func workCapacity(on today: CalendarDate) -> PostgresQuery {
        """
        coalesce(
            (SELECT w.percent FROM absence_work_capacity w WHERE w.absence_id = a.id AND w.effective_from <= \(today)
             ORDER BY w.effective_from DESC LIMIT 1),
            (SELECT w.percent FROM absence_work_capacity w WHERE w.absence_id = a.id ORDER BY w.effective_from LIMIT 1),
            a.work_capacity_percent)
        """
    }

    /// The columns of an absence (`a`) with its employee's entity, the trajectory that refers
    /// to it (the open one, else the latest opened) and its work capacity on `today` (a
    /// change dated ahead takes effect on its day without anyone writing the row).
    static func absenceColumns(today: CalendarDate) -> PostgresQuery {
        """
        a.id, a.employee_id, e.entity_id, a.kind, a.starts_on, a.expected_end_on, a.ended_on, a.version, a.created_at, a.updated_at,
        \(fragment: workCapacity(on: today)) AS work_capacity_percent,
        (SELECT t.id FROM trajectories t WHERE t.absence_id = a.id
         ORDER BY t.status = 'closed', t.opened_at DESC, t.id DESC LIMIT 1) AS trajectory_id
        """
    }

    static func absence(from row: PostgresRow) throws -> Absence {
        Absence(
            id: try row.decode("id"), employeeID: try row.decode("employee_id"), entityID: try row.decode("entity_id"),
            kind: try row.decode("kind"),
            period: AbsencePeriod(
                startsOn: try row.decode("starts_on"), expectedEndOn: try row.decode("expected_end_on"), endedOn: try row.decode("ended_on")),
            workCapacityPercent: Int(try row.decode("work_capacity_percent", as: Int16.self)),
            trajectoryID: try row.decode("trajectory_id"), version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    /// `lock`: keep the absence locked until the transaction ends (before a change).
    public func absence(id: UUID, today: CalendarDate, lock: Bool = false, on connection: PostgresConnection) async throws -> Absence? {
        let rows = try await connection.query("""
            SELECT \(fragment: Self.absenceColumns(today: today))
            FROM absences a JOIN employees e ON e.id = a.employee_id
            WHERE a.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE OF a" : "")
            """)
        return try rows.singleRow().map(Self.absence(from:))
    }

    /// An employee's absences that the caller may see (`entityScope`: the officer's case
    /// scope), newest start first. The cursor's key is the last row's start day.
    public func absences(
        employeeID: UUID, entityScope: [UUID], today: CalendarDate, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (absences: [Absence], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT \(fragment: Self.absenceColumns(today: today))
            FROM absences a JOIN employees e ON e.id = a.employee_id
            WHERE a.employee_id = \(employeeID) AND e.entity_id = ANY(\(entityScope))
            """
        if let after = page.after {
            guard let startsOn = CalendarDate(after.key) else { throw Self.badCursor }
            query.append(" AND (a.starts_on, a.id) < (\(startsOn), \(after.id))")
        }
        query.append(" ORDER BY a.starts_on DESC, a.id DESC LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.absence(from:)) { Cursor(key: $0.period.startsOn.description, id: $0.id) }
    }

    /// Records the absence and the first entry of its work capacity history, from its start.
    public func createAbsence(
        employeeID: UUID, kind: AbsenceKind, period: AbsencePeriod, workCapacityPercent: Int, recordedBy: UUID,
        today: CalendarDate, on connection: PostgresConnection
    ) async throws -> Absence {
        let id = try await Self.translatingConflicts {
            try await connection.query("""
                INSERT INTO absences (employee_id, kind, starts_on, expected_end_on, ended_on, work_capacity_percent)
                VALUES (\(employeeID), \(kind), \(period.startsOn), \(period.expectedEndOn), \(period.endedOn), \(Int16(workCapacityPercent)))
                RETURNING id
                """)[0].decode(0, as: UUID.self)
        }
        try await connection.query("""
            INSERT INTO absence_work_capacity (absence_id, effective_from, percent, recorded_by)
            VALUES (\(id), \(period.startsOn), \(Int16(workCapacityPercent)), \(recordedBy))
            """)
        guard let absence = try await absence(id: id, today: today, on: connection) else { throw Problem(.internalServerError) }
        return absence
    }

    /// Changes kind and dates if the absence is still at `version` (nil when it is not),
    /// moving the first work capacity entry as `rescheduling` says.
    public func updateAbsence(
        id: UUID, version: Int64, kind: AbsenceKind, period: AbsencePeriod, rescheduling: WorkCapacity.Rescheduling,
        today: CalendarDate, on connection: PostgresConnection
    ) async throws -> Absence? {
        let updated = try await Self.translatingConflicts {
            try await connection.query("""
                UPDATE absences SET kind = \(kind), starts_on = \(period.startsOn), expected_end_on = \(period.expectedEndOn),
                    ended_on = \(period.endedOn), version = version + 1
                WHERE id = \(id) AND version = \(version)
                """).affectedRows
        }
        guard updated == 1 else { return nil }
        if case .moveFirst(let from, let to) = rescheduling {
            try await connection.query("""
                UPDATE absence_work_capacity SET effective_from = \(to) WHERE absence_id = \(id) AND effective_from = \(from)
                """)
        }
        try await refreshWorkCapacity(of: id, today: today, on: connection)
        return try await absence(id: id, today: today, on: connection)
    }

    // MARK: - Work capacity history

    static let workCapacityColumns = "absence_id, effective_from, percent, recorded_by, recorded_at"

    static func workCapacityChange(from row: PostgresRow) throws -> WorkCapacityChange {
        WorkCapacityChange(
            absenceID: try row.decode("absence_id"), effectiveFrom: try row.decode("effective_from"),
            percent: Int(try row.decode("percent", as: Int16.self)), recordedBy: try row.decode("recorded_by"),
            recordedAt: try row.decode("recorded_at"))
    }

    /// Oldest first; the cursor's key is the last entry's day.
    public func workCapacityChanges(absenceID: UUID, page: PageRequest, on connection: PostgresConnection) async throws -> (changes: [WorkCapacityChange], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.workCapacityColumns) FROM absence_work_capacity WHERE absence_id = \(absenceID)"
        if let after = page.after {
            guard let day = CalendarDate(after.key) else { throw Self.badCursor }
            query.append(" AND effective_from > \(day)")
        }
        query.append(" ORDER BY effective_from LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.workCapacityChange(from:)) { Cursor(key: $0.effectiveFrom.description, id: absenceID) }
    }

    public func workCapacityDates(absenceID: UUID, on connection: PostgresConnection) async throws -> [CalendarDate] {
        try await connection.query("""
            SELECT effective_from FROM absence_work_capacity WHERE absence_id = \(absenceID) ORDER BY effective_from
            """).map { try $0.decode(0, as: CalendarDate.self) }
    }

    public func workCapacityChange(absenceID: UUID, effectiveFrom: CalendarDate, on connection: PostgresConnection) async throws -> WorkCapacityChange? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.workCapacityColumns) FROM absence_work_capacity
            WHERE absence_id = \(absenceID) AND effective_from = \(effectiveFrom)
            """).singleRow().map(Self.workCapacityChange(from:))
    }

    /// Adds an entry and brings the absence's current figure and version up to date; nil
    /// when an entry for that day exists already.
    public func addWorkCapacityChange(
        absenceID: UUID, effectiveFrom: CalendarDate, percent: Int, recordedBy: UUID, today: CalendarDate,
        on connection: PostgresConnection
    ) async throws -> WorkCapacityChange? {
        let rows = try await connection.query("""
            INSERT INTO absence_work_capacity (absence_id, effective_from, percent, recorded_by)
            VALUES (\(absenceID), \(effectiveFrom), \(Int16(percent)), \(recordedBy))
            ON CONFLICT (absence_id, effective_from) DO NOTHING
            RETURNING \(unsafeRaw: Self.workCapacityColumns)
            """)
        guard let row = try rows.singleRow() else { return nil }
        try await connection.query("UPDATE absences SET version = version + 1 WHERE id = \(absenceID)")
        try await refreshWorkCapacity(of: absenceID, today: today, on: connection)
        return try Self.workCapacityChange(from: row)
    }

    /// Stores the figure of `today` in `absences.work_capacity_percent`, for readers of the
    /// table; the API computes the figure of the day it is asked.
    func refreshWorkCapacity(of absenceID: UUID, today: CalendarDate, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE absences a SET work_capacity_percent = \(fragment: Self.workCapacity(on: today)) WHERE a.id = \(absenceID)
            """)
    }

    // MARK: - Errors

    /// A cursor of another collection: its key is not this collection's sort key.
    static let badCursor = Problem.badRequest(InputIssue(in: .query, name: "cursor", detail: "Use the next link of a previous page as it is"))

    /// Turns the violations of staff's unique and exclusion constraints into 409 answers
    /// that say what clashed; anything else passes unchanged.
    static func translatingConflicts<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as PostgresError where error.sqlState == .uniqueViolation || error.sqlState == .exclusionViolation {
            switch error.constraint {
            case "employees_personnel_number_key": throw Problem.conflict("Another employee has this personnel number")
            case "employees_work_email_key": throw Problem.conflict("Another employee has this work e-mail address")
            case "absences_no_overlap":
                throw Problem.conflict("The employee has another absence on one of these days (an absence without endedOn runs on indefinitely)")
            default: throw error
            }
        }
    }
}
