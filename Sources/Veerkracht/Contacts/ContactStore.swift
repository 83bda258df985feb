import Foundation
import PostgresLibPQ

/// The SQL of contact moments and contact preferences. Callers run it inside `withCase`, so
/// the trajectory is in scope (and, for writes, locked) before any of it runs.
public struct ContactStore: Sendable {
    public init() {}

    // MARK: - Contact moments

    static let momentColumns = """
        id, trajectory_id, occurred_at, channel, initiative, made_by, summary, wellbeing, next_contact_on,
        recorded_by, created_at, updated_at, version
        """

    static func moment(from row: PostgresRow) throws -> ContactMoment {
        ContactMoment(
            id: try row.decode("id"), trajectoryID: try row.decode("trajectory_id"), occurredAt: try row.decode("occurred_at"),
            channel: try row.decode("channel"), initiative: try row.decode("initiative"), madeBy: try row.decode("made_by"),
            summary: try row.decode("summary"), wellbeing: try row.decode("wellbeing", as: Int?.self).flatMap(WellbeingScore.init),
            nextContactOn: try row.decode("next_contact_on"), recordedBy: try row.decode("recorded_by"),
            recordedAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    /// Records a contact moment; nil when one with this id exists already (an id derived from
    /// an Idempotency-Key that was used before and has since been forgotten). A statement, so
    /// that the contact's effect on the schedule can be read in the same round trip.
    public func insert(_ moment: ContactMoment) -> PostgresStatement<ContactMoment?> {
        PostgresStatement("""
            INSERT INTO contact_moments (id, trajectory_id, occurred_at, channel, initiative, made_by, summary, wellbeing,
                                         next_contact_on, recorded_by)
            VALUES (\(moment.id), \(moment.trajectoryID), \(moment.occurredAt), \(moment.channel), \(moment.initiative),
                    \(moment.madeBy), \(moment.summary), \(moment.wellbeing.map { Int16($0.value) }), \(moment.nextContactOn),
                    \(moment.recordedBy))
            ON CONFLICT (id) DO NOTHING
            RETURNING \(unsafeRaw: Self.momentColumns)
            """) { try $0.singleRow().map(Self.moment(from:)) }
    }

    /// The contact moment, if it belongs to that trajectory.
    public func moment(id: UUID, trajectoryID: UUID, on connection: PostgresConnection) async throws -> ContactMoment? {
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: Self.momentColumns) FROM contact_moments WHERE id = \(id) AND trajectory_id = \(trajectoryID)
            """)
        return try rows.singleRow().map(Self.moment(from:))
    }

    /// Newest first.
    public func moments(
        trajectoryID: UUID, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (moments: [ContactMoment], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.momentColumns) FROM contact_moments WHERE trajectory_id = \(trajectoryID)"
        if let after = page.after, let occurredAt = after.instant {
            query.append(" AND (occurred_at, id) < (\(occurredAt), \(after.id))")
        }
        query.append(" ORDER BY occurred_at DESC, id DESC LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.moment(from:)) { Cursor(instant: $0.occurredAt, id: $0.id) }
    }

    /// A merge patch of a contact moment: nil leaves a property as it is; for the optional
    /// ones `.some(nil)` removes it.
    struct MomentChanges: Sendable, Hashable {
        var channel: ContactChannel?
        var initiative: ContactInitiative?
        var madeBy: ContactPerson?
        var summary: String?
        var wellbeing: WellbeingScore??
        var nextContactOn: CalendarDate??
    }

    /// Applies the changes if the moment is still at `version`; nil when it is not.
    func updateMoment(
        id: UUID, version: Int64, _ changes: MomentChanges, on connection: PostgresConnection
    ) async throws -> ContactMoment? {
        let wellbeing = changes.wellbeing.map { $0.map { Int16($0.value) } }
        let rows = try await connection.query("""
            UPDATE contact_moments SET
                channel = coalesce(\(changes.channel), channel),
                initiative = coalesce(\(changes.initiative), initiative),
                made_by = coalesce(\(changes.madeBy), made_by),
                summary = coalesce(\(changes.summary), summary),
                wellbeing = CASE WHEN \(wellbeing != nil) THEN \(wellbeing ?? nil) ELSE wellbeing END,
                next_contact_on = CASE WHEN \(changes.nextContactOn != nil) THEN \(changes.nextContactOn ?? nil) ELSE next_contact_on END,
                version = version + 1
            WHERE id = \(id) AND version = \(version)
            RETURNING \(unsafeRaw: Self.momentColumns)
            """)
        return try rows.singleRow().map(Self.moment(from:))
    }

    // MARK: - Contact preferences

    /// The preferences as stored, with what their ETag and `updatedAt` come from.
    public struct StoredPreferences: Sendable, Hashable {
        public var preferences: ContactPreferences
        public var version: Int64
        public var updatedAt: Date
    }

    static let preferenceColumns = "channel, contact_person, not_before, every_days, version, updated_at"

    static func preferences(from row: PostgresRow) throws -> StoredPreferences {
        StoredPreferences(
            preferences: ContactPreferences(
                channel: try row.decode("channel"), contactPerson: try row.decode("contact_person"),
                notBefore: try row.decode("not_before"), preferredEveryDays: try row.decode("every_days")),
            version: try row.decode("version"), updatedAt: try row.decode("updated_at"))
    }

    /// Nil when the preferences were never set.
    public func preferences(trajectoryID: UUID, on connection: PostgresConnection) async throws -> StoredPreferences? {
        let rows = try await connection.query("""
            SELECT \(unsafeRaw: Self.preferenceColumns) FROM contact_preferences WHERE trajectory_id = \(trajectoryID)
            """)
        return try rows.singleRow().map(Self.preferences(from:))
    }

    /// Replaces the preferences as a whole (or sets them the first time, at version 1). The
    /// caller has checked the version under the trajectory's lock.
    public func replacePreferences(
        trajectoryID: UUID, with preferences: ContactPreferences, on connection: PostgresConnection
    ) async throws -> StoredPreferences {
        try Self.preferences(from: try await connection.query("""
            INSERT INTO contact_preferences AS p (trajectory_id, channel, contact_person, not_before, every_days)
            VALUES (\(trajectoryID), \(preferences.channel), \(preferences.contactPerson), \(preferences.notBefore),
                    \(preferences.preferredEveryDays.map(Int16.init)))
            ON CONFLICT (trajectory_id) DO UPDATE SET
                channel = EXCLUDED.channel, contact_person = EXCLUDED.contact_person, not_before = EXCLUDED.not_before,
                every_days = EXCLUDED.every_days, version = p.version + 1
            RETURNING \(unsafeRaw: Self.preferenceColumns)
            """)[0])
    }
}
