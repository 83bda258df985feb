import Foundation
import PostgresLibPQ

/// The SQL of candidate profiles and functional restrictions.
public struct CandidateStore: Sendable {
    public init() {}

    /// The staff member, their open trajectory (if any) and what decides who may see them.
    static let factsSelect = """
        SELECT e.id AS employee_id, e.entity_id, e.given_name, e.family_name, e.grade, e.active,
            t.id AS trajectory_id, t.entity_id AS trajectory_entity_id, t.physician_id,
            coalesce(t.consent_visible_to_hr, false) AS consent_visible_to_hr,
            coalesce(cp.requested_move, false) AS requested_move
        FROM employees e
        LEFT JOIN trajectories t ON t.employee_id = e.id AND t.status <> 'closed'
        LEFT JOIN candidate_profiles cp ON cp.employee_id = e.id
        """

    static func facts(from row: PostgresRow) throws -> (CandidateFacts, trajectoryEntityID: UUID?) {
        (CandidateFacts(
            employeeID: try row.decode("employee_id"), entityID: try row.decode("entity_id"),
            givenName: try row.decode("given_name"), familyName: try row.decode("family_name"), grade: try row.decode("grade"),
            active: try row.decode("active"), trajectoryID: try row.decode("trajectory_id"),
            physicianID: try row.decode("physician_id"), consentVisibleToHR: try row.decode("consent_visible_to_hr"),
            requestedMove: try row.decode("requested_move")),
         try row.decode("trajectory_entity_id"))
    }

    /// `lock` holds the employee's row, so that writes to one profile queue.
    public func facts(_ employeeID: UUID, lock: Bool = false, on connection: PostgresConnection) async throws -> (CandidateFacts, trajectoryEntityID: UUID?)? {
        try await connection.query("""
            \(unsafeRaw: Self.factsSelect) WHERE e.id = \(employeeID) \(unsafeRaw: lock ? "FOR UPDATE OF e" : "")
            """).singleRow().map(Self.facts)
    }

    static let profileColumns = """
        cp.employee_id, cp.requested_move, cp.good_at, cp.likes_doing, cp.finds_important, cp.talent_note,
        cp.preferred_postcodes, cp.max_travel_minutes, cp.max_hours_per_week, cp.available_from, cp.telework_days_wanted,
        cp.version, cp.created_at, cp.updated_at,
        ARRAY(SELECT c.code FROM candidate_competencies c WHERE c.employee_id = cp.employee_id ORDER BY c.code) AS competency_codes,
        ARRAY(SELECT c.level::int FROM candidate_competencies c WHERE c.employee_id = cp.employee_id ORDER BY c.code) AS competency_levels
        """

    static func profile(from row: PostgresRow) throws -> CandidateProfile {
        var details = CandidateDetails()
        let codes = try row.decode("competency_codes", as: [String].self)
        let levels = try row.decode("competency_levels", as: [Int32].self)
        details.competencies = Dictionary(uniqueKeysWithValues: zip(codes, levels.map(Int.init)))
        details.goodAt = try row.decode("good_at")
        details.likesDoing = try row.decode("likes_doing")
        details.findsImportant = try row.decode("finds_important")
        details.talentNote = try row.decode("talent_note")
        details.preferredPostcodes = try row.decode("preferred_postcodes")
        details.maxTravelMinutes = try row.decode("max_travel_minutes", as: Int?.self)
        details.maxHoursPerWeek = try row.decode("max_hours_per_week")
        details.availableFrom = try row.decode("available_from")
        details.teleworkDaysWanted = try row.decode("telework_days_wanted", as: Int?.self)
        details.requestedMove = try row.decode("requested_move")
        return CandidateProfile(
            employeeID: try row.decode("employee_id"), details: details, version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func profile(_ employeeID: UUID, on connection: PostgresConnection) async throws -> CandidateProfile? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.profileColumns) FROM candidate_profiles cp WHERE cp.employee_id = \(employeeID)
            """).singleRow().map(Self.profile)
    }

    /// Creates the profile (`version` nil) or replaces it if still at `version`; false when it is not.
    public func save(
        _ employeeID: UUID, _ details: CandidateDetails, version: Int64?, by userID: UUID, on connection: PostgresConnection
    ) async throws -> Bool {
        let values: PostgresQuery = """
            \(details.requestedMove), \(details.goodAt), \(details.likesDoing), \(details.findsImportant), \(details.talentNote),
            \(details.preferredPostcodes), \(details.maxTravelMinutes.map(Int16.init)), \(details.maxHoursPerWeek),
            \(details.availableFrom), \(details.teleworkDaysWanted.map(Int16.init)), \(userID)
            """
        let saved: PostgresRows
        if let version {
            saved = try await connection.query("""
                UPDATE candidate_profiles SET (requested_move, good_at, likes_doing, finds_important, talent_note,
                    preferred_postcodes, max_travel_minutes, max_hours_per_week, available_from, telework_days_wanted, updated_by)
                    = (\(fragment: values)), version = version + 1
                WHERE employee_id = \(employeeID) AND version = \(version)
                """)
        } else {
            saved = try await connection.query("""
                INSERT INTO candidate_profiles (employee_id, requested_move, good_at, likes_doing, finds_important, talent_note,
                    preferred_postcodes, max_travel_minutes, max_hours_per_week, available_from, telework_days_wanted, updated_by)
                VALUES (\(employeeID), \(fragment: values))
                ON CONFLICT (employee_id) DO NOTHING
                """)
        }
        guard saved.affectedRows == 1 else { return false }
        try await connection.query("DELETE FROM candidate_competencies WHERE employee_id = \(employeeID)")
        let competencies = details.competencies.sorted { $0.key < $1.key }
        if !competencies.isEmpty {
            try await connection.query("""
                INSERT INTO candidate_competencies (employee_id, code, level)
                SELECT \(employeeID), c.code, c.level FROM unnest(\(competencies.map(\.key)), \(competencies.map(\.value))) AS c(code, level)
                """)
        }
        return true
    }

    // MARK: - Functional restrictions

    static let restrictionColumns: [(WorkDemand, String)] = WorkDemand.allCases.map { ($0, $0.sqlValue) }

    /// The restrictions as set, or none (version 0) when a physician never set any.
    public func restrictions(_ employeeID: UUID, on connection: PostgresConnection) async throws -> FunctionalRestrictions {
        let columns = Self.restrictionColumns.map(\.1).joined(separator: ", ")
        guard let row = try await connection.query("""
            SELECT \(unsafeRaw: columns), set_by, version, updated_at FROM functional_restrictions WHERE employee_id = \(employeeID)
            """).singleRow()
        else { return FunctionalRestrictions(employeeID: employeeID, levels: [:], setBy: nil, version: 0, updatedAt: nil) }
        var levels: [WorkDemand: DemandLevel] = [:]
        for (demand, column) in Self.restrictionColumns {
            if let level = try row.decode(column, as: DemandLevel?.self) { levels[demand] = level }
        }
        return FunctionalRestrictions(
            employeeID: employeeID, levels: levels, setBy: try row.decode("set_by"), version: try row.decode("version"),
            updatedAt: try row.decode("updated_at"))
    }

    /// Sets the restrictions if they are still at `version` (0: never set); false when not.
    public func saveRestrictions(
        _ employeeID: UUID, _ levels: [WorkDemand: DemandLevel], version: Int64, by physicianID: UUID, on connection: PostgresConnection
    ) async throws -> Bool {
        let values: PostgresQuery = """
            \(levels[.physicalLoad]), \(levels[.emotionalLoad]), \(levels[.customerContact]), \(levels[.shiftOrNightWork]),
            \(levels[.travel]), \(levels[.screenWork]), \(physicianID)
            """
        let saved = version == 0
            ? try await connection.query("""
                INSERT INTO functional_restrictions (employee_id, physical_load, emotional_load, customer_contact,
                    shift_or_night_work, travel, screen_work, set_by)
                VALUES (\(employeeID), \(fragment: values))
                ON CONFLICT (employee_id) DO NOTHING
                """)
            : try await connection.query("""
                UPDATE functional_restrictions SET (physical_load, emotional_load, customer_contact, shift_or_night_work,
                    travel, screen_work, set_by) = (\(fragment: values)), version = version + 1
                WHERE employee_id = \(employeeID) AND version = \(version)
                """)
        return saved.affectedRows == 1
    }
}
