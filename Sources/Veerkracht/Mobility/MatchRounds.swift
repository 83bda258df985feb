import Foundation
import Logging
import PostgresLibPQ

/// What a match round was asked to cover.
public struct MatchRoundRequest: Sendable, Hashable {
    public var offerIDs: [UUID]?
    public var candidateIDs: [UUID]?
    public var minimumScore: Double

    public init(offerIDs: [UUID]? = nil, candidateIDs: [UUID]? = nil, minimumScore: Double = 0) {
        self.offerIDs = offerIDs
        self.candidateIDs = candidateIDs
        self.minimumScore = minimumScore
    }
}

/// Running match rounds (the optimal assignment beside greedy's), reading them, and
/// accepting them into proposed placements.
public struct MatchRounds: Sendable {
    public var context: MobilityContext
    public var logger: Logger
    let store = MatchRoundStore()
    let matching = MatchingStore()

    public init(context: MobilityContext, logger: Logger) {
        self.context = context
        self.logger = logger
    }

    /// A round created and read, not yet computed.
    public struct Prepared: Sendable {
        public var id: UUID
        /// More pairs than `roundJobPairs`: it runs as a job.
        public var isJob: Bool
        var offers: [MatchableOffer]
        var candidates: [MatchableCandidate]
        var minimumScore: Double
        var reading: Duration
    }

    /// Reads the offers and candidates and creates the round, inside the caller's
    /// transaction (so that an Idempotency-Key's record commits with it).
    public func prepare(_ principal: Principal, _ request: MatchRoundRequest, on connection: PostgresConnection) async throws -> Prepared {
        guard principal.has(.hr) else { throw Problem.missingPermission }
        let clock = ContinuousClock()
        let started = clock.now
        let id = UUID.random()
        let offers = try await matching.offers(
            .init(offerIDs: request.offerIDs, hostEntityIDs: AccessPolicy.offerHostScope(principal)), on: connection)
        let candidates = try await matching.candidates(
            .init(employeeIDs: request.candidateIDs, consentingOnly: true, excludePlaced: true), on: connection)
        var issues: [InputIssue] = []
        if let wanted = request.offerIDs {
            let found = Set(offers.map(\.match.id))
            for (index, offerID) in wanted.enumerated() where !found.contains(offerID) {
                issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "offerIds[\(index)]", detail: "No open offer of your entities"))
            }
        }
        if let wanted = request.candidateIDs {
            let found = Set(candidates.map(\.employeeID))
            for (index, employeeID) in wanted.enumerated() where !found.contains(employeeID) {
                issues.append(InputIssue(
                    .referencedResourceNotFound, in: .body, name: "candidateIds[\(index)]",
                    detail: "No consenting candidate without an active placement"))
            }
        }
        try Input.check(issues)
        try await store.insert(
            id: id, requestedBy: principal.userID, minimumScore: request.minimumScore, offerIDs: request.offerIDs ?? [],
            candidateIDs: request.candidateIDs ?? [], on: connection)
        try await store.setPhase(id, .evaluating, progress: 0.1, counts: (offers.count, candidates.count), on: connection)
        return Prepared(
            id: id, isJob: offers.count * candidates.count > context.settings.roundJobPairs, offers: offers, candidates: candidates,
            minimumScore: request.minimumScore, reading: clock.now - started)
    }

    /// Computes a prepared round once its creation committed: at once, or as a job in this
    /// process (a round cut short by a restart stays `running`; run it again).
    public func execute(_ prepared: Prepared) async throws {
        guard prepared.isJob else {
            do {
                return try await run(prepared)
            } catch {
                try? await context.database.withConnection { try await store.fail(prepared.id, on: $0) }
                throw error
            }
        }
        let rounds = self
        Task {
            do {
                try await rounds.run(prepared)
            } catch {
                rounds.logger.warning("match round failed", metadata: LoggedError(error).metadata)
                try? await rounds.context.database.withConnection { try await rounds.store.fail(prepared.id, on: $0) }
            }
        }
    }

    /// Evaluates every pair, solves exactly and greedily, stores both with explanations.
    func run(_ prepared: Prepared) async throws {
        let (id, offers, candidates) = (prepared.id, prepared.offers, prepared.candidates)
        let clock = ContinuousClock()
        let engine = context.engine
        var started = clock.now
        let pairs = await engine.feasiblePairs(
            offers: offers.map(\.match), candidates: candidates.map(\.match),
            minimumScoreMicros: Int((prepared.minimumScore * 1_000_000).rounded(.up)))
        let evaluating = clock.now - started
        try await context.database.withConnection { try await store.setPhase(id, .solving, progress: 0.6, on: $0) }
        started = clock.now
        let capacities = offers.map(\.match.positions)
        let optimum = Assignment.optimal(pairs, capacities: capacities, candidateCount: candidates.count)
        let greedy = Assignment.greedy(pairs, capacities: capacities, candidateCount: candidates.count)
        let solving = clock.now - started
        started = clock.now
        let inOptimum = Set(optimum.chosen)
        let inGreedy = Set(greedy.chosen)
        let stored = inOptimum.union(inGreedy).sorted().map { index in
            let offer = offers[Int(pairs.offerIndex[index])]
            let candidate = candidates[Int(pairs.candidateIndex[index])]
            return (
                offerID: offer.match.id, employeeID: candidate.employeeID, scoreMicros: Int(pairs.scoreMicros[index]),
                inOptimum: inOptimum.contains(index), inGreedy: inGreedy.contains(index),
                explanation: StoredExplanation(engine.evaluate(offer.match, candidate.match)))
        }
        try await context.database.withTransaction { connection in
            try await store.setPhase(id, .storing, progress: 0.9, on: connection)
            try await store.complete(
                id, pairs: stored, feasiblePairs: pairs.count, totalMicros: optimum.totalMicros, greedyMicros: greedy.totalMicros,
                timings: MatchRoundTimings(
                    readingMs: prepared.reading.milliseconds, evaluatingMs: evaluating.milliseconds, solvingMs: solving.milliseconds,
                    storingMs: (clock.now - started).milliseconds),
                on: connection)
        }
    }

    /// The round with its pairs, for the HR user who ran it; reading the pairs is audited
    /// with the candidates they show.
    public func round(_ principal: Principal, _ id: UUID) async throws -> MatchRound {
        let found: MatchRound? = try await context.database.withConnection { connection in
            guard var round = try await store.round(id, on: connection), round.requestedBy == principal.userID else { return nil }
            if round.status == .completed { round.pairs = try await store.pairs(id, on: connection) }
            return round
        }
        guard let found else { try await context.deny(principal, .read, .matchRound, id: id) }
        try await context.auditWriter.append(
            [AuditEntry(principal, .read, .matchRound, id: id, trajectory: nil)]
                + found.pairs.map { AuditEntry(principal, .list, .candidateProfile, id: $0.employeeID, trajectory: $0.trajectoryID) })
        return found
    }

    /// Turns the optimum's pairs (all, or `only`) into proposed placements, each once however
    /// often this runs: a pair that has its placement, or whose candidate has an open proposal
    /// for that offer, is left as it is.
    public func accept(_ principal: Principal, _ id: UUID, only: [(offerID: UUID, employeeID: UUID)]?) async throws -> MatchRound {
        let outcome: GateOutcome<Void> = try await context.database.withTransaction { connection in
            guard let round = try await store.round(id, lock: true, on: connection), round.requestedBy == principal.userID else {
                return .denied(trajectory: nil)
            }
            guard round.status == .completed else {
                throw Problem(.illegalTransition, detail: "The round is \(round.status.rawValue); accept it once it completed")
            }
            let optimum = try await store.pairs(id, on: connection).filter(\.inOptimum)
            var wanted = optimum
            if let only {
                var issues: [InputIssue] = []
                let keys = Set(optimum.map { "\($0.offer.id)/\($0.employeeID)" })
                for (index, pair) in only.enumerated() where !keys.contains("\(pair.offerID)/\(pair.employeeID)") {
                    issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "pairs[\(index)]", detail: "Not a pair of this round's optimum"))
                }
                try Input.check(issues)
                let chosen = Set(only.map { "\($0.offerID)/\($0.employeeID)" })
                wanted = optimum.filter { chosen.contains("\($0.offer.id)/\($0.employeeID)") }
            }
            let placements = Placements(context: context)
            for pair in wanted where pair.placementID == nil {
                guard let offer = try await OfferStore().offer(pair.offer.id, on: connection), offer.status == .open,
                    let (facts, _) = try await CandidateStore().facts(pair.employeeID, on: connection),
                    let placementID = try await PlacementStore().propose(
                        offerID: pair.offer.id, employeeID: pair.employeeID, trajectoryID: facts.trajectoryID, homeEntityID: facts.entityID,
                        proposedBy: principal.userID, matchRoundID: id, scoreMicros: pair.scoreMicros, on: connection)
                else { continue }
                try await store.linkPlacement(id, offerID: pair.offer.id, employeeID: pair.employeeID, placementID: placementID, on: connection)
                try placements.record(.placementProposed, placementID, facts.trajectoryID, principal, offerID: pair.offer.id, status: .proposed, on: connection)
                try AuditStore().append(AuditEntry(principal, .create, .placement, id: placementID, trajectory: facts.trajectoryID), on: connection)
            }
            try await store.markAccepted(id, on: connection)
            return .allowed(())
        }
        guard case .allowed = outcome else { try await context.deny(principal, .update, .matchRound, id: id) }
        return try await round(principal, id)
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
