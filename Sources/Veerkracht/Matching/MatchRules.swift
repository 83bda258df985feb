import Foundation

/// The rules of a match, as plain functions of numbers. `MatchEngine.evaluate` (with the
/// explanation) and the fast path of `feasiblePairs` (without) both call exactly these, in
/// the same order, so the two agree on every score to the last bit.
enum MatchRules {
    // MARK: Hard constraints

    /// Hours fit when the offer asks no more than the candidate's maximum. With reduced hours
    /// on offer, a candidate who can work at least half the offer's hours fits too: the host
    /// has said the job can shrink, and less than half would no longer be the same job.
    static func hoursCheck(hours: Double, maximum: Double, reducedHoursOffered: Bool) -> (passed: Bool, covered: Bool) {
        if hours <= maximum { return (true, false) }
        if reducedHoursOffered && maximum * 2 >= hours { return (true, true) }
        return (false, false)
    }

    /// `availableDay` is `Int.min` when the candidate gave no date.
    static func availableByStart(availableDay: Int, startDay: Int) -> Bool {
        availableDay <= startDay
    }

    /// Levels are on a 1–5 scale: a wanted level is at least 1, a candidate's at least 0
    /// (0: does not have it), both at most 5.
    static func wantedLevel(_ level: Int) -> Int { min(max(level, 1), 5) }
    static func candidateLevel(_ level: Int) -> Int { min(max(level, 0), 5) }

    /// How a job's demand on one restricted dimension meets the restriction.
    enum DemandFit {
        case within, lowered, above
    }

    /// An offered adaptation lowers a demand by one level, never more.
    static func demandFit(demand: Int, restriction: Int, lowerable: Bool) -> DemandFit {
        if demand <= restriction { return .within }
        if lowerable && demand - 1 <= restriction { return .lowered }
        return .above
    }

    // MARK: Score parts, each in 0...1

    /// A non-positive (or nonsense) weight counts as 0, so one bad entry cannot turn a score negative.
    static func effectiveWeight(_ weight: Double) -> Double {
        weight > 0 && weight.isFinite ? weight : 0
    }

    /// How much of one wanted competency the candidate brings: above the wanted level counts
    /// as exactly enough, so a specialist does not outscore someone who fits on every count.
    static func competencyTerm(candidateLevel: Int, wantedLevel: Int) -> Double {
        Double(min(candidateLevel, wantedLevel)) / Double(wantedLevel)
    }

    /// The weighted share; 1 when the offer wants nothing (no competency stands in the way).
    static func competencyValue(weightedSum: Double, totalWeight: Double) -> Double {
        totalWeight > 0 ? unit(weightedSum / totalWeight) : 1
    }

    /// The share of the offer's tags the candidate is good at counts most (0.5): that is what
    /// the job uses; liking it (0.3) and finding it important (0.2) make it last. Neutral 0.5
    /// when the offer names no tags, so an offer without tags neither helps nor hurts.
    static func talentValue(goodAt: Int, likesDoing: Int, findsImportant: Int, tags: Int) -> Double {
        guard tags > 0 else { return 0.5 }
        return unit((0.5 * Double(goodAt) + 0.3 * Double(likesDoing) + 0.2 * Double(findsImportant)) / Double(tags))
    }

    /// The mean of two fits. Hours: the share of the offer's hours the candidate can work (1
    /// within the maximum, ½ at half of it). Dates: the share of the offer's period, first to
    /// last day, left from the day the candidate is available (1 when available by the start),
    /// so being a week late costs more on a short assignment than on a long one.
    /// `availableDay` is `Int.min` when the candidate gave no date.
    static func hoursAndDatesValue(
        hours: Double, maximum: Double, availableDay: Int, startDay: Int, endDay: Int
    ) -> Double {
        let hoursFit = hours <= maximum ? 1 : unit(maximum / hours)
        let dateFit: Double
        if availableDay <= startDay {
            dateFit = 1
        } else {
            let period = max(1, endDay - startDay + 1)
            dateFit = unit(Double(endDay - availableDay + 1) / Double(period))
        }
        return (hoursFit + dateFit) / 2
    }

    /// Travel up to a quarter of an hour is as good as none.
    static let effortlessMinutes = 15
    /// Without a limit of their own a candidate is assumed to find 90 minutes one way too far.
    static let defaultTravelLimitMinutes = 90
    /// Each telework day the candidate wants but the offer does not allow costs this much.
    static let teleworkShortfallPenalty = 0.05

    /// 1 up to 15 minutes, falling linearly to 0 at the candidate's limit (90 without one).
    /// Only commuting days count: with t telework days the loss is scaled by (5 − t) / 5.
    /// Neutral 0.5 when the site or the candidate's locations are unknown. Minus 0.05 per
    /// telework day wanted beyond what the offer allows.
    /// `minutes` is nil when unknown; `limit`, `teleworkWanted` are nil when not given.
    static func travelValue(minutes: Int?, limit: Int?, teleworkDays: Int, teleworkWanted: Int?) -> Double {
        let base: Double
        if let minutes {
            let limit = limit ?? defaultTravelLimitMinutes
            let closeness: Double
            if minutes <= effortlessMinutes {
                closeness = 1
            } else if minutes >= limit {
                closeness = 0
            } else {
                closeness = 1 - Double(minutes - effortlessMinutes) / Double(limit - effortlessMinutes)
            }
            let commuteDays = 5 - min(max(teleworkDays, 0), 5)
            base = 1 - (1 - closeness) * Double(commuteDays) / 5
        } else {
            base = 0.5
        }
        let shortfall = max(0, min(max(teleworkWanted ?? 0, 0), 5) - min(max(teleworkDays, 0), 5))
        return unit(base - teleworkShortfallPenalty * Double(shortfall))
    }

    /// An adaptation works, but it asks something of the host and of the person, and it may not
    /// take: a demand within the restriction only thanks to one counts 0.8 of a plain fit.
    static let loweredDemandCredit = 0.8

    /// The mean over the candidate's restricted dimensions (1 within, 0.8 lowered, 0 above);
    /// 1 for a candidate without restrictions.
    static func adaptationValue(within: Int, lowered: Int, restricted: Int) -> Double {
        guard restricted > 0 else { return 1 }
        return unit((Double(within) + loweredDemandCredit * Double(lowered)) / Double(restricted))
    }

    // MARK: The score

    /// The weights the score uses: the engine's own, or the standard set if those are not
    /// valid (all zero, negative, not finite), so a bad configuration cannot produce NaN.
    static func usableWeights(_ weights: MatchWeights) -> MatchWeights {
        weights.isValid ? weights : .standard
    }

    /// The weighted mean of the parts (in `ScorePart` order), in millionths, rounded.
    static func scoreMicros(
        _ competencies: Double, _ talents: Double, _ hoursAndDates: Double, _ travel: Double, _ adaptations: Double,
        weights w: MatchWeights
    ) -> Int {
        var sum = w.competencies * competencies
        sum += w.talents * talents
        sum += w.hoursAndDates * hoursAndDates
        sum += w.travel * travel
        sum += w.adaptations * adaptations
        var total = w.competencies
        total += w.talents
        total += w.hoursAndDates
        total += w.travel
        total += w.adaptations
        return Int((unit(sum / total) * 1_000_000).rounded())
    }

    /// Clamped to 0...1; NaN becomes 0.
    static func unit(_ value: Double) -> Double {
        value >= 0 ? min(value, 1) : 0
    }
}
