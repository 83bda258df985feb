import Foundation
import PostgresLibPQ

/// A deadline of a trajectory as stored.
public struct DeadlineRecord: Sendable, Hashable {
    public var id: UUID
    public var trajectoryID: UUID
    public var templateID: String
    /// lowerCamelCase, as the template spells it (SQL keeps it snake_case).
    public var milestoneCode: String
    public var dueOn: CalendarDate
    public var status: DeadlineStatus
    public var metOn: CalendarDate?
    /// When it stopped being pending, and who did it (nil: the system, or an event's recorder unknown).
    public var resolvedAt: Date?
    public var resolvedBy: UUID?
    public var note: String?
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date

    var deadline: Deadline { Deadline(milestoneCode: milestoneCode, dueOn: dueOn, status: status) }
}

/// A dated event of a trajectory that milestones count from or are met by.
public struct RecordedTriggerEvent: Sendable, Hashable {
    public var trajectoryID: UUID
    public var event: TriggerEvent
    public var occurredOn: CalendarDate
    public var recordedBy: UUID?
    public var recordedAt: Date
}

/// What recording one event did.
public struct TriggerRecording: Sendable, Hashable {
    public var event: RecordedTriggerEvent
    /// The date it had before; nil when it is new.
    public var previousOccurredOn: CalendarDate?
    /// False when the same date was recorded again: nothing was written.
    public var changed: Bool
    /// The deadlines it created, moved or met, in template order.
    public var affected: [DeadlineRecord]
}

/// One of an officer's upcoming deadlines, with what the work list shows of its case.
struct UpcomingDeadline: Sendable, Hashable {
    var deadline: DeadlineRecord
    var trajectoryReference: String
    var employeeID: UUID
    var employeeGivenName: String
    var employeeFamilyName: String
}

extension TriggerEvent: PostgresCodable {
    public static var postgresType: PostgresType { .text }

    public func encode(into buffer: inout [UInt8]) -> Bool { sqlValue.encode(into: &buffer) }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> TriggerEvent {
        guard let event = TriggerEvent(sqlValue: try String.decode(from: bytes, type: type)) else { throw .invalidData }
        return event
    }
}

/// The SQL of trigger events and deadlines. Every change writes its timeline event in the
/// caller's transaction; callers hold the trajectory's row lock (`withCase(.write)` or the
/// transaction that opens the trajectory), so one case's deadlines never change twice at once.
public struct DeadlineStore: Sendable {
    let timeline = TimelineStore()
    let templates = ProcessTemplateStore()

    public init() {}

    // MARK: - Used by other features

    /// Call in the transaction that opens a trajectory on a template, after inserting its row.
    /// Records the events known at opening that the template counts from or is met by (the
    /// absence start, when there is an absence, and the opening day itself) and creates every
    /// deadline whose trigger is known, with `triggerRecorded` and `deadlineCreated` timeline
    /// events by `actor`. A deadline already past (an absence that started long ago) is
    /// created pending; the next sweep marks it missed. An unknown template answers 400 on
    /// `templateId`.
    public func createDeadlines(
        trajectoryID: UUID, templateID: String, absenceStart: CalendarDate?, openedOn: CalendarDate, actor: UUID,
        on connection: PostgresConnection
    ) async throws {
        guard let template = try await templates.template(id: templateID, on: connection)?.template else {
            throw Problem.badRequest(InputIssue(
                .referencedResourceNotFound, in: .body, name: "templateId", detail: "No process template has this id"))
        }
        var known: [(TriggerEvent, CalendarDate)] = [(.trajectoryOpened, openedOn)]
        if let absenceStart { known.insert((.absenceStart, absenceStart), at: 0) }
        var schedule = DeadlineSchedule(template: template, events: try await eventDates(of: trajectoryID, on: connection))
        for (event, date) in known where template.recognisedEvents.contains(event) {
            let recorded = try await upsert(event, occurredOn: date, trajectoryID: trajectoryID, actor: actor, on: connection)
            try timeline.append(
                .triggerRecorded, trajectory: trajectoryID, actor: actor,
                payload: TriggerTimelinePayload(event: event.rawValue, occurredOn: recorded.occurredOn), on: connection)
            schedule.record(event, on: date)
        }
        try await synchronise(schedule, trajectoryID: trajectoryID, actor: actor, today: openedOn, on: connection)
    }

    /// Records (or moves) an event of a trajectory and creates, moves or meets the deadlines
    /// that hang on it. For other features whose data is an event: a corrected absence start
    /// calls this with `.absenceStart`. Does nothing and answers nil when the trajectory has no
    /// template or its template does not use the event.
    @discardableResult
    public func recordTriggerEvent(
        _ event: TriggerEvent, occurredOn: CalendarDate, trajectoryID: UUID, actor: UUID?, today: CalendarDate,
        on connection: PostgresConnection
    ) async throws -> TriggerRecording? {
        guard let template = try await template(ofTrajectory: trajectoryID, on: connection),
            template.recognisedEvents.contains(event)
        else { return nil }
        return try await record(
            event, occurredOn: occurredOn, trajectoryID: trajectoryID, template: template, actor: actor, today: today, on: connection)
    }

    // MARK: - Trigger events

    /// The template a trajectory follows; nil when it follows none.
    func template(ofTrajectory trajectoryID: UUID, on connection: PostgresConnection) async throws -> ProcessTemplate? {
        try await connection.query("""
            SELECT p.definition FROM trajectories t JOIN process_templates p ON p.id = t.template_id
            WHERE t.id = \(trajectoryID)
            """).singleRow()?.decode(0, as: PostgresJSON<ProcessTemplate>.self).value
    }

    /// See `recordTriggerEvent`; the caller has checked that `template` uses the event.
    func record(
        _ event: TriggerEvent, occurredOn: CalendarDate, trajectoryID: UUID, template: ProcessTemplate, actor: UUID?,
        today: CalendarDate, on connection: PostgresConnection
    ) async throws -> TriggerRecording {
        let dates = try await eventDates(of: trajectoryID, on: connection)
        let previous = dates[event]
        if previous == occurredOn, let current = try await triggerEvent(event, trajectoryID: trajectoryID, on: connection) {
            return TriggerRecording(event: current, previousOccurredOn: previous, changed: false, affected: [])
        }
        let recorded = try await upsert(event, occurredOn: occurredOn, trajectoryID: trajectoryID, actor: actor, on: connection)
        try timeline.append(
            .triggerRecorded, trajectory: trajectoryID, actor: actor,
            payload: TriggerTimelinePayload(event: event.rawValue, occurredOn: occurredOn, previousOccurredOn: previous),
            on: connection)
        var schedule = DeadlineSchedule(template: template, events: dates)
        schedule.record(event, on: occurredOn)
        let affected = try await synchronise(schedule, trajectoryID: trajectoryID, actor: actor, today: today, on: connection)
        return TriggerRecording(event: recorded, previousOccurredOn: previous, changed: true, affected: affected)
    }

    func triggerEvent(_ event: TriggerEvent, trajectoryID: UUID, on connection: PostgresConnection) async throws -> RecordedTriggerEvent? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.eventColumns) FROM trajectory_trigger_events
            WHERE trajectory_id = \(trajectoryID) AND event = \(event)
            """).singleRow().map(Self.triggerEvent)
    }

    /// A page of a trajectory's events in the order they happened. The cursor's key is the
    /// last row's date and event; its id is the trajectory.
    func triggerEvents(
        trajectoryID: UUID, page: PageRequest, on connection: PostgresConnection
    ) async throws -> ([RecordedTriggerEvent], next: Cursor?) {
        var after: (CalendarDate, String) = (Self.beforeAll, "")
        if let cursor = page.after {
            let parts = cursor.key.split(separator: " ", maxSplits: 1).map(String.init)
            guard cursor.id == trajectoryID, parts.count == 2, let day = CalendarDate(parts[0]) else {
                throw Problem.badRequest(InputIssue(in: .query, name: "cursor", detail: "Use the next link of a previous page as it is"))
            }
            after = (day, parts[1])
        }
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: Self.eventColumns) FROM trajectory_trigger_events
            WHERE trajectory_id = \(trajectoryID) AND (occurred_on, event) > (\(after.0), \(after.1))
            ORDER BY occurred_on, event LIMIT \(page.limit)
            """)
        return try page.split(rows, Self.triggerEvent) { Cursor(key: "\($0.occurredOn) \($0.event.sqlValue)", id: trajectoryID) }
    }

    private func eventDates(of trajectoryID: UUID, on connection: PostgresConnection) async throws -> [TriggerEvent: CalendarDate] {
        let rows = try await connection.query("""
            SELECT event, occurred_on FROM trajectory_trigger_events WHERE trajectory_id = \(trajectoryID)
            """)
        return Dictionary(uniqueKeysWithValues: try rows.map { try $0.decode((TriggerEvent, CalendarDate).self) })
    }

    private func upsert(
        _ event: TriggerEvent, occurredOn: CalendarDate, trajectoryID: UUID, actor: UUID?, on connection: PostgresConnection
    ) async throws -> RecordedTriggerEvent {
        let rows = try await connection.query("""
            INSERT INTO trajectory_trigger_events (trajectory_id, event, occurred_on, recorded_by)
            VALUES (\(trajectoryID), \(event), \(occurredOn), \(actor))
            ON CONFLICT (trajectory_id, event) DO UPDATE SET
                occurred_on = EXCLUDED.occurred_on, recorded_by = EXCLUDED.recorded_by, recorded_at = now()
            RETURNING \(unsafeRaw: Self.eventColumns)
            """)
        return try Self.triggerEvent(rows[0])
    }

    // MARK: - Deadlines

    /// Brings the stored deadlines in line with `schedule` (see `DeadlineSchedule.changes`)
    /// and returns the ones it touched, in template order.
    @discardableResult
    private func synchronise(
        _ schedule: DeadlineSchedule, trajectoryID: UUID, actor: UUID?, today: CalendarDate, on connection: PostgresConnection
    ) async throws -> [DeadlineRecord] {
        var current = Dictionary(
            try await deadlines(of: trajectoryID, on: connection).map { ($0.milestoneCode, $0) }, uniquingKeysWith: { first, _ in first })
        var touched: [String] = []
        for change in schedule.changes(from: current.values.map(\.deadline), today: today) {
            let code = change.milestoneCode
            let milestone = schedule.template.milestone(code)
            let updated: DeadlineRecord
            switch change {
            case .create(_, let dueOn, let metOn):
                updated = try await insert(
                    code, dueOn: dueOn, metOn: metOn, templateID: schedule.template.id, trajectoryID: trajectoryID, actor: actor,
                    on: connection)
                try append(.deadlineCreated, updated, event: milestone?.trigger, actor: actor, on: connection)
                if metOn != nil { try append(.deadlineMet, updated, event: milestone?.metBy, actor: actor, on: connection) }
            case .move(_, let from, let to, let reopen):
                guard let id = current[code]?.id else { continue }
                updated = try await update(id, on: connection, """
                    due_on = \(to), status = CASE WHEN \(reopen) THEN 'pending' ELSE d.status END,
                    resolved_at = CASE WHEN \(reopen) THEN NULL ELSE d.resolved_at END,
                    resolved_by = CASE WHEN \(reopen) THEN NULL ELSE d.resolved_by END
                    """)
                try append(.deadlineMoved, updated, event: milestone?.trigger, previousDueOn: from, actor: actor, on: connection)
            case .meet(_, let metOn):
                guard let id = current[code]?.id else { continue }
                updated = try await update(id, on: connection, """
                    status = 'met', met_on = \(metOn), resolved_at = now(), resolved_by = \(actor)
                    """)
                try append(.deadlineMet, updated, event: milestone?.metBy, actor: actor, on: connection)
            case .remove:
                // Only withdrawing an event removes a deadline, and events are never withdrawn here.
                continue
            }
            current[code] = updated
            if !touched.contains(code) { touched.append(code) }
        }
        return touched.compactMap { current[$0] }
    }

    /// Every deadline of a trajectory, soonest first.
    func deadlines(of trajectoryID: UUID, on connection: PostgresConnection) async throws -> [DeadlineRecord] {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.deadlineColumns) FROM deadlines d
            WHERE d.trajectory_id = \(trajectoryID) ORDER BY d.due_on, d.id
            """).map(Self.deadline)
    }

    /// A page of a trajectory's deadlines, soonest first, optionally only some statuses.
    func deadlines(
        trajectoryID: UUID, statuses: [DeadlineStatus], page: PageRequest, on connection: PostgresConnection
    ) async throws -> ([DeadlineRecord], next: Cursor?) {
        let after = try Self.dueCursor(page)
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: Self.deadlineColumns) FROM deadlines d
            WHERE d.trajectory_id = \(trajectoryID) AND (d.due_on, d.id) > (\(after.dueOn), \(after.id))
              AND (cardinality(\(statuses)) = 0 OR d.status = ANY(\(statuses)))
            ORDER BY d.due_on, d.id LIMIT \(page.limit)
            """)
        return try page.split(rows, Self.deadline) { Cursor(key: $0.dueOn.description, id: $0.id) }
    }

    func deadline(_ id: UUID, trajectoryID: UUID, on connection: PostgresConnection) async throws -> DeadlineRecord? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.deadlineColumns) FROM deadlines d WHERE d.id = \(id) AND d.trajectory_id = \(trajectoryID)
            """).singleRow().map(Self.deadline)
    }

    /// An officer meets or waives a deadline; nil when `version` is no longer current.
    func settle(
        _ deadline: DeadlineRecord, version: Int64, as settlement: DeadlineSettlement, actor: UUID, on connection: PostgresConnection
    ) async throws -> DeadlineRecord? {
        let rows = try await connection.query("""
            UPDATE deadlines d SET status = \(settlement.status), met_on = \(settlement.metOn),
                note = COALESCE(\(settlement.note), d.note), resolved_at = now(), resolved_by = \(actor), version = d.version + 1
            WHERE d.id = \(deadline.id) AND d.version = \(version)
            RETURNING \(unsafeRaw: Self.deadlineColumns)
            """)
        guard let settled = try rows.singleRow().map(Self.deadline) else { return nil }
        try append(
            settlement.status == .met ? .deadlineMet : .deadlineWaived, settled, event: nil, actor: actor, on: connection)
        return settled
    }

    /// The pending deadlines of `officer`'s open trajectories due up to `lastDay` (those
    /// overdue first, as they sort first), only of trajectories `scope` may read. One `list`
    /// audit entry per returned deadline is written by the same statement.
    func upcoming(
        officer: UUID, lastDay: CalendarDate, scope: PostgresQuery, page: PageRequest, audit: AuditEntry,
        on connection: PostgresConnection
    ) async throws -> ([UpcomingDeadline], next: Cursor?) {
        let after = try Self.dueCursor(page)
        let rows = try await connection.query("""
            WITH page AS (
                SELECT \(unsafeRaw: Self.deadlineColumns), t.reference, e.id AS employee_id, e.given_name, e.family_name
                FROM deadlines d
                JOIN trajectories t ON t.id = d.trajectory_id
                JOIN employees e ON e.id = t.employee_id
                WHERE d.status = 'pending' AND d.due_on <= \(lastDay) AND (d.due_on, d.id) > (\(after.dueOn), \(after.id))
                  AND t.officer_id = \(officer) AND t.status <> 'closed' AND \(fragment: scope)
                ORDER BY d.due_on, d.id
                LIMIT \(page.limit)
            ), audited AS (
                INSERT INTO audit_log (actor_id, actor_roles, action, resource_type, resource_id, trajectory_id, request_id, outcome)
                SELECT \(audit.actorID), \(audit.actorRoles.map(\.rawValue)), \(audit.action), \(audit.resourceType),
                       shown.id, shown.trajectory_id, \(audit.requestID), \(audit.outcome)
                FROM (SELECT id, trajectory_id FROM page ORDER BY due_on, id LIMIT \(page.size)) shown
            )
            SELECT * FROM page ORDER BY due_on, id
            """)
        return try page.split(rows, { row in
            UpcomingDeadline(
                deadline: try Self.deadline(row), trajectoryReference: try row.decode("reference"),
                employeeID: try row.decode("employee_id"), employeeGivenName: try row.decode("given_name"),
                employeeFamilyName: try row.decode("family_name"))
        }) { Cursor(key: $0.deadline.dueOn.description, id: $0.deadline.id) }
    }

    // MARK: - Rows

    private func insert(
        _ code: String, dueOn: CalendarDate, metOn: CalendarDate?, templateID: String, trajectoryID: UUID, actor: UUID?,
        on connection: PostgresConnection
    ) async throws -> DeadlineRecord {
        let status: DeadlineStatus = metOn == nil ? .pending : .met
        let rows = try await connection.query("""
            INSERT INTO deadlines AS d (trajectory_id, template_id, milestone_code, due_on, status, met_on, resolved_at, resolved_by)
            VALUES (\(trajectoryID), \(templateID), \(code.snakeCased), \(dueOn), \(status), \(metOn),
                    CASE WHEN \(status == .met) THEN now() END, CASE WHEN \(status == .met) THEN \(actor)::uuid END)
            RETURNING \(unsafeRaw: Self.deadlineColumns)
            """)
        return try Self.deadline(rows[0])
    }

    /// `UPDATE deadlines d SET <assignments>, version + 1 WHERE id` for the schedule's changes,
    /// which run under the trajectory's lock and so need no version check.
    private func update(_ id: UUID, on connection: PostgresConnection, _ assignments: PostgresQuery) async throws -> DeadlineRecord {
        let rows = try await connection.query("""
            UPDATE deadlines d SET \(fragment: assignments), version = d.version + 1 WHERE d.id = \(id)
            RETURNING \(unsafeRaw: Self.deadlineColumns)
            """)
        return try Self.deadline(rows[0])
    }

    private func append(
        _ type: TimelineEventType, _ deadline: DeadlineRecord, event: TriggerEvent?, previousDueOn: CalendarDate? = nil,
        actor: UUID?, on connection: PostgresConnection
    ) throws {
        try timeline.append(
            type, trajectory: deadline.trajectoryID, actor: actor,
            payload: DeadlineTimelinePayload(deadline, event: event, previousDueOn: previousDueOn), on: connection)
    }

    static let deadlineColumns = """
        d.id, d.trajectory_id, d.template_id, d.milestone_code, d.due_on, d.status, d.met_on, d.resolved_at, d.resolved_by, \
        d.note, d.version, d.created_at, d.updated_at
        """
    static let eventColumns = "trajectory_id, event, occurred_on, recorded_by, recorded_at"

    static func deadline(_ row: PostgresRow) throws -> DeadlineRecord {
        let code: String = try row.decode("milestone_code")
        return DeadlineRecord(
            id: try row.decode("id"), trajectoryID: try row.decode("trajectory_id"), templateID: try row.decode("template_id"),
            milestoneCode: code.lowerCamelCased ?? code, dueOn: try row.decode("due_on"), status: try row.decode("status"),
            metOn: try row.decode("met_on"), resolvedAt: try row.decode("resolved_at"), resolvedBy: try row.decode("resolved_by"),
            note: try row.decode("note"), version: try row.decode("version"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"))
    }

    private static func triggerEvent(_ row: PostgresRow) throws -> RecordedTriggerEvent {
        let (trajectoryID, event, occurredOn, recordedBy, recordedAt) =
            try row.decode((UUID, TriggerEvent, CalendarDate, UUID?, Date).self)
        return RecordedTriggerEvent(
            trajectoryID: trajectoryID, event: event, occurredOn: occurredOn, recordedBy: recordedBy, recordedAt: recordedAt)
    }

    /// Sorts before every date a case can have, for the first page of a keyset.
    private static let beforeAll = CalendarDate(year: 1, month: 1, day: 1)!

    /// Lists of deadlines sort by due date and id; the cursor's key is the due date.
    private static func dueCursor(_ page: PageRequest) throws -> (dueOn: CalendarDate, id: UUID) {
        guard let cursor = page.after else { return (beforeAll, Cursor.noID) }
        guard let dueOn = CalendarDate(cursor.key) else {
            throw Problem.badRequest(InputIssue(in: .query, name: "cursor", detail: "Use the next link of a previous page as it is"))
        }
        return (dueOn, cursor.id)
    }
}

/// The timeline's record of an event's date; codes and dates as the API spells them.
struct TriggerTimelinePayload: Codable, Sendable {
    var event: String
    var occurredOn: CalendarDate
    var previousOccurredOn: CalendarDate?
}

/// The timeline's record of a deadline change: which deadline, its dates and status after
/// the change, and the event that caused it (none when an officer or the sweep did it).
struct DeadlineTimelinePayload: Codable, Sendable {
    var deadlineId: String
    var milestoneCode: String
    var dueOn: CalendarDate
    var previousDueOn: CalendarDate?
    var status: DeadlineStatus
    var metOn: CalendarDate?
    var event: String?

    init(_ deadline: DeadlineRecord, event: TriggerEvent? = nil, previousDueOn: CalendarDate? = nil) {
        deadlineId = deadline.id.lowercasedString
        milestoneCode = deadline.milestoneCode
        dueOn = deadline.dueOn
        self.previousDueOn = previousDueOn
        status = deadline.status
        metOn = deadline.metOn
        self.event = event?.rawValue
    }
}
