import Foundation

/// Matches temporary-mobility offers with candidates: hard constraints first, then a weighted
/// score, with the explanation of every pair. Pure and deterministic: the same input gives the
/// same output, order included.
///
/// Ties between equal scores are broken by the other side's id in byte order, which is the
/// order of the lowercased canonical UUID strings too.
public struct MatchEngine: Sendable {
    public var weights: MatchWeights
    public var travel: TravelEstimate

    /// Weights that are not valid (see `MatchWeights.isValid`) are replaced by `.standard` when scoring.
    public init(weights: MatchWeights = .standard, travel: TravelEstimate = .standard) {
        self.weights = weights
        self.travel = travel
    }

    /// The full explanation of one pair: every hard constraint (none skipped after a failure)
    /// and every score part.
    public func evaluate(_ offer: MatchOffer, _ candidate: MatchCandidate) -> MatchResult {
        let weights = MatchRules.usableWeights(weights)
        var checks: [ConstraintCheck] = []
        checks.reserveCapacity(5 + offer.competencies.count + candidate.restrictions.count)

        checks.append(ConstraintCheck(
            constraint: .visibleToEntity, passed: offer.visibleToEntityIDs?.contains(candidate.entityID) ?? true))

        let gradeAccepted = offer.gradesAccepted.isEmpty || candidate.grade.map(offer.gradesAccepted.contains) == true
        checks.append(ConstraintCheck(constraint: .gradeAccepted, passed: gradeAccepted))

        let maximumHours = candidate.maxHoursPerWeek ?? .infinity
        let hours = MatchRules.hoursCheck(
            hours: offer.hoursPerWeek, maximum: maximumHours,
            reducedHoursOffered: offer.adaptations.contains(.reducedHours))
        checks.append(ConstraintCheck(
            constraint: .hoursWithinMaximum, passed: hours.passed, coveredBy: hours.covered ? .reducedHours : nil))

        let availableDay = candidate.availableFrom?.dayNumber ?? Int.min
        let startDay = offer.startsOn.dayNumber
        checks.append(ConstraintCheck(
            constraint: .availableByStart,
            passed: MatchRules.availableByStart(availableDay: availableDay, startDay: startDay)))

        let minutes = travelMinutes(offer, candidate)
        let withinTravelLimit = candidate.maxTravelMinutes.map { limit in minutes.map { $0 <= limit } ?? true } ?? true
        checks.append(ConstraintCheck(constraint: .withinTravelLimit, passed: withinTravelLimit))

        var competencySum = 0.0
        var competencyWeight = 0.0
        for wanted in offer.competencies {
            let wantedLevel = MatchRules.wantedLevel(wanted.level)
            let level = MatchRules.candidateLevel(candidate.competencies[wanted.code] ?? 0)
            let weight = MatchRules.effectiveWeight(wanted.weight)
            competencySum += weight * MatchRules.competencyTerm(candidateLevel: level, wantedLevel: wantedLevel)
            competencyWeight += weight
            if wanted.required {
                checks.append(ConstraintCheck(
                    constraint: .requiredCompetency, subject: wanted.code, passed: level >= wantedLevel))
            }
        }

        var within = 0
        var lowered = 0
        for demand in WorkDemand.allCases {
            guard let restriction = candidate.restrictions[demand] else { continue }
            let adaptation = demand.loweredBy.first(where: offer.adaptations.contains)
            let fit = MatchRules.demandFit(
                demand: (offer.demands[demand] ?? DemandLevel.none).rank, restriction: restriction.rank,
                lowerable: adaptation != nil)
            switch fit {
            case .within: within += 1
            case .lowered: lowered += 1
            case .above: break
            }
            checks.append(ConstraintCheck(
                constraint: .demandWithinRestriction, subject: demand.rawValue, passed: fit != .above,
                coveredBy: fit == .lowered ? adaptation : nil))
        }

        let values = [
            MatchRules.competencyValue(weightedSum: competencySum, totalWeight: competencyWeight),
            MatchRules.talentValue(
                goodAt: offer.talentTags.intersection(candidate.goodAt).count,
                likesDoing: offer.talentTags.intersection(candidate.likesDoing).count,
                findsImportant: offer.talentTags.intersection(candidate.findsImportant).count,
                tags: offer.talentTags.count),
            MatchRules.hoursAndDatesValue(
                hours: offer.hoursPerWeek, maximum: maximumHours, availableDay: availableDay, startDay: startDay,
                endDay: offer.endsOn.dayNumber),
            MatchRules.travelValue(
                minutes: minutes, limit: candidate.maxTravelMinutes, teleworkDays: offer.teleworkDays,
                teleworkWanted: candidate.teleworkDaysWanted),
            MatchRules.adaptationValue(within: within, lowered: lowered, restricted: candidate.restrictions.count),
        ]
        let parts = zip(ScorePart.allCases, values).map { part, value in
            PartValue(part: part, value: value, weight: weights.weight(of: part))
        }
        let fits = checks.allSatisfy(\.passed)
        let micros =
            fits ? MatchRules.scoreMicros(values[0], values[1], values[2], values[3], values[4], weights: weights) : 0

        // Stable sorts keep ScorePart order among equal values.
        let weighted = parts.filter { $0.weight > 0 }
        let strongest = weighted.sorted { $0.value > $1.value }.prefix(2).map(\.part)
        let weakest = weighted.filter { !strongest.contains($0.part) }.sorted { $0.value < $1.value }.prefix(2).map(\.part)

        return MatchResult(
            offerID: offer.id, candidateID: candidate.id, fits: fits, score: Double(micros) / 1_000_000,
            scoreMicros: micros, parts: parts, checks: checks, strongest: strongest, weakest: weakest)
    }

    /// The shortest estimate from any preferred location to the site; nil when either is unknown.
    func travelMinutes(_ offer: MatchOffer, _ candidate: MatchCandidate) -> Int? {
        guard let site = offer.site else { return nil }
        return candidate.preferredLocations.map { travel.minutes(from: $0, to: site) }.min()
    }

    /// Fitting candidates best first: score descending, then candidate id ascending.
    public func rankCandidates(
        for offer: MatchOffer, among candidates: [MatchCandidate], minimumScore: Double = 0
    ) -> [MatchResult] {
        let results = candidates.map { evaluate(offer, $0) }
        return Self.ranked(results, keys: candidates.map(\.id), minimumScore: minimumScore)
    }

    /// Fitting offers best first: score descending, then offer id ascending.
    public func rankOffers(for candidate: MatchCandidate, among offers: [MatchOffer], minimumScore: Double = 0)
        -> [MatchResult]
    {
        let results = offers.map { evaluate($0, candidate) }
        return Self.ranked(results, keys: offers.map(\.id), minimumScore: minimumScore)
    }

    /// Why not: the candidates that fail at least one hard constraint, fewest failures first,
    /// then candidate id; each with its full explanation.
    public func failingCandidates(for offer: MatchOffer, among candidates: [MatchCandidate]) -> [MatchResult] {
        Self.failing(candidates.map { evaluate(offer, $0) }, keys: candidates.map(\.id))
    }

    /// Why not: the offers whose hard constraints the candidate fails, fewest failures first, then offer id.
    public func failingOffers(for candidate: MatchCandidate, among offers: [MatchOffer]) -> [MatchResult] {
        Self.failing(offers.map { evaluate($0, candidate) }, keys: offers.map(\.id))
    }

    /// `keys` are the ids of the other side, by result; the input position breaks the tie
    /// between duplicates, so the order is total.
    private static func ranked(_ results: [MatchResult], keys: [UUID], minimumScore: Double) -> [MatchResult] {
        let order = results.indices.filter { results[$0].fits && results[$0].score >= minimumScore }.sorted { a, b in
            if results[a].scoreMicros != results[b].scoreMicros { return results[a].scoreMicros > results[b].scoreMicros }
            return precedes(keys[a], a, keys[b], b)
        }
        return order.map { results[$0] }
    }

    private static func failing(_ results: [MatchResult], keys: [UUID]) -> [MatchResult] {
        let failedCounts = results.map { $0.checks.lazy.filter { !$0.passed }.count }
        let order = results.indices.filter { failedCounts[$0] > 0 }.sorted { a, b in
            if failedCounts[a] != failedCounts[b] { return failedCounts[a] < failedCounts[b] }
            return precedes(keys[a], a, keys[b], b)
        }
        return order.map { results[$0] }
    }

    private static func precedes(_ a: UUID, _ aPosition: Int, _ b: UUID, _ bPosition: Int) -> Bool {
        let aKey = orderKey(a)
        let bKey = orderKey(b)
        if aKey != bKey { return aKey < bKey }
        return aPosition < bPosition
    }

    /// The 16 bytes as two big-endian numbers: byte order, which is also the order of the
    /// lowercased canonical strings.
    static func orderKey(_ id: UUID) -> (UInt64, UInt64) {
        withUnsafeBytes(of: id.uuid) { bytes in
            (UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }
}
