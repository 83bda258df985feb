import Foundation
import PostgresLibPQ

/// One page of a ranking: the explained pairs and the position after the last.
public struct RankingPage: Sendable {
    public var items: [RankedMatch]
    public var next: Cursor?
}

/// A pair as a ranking shows it.
public struct RankedMatch: Sendable {
    public var offer: OfferSummary
    public var candidate: MatchableCandidate
    public var result: MatchResult
}

/// Ranked, explained offers for a candidate and candidates for an offer; each read audited
/// with what it showed.
public struct Rankings: Sendable {
    public enum Fit: Sendable { case fitting, failing }

    public var context: MobilityContext
    let matching = MatchingStore()

    public init(context: MobilityContext) { self.context = context }

    /// HR of the host entity: consenting candidates, best first (or why not).
    public func candidates(
        _ principal: Principal, forOffer offerID: UUID, fit: Fit, minimumScore: Double, page: PageRequest
    ) async throws -> RankingPage {
        let loaded: (MatchableOffer, [MatchableCandidate])? = try await context.database.withConnection { connection in
            guard let offer = try await matching.offers(
                .init(offerIDs: [offerID], hostEntityIDs: AccessPolicy.offerHostScope(principal), statuses: OfferStatus.allCases),
                on: connection).first
            else { return nil }
            let candidates = try await matching.candidates(.init(consentingOnly: true, mayFit: fit == .fitting ? offer.match : nil), on: connection)
            return (offer, candidates)
        }
        guard let (offer, candidates) = loaded else { try await context.deny(principal, .list, .offer, id: offerID) }
        let engine = context.engine
        let byID = Dictionary(uniqueKeysWithValues: candidates.map { ($0.employeeID, $0) })
        let results = fit == .fitting
            ? engine.rankCandidates(for: offer.match, among: candidates.map(\.match), minimumScore: minimumScore)
            : engine.failingCandidates(for: offer.match, among: candidates.map(\.match))
        let (shown, next) = Self.page(results, fit: fit, page: page, id: \.candidateID)
        let items = shown.compactMap { result in byID[result.candidateID].map { RankedMatch(offer: offer.summary, candidate: $0, result: result) } }
        try await context.auditWriter.append(items.map {
            AuditEntry(principal, .list, .candidateProfile, id: $0.candidate.employeeID, trajectory: $0.candidate.trajectoryID)
        })
        return RankingPage(items: items, next: next)
    }

    /// The keepers of a candidate's profile: open offers visible to them, best first (or why not).
    public func offers(
        _ principal: Principal, forCandidate employeeID: UUID, fit: Fit, minimumScore: Double, page: PageRequest
    ) async throws -> RankingPage {
        let store = CandidateStore()
        let loaded: (MatchableCandidate, [MatchableOffer])? = try await context.database.withConnection { connection in
            guard let (facts, trajectoryEntityID) = try await store.facts(employeeID, on: connection),
                AccessPolicy.candidateView(principal, .read, facts: facts, trajectoryEntityID: trajectoryEntityID, hrHasReason: false) == .keeper,
                let candidate = try await matching.candidates(.init(employeeIDs: [employeeID], consentingOnly: false), on: connection).first
            else { return nil }
            let offers = try await matching.offers(
                .init(visibleToEntity: facts.entityID, mayFit: fit == .fitting ? candidate.match : nil), on: connection)
            return (candidate, offers)
        }
        guard let (candidate, offers) = loaded else { try await context.deny(principal, .list, .candidateProfile, id: employeeID) }
        let engine = context.engine
        let byID = Dictionary(uniqueKeysWithValues: offers.map { ($0.match.id, $0) })
        let results = fit == .fitting
            ? engine.rankOffers(for: candidate.match, among: offers.map(\.match), minimumScore: minimumScore)
            : engine.failingOffers(for: candidate.match, among: offers.map(\.match))
        let (shown, next) = Self.page(results, fit: fit, page: page, id: \.offerID)
        let items = shown.compactMap { result in byID[result.offerID].map { RankedMatch(offer: $0.summary, candidate: candidate, result: result) } }
        try await context.auditWriter.append(
            [AuditEntry(principal, .read, .candidateProfile, id: employeeID, trajectory: candidate.trajectoryID)]
                + items.map { AuditEntry(principal, .list, .offer, id: $0.offer.id, trajectory: candidate.trajectoryID) })
        return RankingPage(items: items, next: next)
    }

    /// Keyset over the ranking's own order: by score (or, why not, by the number of failed
    /// checks) and then the id, as the engine orders them.
    static func page(_ results: [MatchResult], fit: Fit, page: PageRequest, id: KeyPath<MatchResult, UUID>) -> ([MatchResult], Cursor?) {
        func key(_ result: MatchResult) -> Int { fit == .fitting ? result.scoreMicros : result.failed.count }
        var remaining = results[...]
        if let after = page.after, let afterKey = Int(after.key) {
            let start = results.firstIndex { result in
                fit == .fitting
                    ? key(result) < afterKey || (key(result) == afterKey && result[keyPath: id].lowercasedString > after.id.lowercasedString)
                    : key(result) > afterKey || (key(result) == afterKey && result[keyPath: id].lowercasedString > after.id.lowercasedString)
            }
            remaining = results[(start ?? results.endIndex)...]
        }
        let shown = Array(remaining.prefix(page.size))
        let next = remaining.count > page.size ? shown.last.map { Cursor(key: String(key($0)), id: $0[keyPath: id]) } : nil
        return (shown, next)
    }
}

/// Labels of the score parts, for the strongest and weakest points of a match.
public enum ScorePartLabels {
    public static func label(_ part: ScorePart) -> LocalizedText {
        switch part {
        case .competencies: LocalizedText(nl: "Competenties", fr: "Compétences", de: "Kompetenzen", en: "Competencies")
        case .talents: LocalizedText(nl: "Talenten en drijfveren", fr: "Talents et motivations", de: "Talente und Motivation", en: "Talents and motivation")
        case .hoursAndDates: LocalizedText(nl: "Uren en data", fr: "Heures et dates", de: "Stunden und Termine", en: "Hours and dates")
        case .travel: LocalizedText(nl: "Verplaatsing", fr: "Déplacement", de: "Anfahrt", en: "Travel")
        case .adaptations: LocalizedText(nl: "Aanpassingen", fr: "Aménagements", de: "Anpassungen", en: "Adaptations")
        }
    }
}
