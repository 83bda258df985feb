import Foundation
import PostgresLibPQ

extension OfferStatus: PostgresStoredCode {}
extension CostBearer: PostgresStoredCode {}
extension Adaptation: PostgresStoredCode {}
extension DemandLevel: PostgresStoredCode {}
extension WorkDemand: StoredCode {}

/// The offers' SQL.
public struct OfferStore: Sendable {
    public init() {}

    static let columns = """
        o.id, o.reference, o.host_entity_id, o.title, o.description, o.site_name, o.postcode, o.hours_per_week,
        o.starts_on, o.ends_on, o.telework_days, o.demand_physical_load, o.demand_emotional_load, o.demand_customer_contact,
        o.demand_shift_or_night_work, o.demand_travel, o.demand_screen_work, o.adaptations, o.talent_tags, o.grades_accepted,
        o.positions, o.cost_bearer, o.visible_to_entity_ids, o.status, o.author_id, o.approved_by, o.submitted_at,
        o.published_at, o.version, o.created_at, o.updated_at,
        ARRAY(SELECT c.code FROM offer_competencies c WHERE c.offer_id = o.id ORDER BY c.code) AS competency_codes,
        ARRAY(SELECT c.level::int FROM offer_competencies c WHERE c.offer_id = o.id ORDER BY c.code) AS competency_levels,
        ARRAY(SELECT c.weight FROM offer_competencies c WHERE c.offer_id = o.id ORDER BY c.code) AS competency_weights,
        ARRAY(SELECT c.required FROM offer_competencies c WHERE c.offer_id = o.id ORDER BY c.code) AS competency_required,
        (SELECT count(*) FROM placements p WHERE p.offer_id = o.id
            AND p.status IN ('host_accepted', 'released', 'started', 'completed', 'ended_early'))::int AS positions_taken
        """

    /// The SQL column of each demand, a fixed list (never input).
    static let demandColumns: [(WorkDemand, String)] = WorkDemand.allCases.map { ($0, "demand_" + $0.sqlValue) }

    static func offer(from row: PostgresRow) throws -> Offer {
        var demands: [WorkDemand: DemandLevel] = [:]
        for (demand, column) in demandColumns {
            let level = try row.decode(column, as: DemandLevel.self)
            if level != .none { demands[demand] = level }
        }
        let codes = try row.decode("competency_codes", as: [String].self)
        let levels = try row.decode("competency_levels", as: [Int32].self)
        let weights = try row.decode("competency_weights", as: [Double].self)
        let required = try row.decode("competency_required", as: [Bool].self)
        let competencies = codes.indices.map {
            WantedCompetency(code: codes[$0], level: Int(levels[$0]), weight: weights[$0], required: required[$0])
        }
        let terms = OfferTerms(
            title: try row.decode("title"), description: try row.decode("description"), siteName: try row.decode("site_name"),
            postcode: try row.decode("postcode"), competencies: competencies, talentTags: try row.decode("talent_tags"),
            gradesAccepted: try row.decode("grades_accepted"), hoursPerWeek: try row.decode("hours_per_week"),
            startsOn: try row.decode("starts_on"), endsOn: try row.decode("ends_on"),
            teleworkDays: Int(try row.decode("telework_days", as: Int16.self)), demands: demands,
            adaptations: try row.decode("adaptations"), positions: Int(try row.decode("positions", as: Int16.self)),
            costBearer: try row.decode("cost_bearer"), visibleToEntityIDs: try row.decode("visible_to_entity_ids"))
        return Offer(
            id: try row.decode("id"), reference: try row.decode("reference"), hostEntityID: try row.decode("host_entity_id"),
            terms: terms, status: try row.decode("status"), authorID: try row.decode("author_id"),
            approvedBy: try row.decode("approved_by"), submittedAt: try row.decode("submitted_at"),
            publishedAt: try row.decode("published_at"), positionsTaken: Int(try row.decode("positions_taken", as: Int32.self)),
            version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func offer(_ id: UUID, lock: Bool = false, on connection: PostgresConnection) async throws -> Offer? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM offers o WHERE o.id = \(id) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).singleRow().map(Self.offer)
    }

    public func insert(
        _ terms: OfferTerms, id: UUID, hostEntityID: UUID, authorID: UUID, year: Int, on connection: PostgresConnection
    ) async throws {
        try await connection.query("""
            INSERT INTO offers (
                id, reference, host_entity_id, title, description, site_name, postcode, hours_per_week, starts_on, ends_on,
                telework_days, demand_physical_load, demand_emotional_load, demand_customer_contact, demand_shift_or_night_work,
                demand_travel, demand_screen_work, adaptations, talent_tags, grades_accepted, positions, cost_bearer,
                visible_to_entity_ids, author_id)
            VALUES (
                \(id), 'MO-' || \(String(year)) || '-' || lpad((nextval('offer_reference_seq') % 1000000)::text, 6, '0'),
                \(hostEntityID), \(terms.title), \(terms.description), \(terms.siteName), \(terms.postcode), \(terms.hoursPerWeek),
                \(terms.startsOn), \(terms.endsOn), \(Int16(terms.teleworkDays)), \(terms.level(.physicalLoad)),
                \(terms.level(.emotionalLoad)), \(terms.level(.customerContact)), \(terms.level(.shiftOrNightWork)),
                \(terms.level(.travel)), \(terms.level(.screenWork)), \(terms.adaptations), \(terms.talentTags),
                \(terms.gradesAccepted), \(Int16(terms.positions)), \(terms.costBearer), \(terms.visibleToEntityIDs), \(authorID))
            """)
        try await setCompetencies(of: id, terms.competencies, on: connection)
    }

    /// Replaces the terms if the offer is still at `version`; false when it is not.
    public func update(_ id: UUID, version: Int64, _ terms: OfferTerms, on connection: PostgresConnection) async throws -> Bool {
        let updated = try await connection.query("""
            UPDATE offers SET
                title = \(terms.title), description = \(terms.description), site_name = \(terms.siteName),
                postcode = \(terms.postcode), hours_per_week = \(terms.hoursPerWeek), starts_on = \(terms.startsOn),
                ends_on = \(terms.endsOn), telework_days = \(Int16(terms.teleworkDays)),
                demand_physical_load = \(terms.level(.physicalLoad)), demand_emotional_load = \(terms.level(.emotionalLoad)),
                demand_customer_contact = \(terms.level(.customerContact)),
                demand_shift_or_night_work = \(terms.level(.shiftOrNightWork)), demand_travel = \(terms.level(.travel)),
                demand_screen_work = \(terms.level(.screenWork)), adaptations = \(terms.adaptations),
                talent_tags = \(terms.talentTags), grades_accepted = \(terms.gradesAccepted), positions = \(Int16(terms.positions)),
                cost_bearer = \(terms.costBearer), visible_to_entity_ids = \(terms.visibleToEntityIDs), version = version + 1
            WHERE id = \(id) AND version = \(version)
            """)
        guard updated.affectedRows == 1 else { return false }
        try await connection.query("DELETE FROM offer_competencies WHERE offer_id = \(id)")
        try await setCompetencies(of: id, terms.competencies, on: connection)
        return true
    }

    private func setCompetencies(of id: UUID, _ competencies: [WantedCompetency], on connection: PostgresConnection) async throws {
        guard !competencies.isEmpty else { return }
        try await connection.query("""
            INSERT INTO offer_competencies (offer_id, code, level, weight, required)
            SELECT \(id), c.code, c.level, c.weight, c.required
            FROM unnest(\(competencies.map(\.code)), \(competencies.map(\.level)), \(competencies.map(\.weight)),
                \(competencies.map(\.required))) AS c(code, level, weight, required)
            """)
    }

    /// Moves the offer to `status` with what that step records; false when no longer at `version`.
    public func setStatus(
        _ id: UUID, version: Int64, to status: OfferStatus, by userID: UUID, on connection: PostgresConnection
    ) async throws -> Bool {
        let updated = try await connection.query("""
            UPDATE offers SET
                status = \(status),
                submitted_at = CASE WHEN \(status) = 'submitted' THEN now() WHEN \(status) = 'draft' THEN NULL ELSE submitted_at END,
                approved_by = CASE WHEN \(status) = 'open' THEN \(userID) ELSE approved_by END,
                published_at = CASE WHEN \(status) = 'open' THEN now() ELSE published_at END,
                ended_at = CASE WHEN \(status) IN ('filled', 'closed', 'expired') THEN now() ELSE ended_at END,
                version = version + 1
            WHERE id = \(id) AND version = \(version)
            """)
        return updated.affectedRows == 1
    }

    public struct Filter: Sendable {
        public var statuses: [OfferStatus] = []
        public var hostEntityID: UUID?
        public init() {}
    }

    /// Offers the principal may see: every one of `hostScope` (HR's own entities), and
    /// published ones visible to an entity of `readerScope` (their entities and everything
    /// below; an offer visible to an entity is visible below it too). Newest first.
    public func list(
        hostScope: [UUID], readerScope: [UUID], filter: Filter, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (offers: [Offer], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT \(unsafeRaw: Self.columns) FROM offers o
            WHERE \(fragment: Self.readable(hostScope: hostScope, readerScope: readerScope))
            """
        if !filter.statuses.isEmpty { query.append(" AND o.status = ANY(\(filter.statuses))") }
        if let host = filter.hostEntityID { query.append(" AND o.host_entity_id = \(host)") }
        if let after = page.after, let instant = after.instant {
            query.append(" AND (o.created_at, o.id) < (\(instant), \(after.id))")
        }
        query.append(" ORDER BY o.created_at DESC, o.id DESC LIMIT \(page.limit)")
        return try page.split(try await connection.query(query), Self.offer) { Cursor(instant: $0.createdAt, id: $0.id) }
    }

    /// One offer if the principal may read it (the same rule as `list`).
    public func readableOffer(_ id: UUID, hostScope: [UUID], readerScope: [UUID], on connection: PostgresConnection) async throws -> Offer? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM offers o
            WHERE o.id = \(id) AND \(fragment: Self.readable(hostScope: hostScope, readerScope: readerScope))
            """).singleRow().map(Self.offer)
    }

    static func readable(hostScope: [UUID], readerScope: [UUID]) -> PostgresQuery {
        """
        (o.host_entity_id = ANY(\(hostScope))
            OR (o.status NOT IN ('draft', 'submitted') AND \(fragment: Self.visible(to: readerScope))))
        """
    }

    /// Whether offer `o` is visible to one of `entities`: shown to every entity, or to one of
    /// them or an entity above one of them.
    static func visible(to entities: [UUID]) -> PostgresQuery {
        """
        (o.visible_to_entity_ids IS NULL OR o.visible_to_entity_ids && ARRAY(
            WITH RECURSIVE up(id, parent_id) AS (
                SELECT e.id, e.parent_id FROM entities e WHERE e.id = ANY(\(entities))
                UNION SELECT e.id, e.parent_id FROM entities e JOIN up ON e.id = up.parent_id)
            SELECT id FROM up))
        """
    }

    /// Open offers whose start passed (before `today`) with no position taken: the sweep
    /// expires them, batch by batch, skipping rows another sweep holds.
    public func expireStale(today: CalendarDate, batchSize: Int, on connection: PostgresConnection) async throws -> [UUID] {
        try await connection.query("""
            UPDATE offers o SET status = 'expired', ended_at = now(), version = o.version + 1
            FROM (
                SELECT stale.id FROM offers stale
                WHERE stale.status = 'open' AND stale.starts_on < \(today)
                  AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.offer_id = stale.id
                      AND p.status IN ('host_accepted', 'released', 'started', 'completed', 'ended_early'))
                ORDER BY stale.starts_on, stale.id
                LIMIT \(batchSize)
                FOR UPDATE OF stale SKIP LOCKED
            ) due
            WHERE o.id = due.id
            RETURNING o.id
            """).map { try $0.decode(0, as: UUID.self) }
    }
}

extension OfferTerms {
    /// The level a job demands on one dimension (`none` when not set).
    func level(_ demand: WorkDemand) -> DemandLevel { demands[demand] ?? .none }
}
