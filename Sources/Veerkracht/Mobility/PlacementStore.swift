import Foundation
import PostgresLibPQ

extension PlacementStatus: PostgresStoredCode {}
extension ReleasedBy: PostgresStoredCode {}
extension PlacementEvaluation.Side: PostgresStoredCode {}

/// The placements' SQL.
public struct PlacementStore: Sendable {
    public init() {}

    static let columns = """
        p.id, p.offer_id, o.reference AS offer_reference, o.title AS offer_title, o.host_entity_id, p.employee_id,
        p.trajectory_id, p.home_entity_id, p.status, p.proposed_by, p.match_round_id, p.score_micros, p.agreed_starts_on,
        p.agreed_ends_on, p.agreed_hours_per_week, p.agreed_cost_bearer, p.agreed_adaptations, p.released_by_role,
        p.started_on, p.ended_on, p.decline_reason, p.version, p.created_at, p.updated_at
        """

    static func placement(from row: PostgresRow) throws -> Placement {
        var agreement: PlacementAgreement?
        if let startsOn = try row.decode("agreed_starts_on", as: CalendarDate?.self) {
            agreement = PlacementAgreement(
                startsOn: startsOn, endsOn: try row.decode("agreed_ends_on"), hoursPerWeek: try row.decode("agreed_hours_per_week"),
                costBearer: try row.decode("agreed_cost_bearer"),
                adaptations: try row.decode("agreed_adaptations", as: [Adaptation]?.self) ?? [])
        }
        return Placement(
            id: try row.decode("id"),
            offer: OfferSummary(
                id: try row.decode("offer_id"), reference: try row.decode("offer_reference"), title: try row.decode("offer_title"),
                hostEntityID: try row.decode("host_entity_id")),
            employeeID: try row.decode("employee_id"), trajectoryID: try row.decode("trajectory_id"),
            homeEntityID: try row.decode("home_entity_id"), status: try row.decode("status"), proposedBy: try row.decode("proposed_by"),
            matchRoundID: try row.decode("match_round_id"), scoreMicros: try row.decode("score_micros", as: Int?.self),
            agreement: agreement, releasedBy: try row.decode("released_by_role"), startedOn: try row.decode("started_on"),
            endedOn: try row.decode("ended_on"), declineReason: try row.decode("decline_reason"), evaluations: [],
            version: try row.decode("version"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func placement(_ id: UUID, lock: Bool = false, on connection: PostgresConnection) async throws -> Placement? {
        guard var placement = try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM placements p JOIN offers o ON o.id = p.offer_id WHERE p.id = \(id)
            \(unsafeRaw: lock ? "FOR UPDATE OF p" : "")
            """).singleRow().map(Self.placement)
        else { return nil }
        placement.evaluations = try await evaluations([id], on: connection)[id] ?? []
        return placement
    }

    /// Inserts a proposal; nil when the candidate has an open proposal for this offer already.
    public func propose(
        offerID: UUID, employeeID: UUID, trajectoryID: UUID?, homeEntityID: UUID, proposedBy: UUID, matchRoundID: UUID?,
        scoreMicros: Int, on connection: PostgresConnection
    ) async throws -> UUID? {
        try await connection.query("""
            INSERT INTO placements (offer_id, employee_id, trajectory_id, home_entity_id, proposed_by, match_round_id, score_micros)
            VALUES (\(offerID), \(employeeID), \(trajectoryID), \(homeEntityID), \(proposedBy), \(matchRoundID), \(Int32(scoreMicros)))
            ON CONFLICT (offer_id, employee_id)
                WHERE status IN ('proposed', 'candidate_accepted', 'host_accepted', 'released', 'started') DO NOTHING
            RETURNING id
            """).singleRow().map { try $0.decode(0, as: UUID.self) }
    }

    /// Applies one step if the placement is still at `version`; false when it is not. The
    /// database refuses a step that would over-book the offer (`placements_within_offer_positions`)
    /// or give the person a second active placement (`placements_one_active_per_employee`).
    public func apply(_ step: PlacementStep, to id: UUID, version: Int64, today: CalendarDate, on connection: PostgresConnection) async throws -> Bool {
        let agreement = step.agreement
        let updated = try await connection.query("""
            UPDATE placements SET
                status = \(step.to),
                agreed_starts_on = coalesce(\(agreement?.startsOn), agreed_starts_on),
                agreed_ends_on = coalesce(\(agreement?.endsOn), agreed_ends_on),
                agreed_hours_per_week = coalesce(\(agreement?.hoursPerWeek), agreed_hours_per_week),
                agreed_cost_bearer = coalesce(\(agreement?.costBearer), agreed_cost_bearer),
                agreed_adaptations = coalesce(\(agreement?.adaptations), agreed_adaptations),
                released_by_role = coalesce(\(step.releasedBy), released_by_role),
                started_on = CASE WHEN \(step.to) = 'started' THEN \(step.on ?? today) ELSE started_on END,
                ended_on = CASE WHEN \(step.to) IN ('completed', 'ended_early') THEN \(step.on ?? today) ELSE ended_on END,
                decline_reason = coalesce(\(step.reason), decline_reason),
                version = version + 1
            WHERE id = \(id) AND version = \(version)
            """)
        return updated.affectedRows == 1
    }

    /// How many placements hold a position of the offer.
    public func positionsTaken(offerID: UUID, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("""
            SELECT count(*) FROM placements
            WHERE offer_id = \(offerID) AND status IN ('host_accepted', 'released', 'started', 'completed', 'ended_early')
            """)[0].decode(0, as: Int.self)
    }

    /// False when this side evaluated already.
    public func evaluate(_ id: UUID, _ evaluation: PlacementEvaluation, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            INSERT INTO placement_evaluations (placement_id, side, went, host_would_continue, gave_energy, helped_return, note, evaluated_by)
            VALUES (\(id), \(evaluation.side), \(Int16(evaluation.went)), \(evaluation.hostWouldContinue),
                \(evaluation.gaveEnergy.map(Int16.init)), \(evaluation.helpedReturn), \(evaluation.note), \(evaluation.evaluatedBy))
            ON CONFLICT (placement_id, side) DO NOTHING
            """).affectedRows == 1
    }

    func evaluations(_ ids: [UUID], on connection: PostgresConnection) async throws -> [UUID: [PlacementEvaluation]] {
        var byPlacement: [UUID: [PlacementEvaluation]] = [:]
        for row in try await connection.query("""
            SELECT placement_id, side, went::int AS went, host_would_continue, gave_energy::int AS gave_energy, helped_return, note,
                evaluated_by, created_at
            FROM placement_evaluations WHERE placement_id = ANY(\(ids)) ORDER BY side
            """)
        {
            byPlacement[try row.decode("placement_id"), default: []].append(PlacementEvaluation(
                side: try row.decode("side"), went: try row.decode("went"), hostWouldContinue: try row.decode("host_would_continue"),
                gaveEnergy: try row.decode("gave_energy", as: Int?.self), helpedReturn: try row.decode("helped_return"),
                note: try row.decode("note"), evaluatedBy: try row.decode("evaluated_by"), createdAt: try row.decode("created_at")))
        }
        return byPlacement
    }

    public struct Filter: Sendable {
        public var offerID: UUID?
        public var employeeID: UUID?
        public var statuses: [PlacementStatus] = []
        public init() {}
    }

    /// Placements the principal may see (`PlacementAccess.scopePredicate`), oldest first.
    public func list(
        scope: PostgresQuery, filter: Filter, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (placements: [Placement], next: Cursor?) {
        var query: PostgresQuery = """
            SELECT \(unsafeRaw: Self.columns) FROM placements p JOIN offers o ON o.id = p.offer_id
            LEFT JOIN trajectories t ON t.id = p.trajectory_id
            WHERE \(fragment: scope)
            """
        if let offer = filter.offerID { query.append(" AND p.offer_id = \(offer)") }
        if let employee = filter.employeeID { query.append(" AND p.employee_id = \(employee)") }
        if !filter.statuses.isEmpty { query.append(" AND p.status = ANY(\(filter.statuses))") }
        if let after = page.after, let instant = after.instant { query.append(" AND (p.created_at, p.id) > (\(instant), \(after.id))") }
        query.append(" ORDER BY p.created_at, p.id LIMIT \(page.limit)")
        var (placements, next) = try page.split(try await connection.query(query), Self.placement) { Cursor(instant: $0.createdAt, id: $0.id) }
        let evaluations = try await evaluations(placements.map(\.id), on: connection)
        for index in placements.indices { placements[index].evaluations = evaluations[placements[index].id] ?? [] }
        return (placements, next)
    }
}
