import Foundation
import PostgresLibPQ

extension MatchRound.Status: PostgresStoredCode {}
extension MatchRound.Phase: PostgresStoredCode {}

/// The match rounds' SQL.
public struct MatchRoundStore: Sendable {
    public init() {}

    static let columns = """
        id, requested_by, status, phase, progress, minimum_score, offer_count, candidate_count, feasible_pair_count,
        total_score_micros, greedy_total_micros, timings, accepted_at, created_at, completed_at
        """

    static func round(from row: PostgresRow) throws -> MatchRound {
        MatchRound(
            id: try row.decode("id"), requestedBy: try row.decode("requested_by"), status: try row.decode("status"),
            phase: try row.decode("phase"), progress: try row.decode("progress"), minimumScore: try row.decode("minimum_score"),
            offerCount: try row.decode("offer_count", as: Int?.self), candidateCount: try row.decode("candidate_count", as: Int?.self),
            feasiblePairCount: try row.decode("feasible_pair_count", as: Int?.self),
            totalScoreMicros: try row.decode("total_score_micros"), greedyTotalMicros: try row.decode("greedy_total_micros"),
            timings: try row.decode("timings", as: PostgresJSON<MatchRoundTimings>?.self)?.value,
            acceptedAt: try row.decode("accepted_at"), createdAt: try row.decode("created_at"), completedAt: try row.decode("completed_at"))
    }

    public func insert(
        id: UUID, requestedBy: UUID, minimumScore: Double, offerIDs: [UUID], candidateIDs: [UUID], on connection: PostgresConnection
    ) async throws {
        try await connection.query("""
            INSERT INTO match_rounds (id, requested_by, minimum_score, offer_ids, candidate_ids)
            VALUES (\(id), \(requestedBy), \(minimumScore), \(offerIDs), \(candidateIDs))
            """)
    }

    public func round(_ id: UUID, lock: Bool = false, on connection: PostgresConnection) async throws -> MatchRound? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM match_rounds WHERE id = \(id) \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).singleRow().map(Self.round)
    }

    public func setPhase(_ id: UUID, _ phase: MatchRound.Phase, progress: Double, counts: (offers: Int, candidates: Int)? = nil, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE match_rounds SET phase = \(phase), progress = \(progress),
                offer_count = coalesce(\(counts.map { Int32($0.offers) }), offer_count),
                candidate_count = coalesce(\(counts.map { Int32($0.candidates) }), candidate_count), version = version + 1
            WHERE id = \(id)
            """)
    }

    public func fail(_ id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE match_rounds SET status = 'failed', version = version + 1 WHERE id = \(id) AND status = 'running'")
    }

    /// Stores the result: the pairs of the optimum and of greedy, the totals and timings.
    public func complete(
        _ id: UUID, pairs: [(offerID: UUID, employeeID: UUID, scoreMicros: Int, inOptimum: Bool, inGreedy: Bool, explanation: StoredExplanation)],
        feasiblePairs: Int, totalMicros: Int64, greedyMicros: Int64, timings: MatchRoundTimings, on connection: PostgresConnection
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let explanations = try pairs.map { String(decoding: try encoder.encode($0.explanation), as: UTF8.self) }
        try await connection.query("""
            INSERT INTO match_round_pairs (match_round_id, offer_id, employee_id, score_micros, in_optimum, in_greedy, explanation)
            SELECT \(id), p.offer_id, p.employee_id, p.score_micros, p.in_optimum, p.in_greedy, p.explanation::jsonb
            FROM unnest(\(pairs.map(\.offerID)), \(pairs.map(\.employeeID)), \(pairs.map { Int32($0.scoreMicros) }),
                \(pairs.map(\.inOptimum)), \(pairs.map(\.inGreedy)), \(explanations))
                AS p(offer_id, employee_id, score_micros, in_optimum, in_greedy, explanation)
            """)
        try await connection.query("""
            UPDATE match_rounds SET status = 'completed', phase = 'done', progress = 1, feasible_pair_count = \(feasiblePairs),
                total_score_micros = \(totalMicros), greedy_total_micros = \(greedyMicros),
                timings = \(try PostgresJSON(timings, encoder: encoder)), completed_at = now(), version = version + 1
            WHERE id = \(id)
            """)
    }

    /// The stored pairs, best first, with who and what they are.
    public func pairs(_ id: UUID, on connection: PostgresConnection) async throws -> [MatchRoundPair] {
        let decoder = JSONDecoder()
        return try await connection.query("""
            SELECT mp.offer_id, o.reference, o.title, o.host_entity_id, mp.employee_id, e.given_name, e.family_name, t.id AS trajectory_id,
                mp.score_micros, mp.in_optimum, mp.in_greedy, mp.explanation::text AS explanation, mp.placement_id
            FROM match_round_pairs mp
            JOIN offers o ON o.id = mp.offer_id
            JOIN employees e ON e.id = mp.employee_id
            LEFT JOIN trajectories t ON t.employee_id = e.id AND t.status <> 'closed'
            WHERE mp.match_round_id = \(id)
            ORDER BY mp.score_micros DESC, mp.offer_id, mp.employee_id
            """).map { row in
            MatchRoundPair(
                offer: OfferSummary(
                    id: try row.decode("offer_id"), reference: try row.decode("reference"), title: try row.decode("title"),
                    hostEntityID: try row.decode("host_entity_id")),
                employeeID: try row.decode("employee_id"), givenName: try row.decode("given_name"),
                familyName: try row.decode("family_name"), trajectoryID: try row.decode("trajectory_id"),
                scoreMicros: Int(try row.decode("score_micros", as: Int32.self)), inOptimum: try row.decode("in_optimum"),
                inGreedy: try row.decode("in_greedy"),
                explanation: try decoder.decode(StoredExplanation.self, from: Data(try row.decode("explanation", as: String.self).utf8)),
                placementID: try row.decode("placement_id"))
        }
    }

    public func linkPlacement(_ roundID: UUID, offerID: UUID, employeeID: UUID, placementID: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE match_round_pairs SET placement_id = \(placementID)
            WHERE match_round_id = \(roundID) AND offer_id = \(offerID) AND employee_id = \(employeeID)
            """)
    }

    public func markAccepted(_ id: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE match_rounds SET accepted_at = coalesce(accepted_at, now()), version = version + 1 WHERE id = \(id)")
    }
}
