import Foundation
import VeerkrachtAPI

// Domain values ↔ the generated API types of the marketplace. Codes are spelled the same on
// both sides (lowerCamelCase), so they convert by raw value.

extension RawRepresentable where RawValue == String {
    /// The same code in another enumeration of the same list (generated ↔ domain).
    init?<Other: RawRepresentable>(code other: Other) where Other.RawValue == String {
        self.init(rawValue: other.rawValue)
    }
}

extension Href {
    static func competency(_ code: String) -> String { "/v1/refData/competencies/\(code)" }
    static func talent(_ code: String) -> String { "/v1/refData/talents/\(code)" }
    static func catalogueEntry(_ catalogue: Catalogue, _ code: String) -> String {
        catalogue == .competencies ? competency(code) : talent(code)
    }
    static func offer(_ id: UUID) -> String { "/v1/mobility/offers/\(id.lowercasedString)" }
    static func candidate(_ employeeID: UUID) -> String { "/v1/mobility/candidates/\(employeeID.lowercasedString)" }
    static func restrictions(_ employeeID: UUID) -> String { candidate(employeeID) + "/restrictions" }
    static func placement(_ id: UUID) -> String { "/v1/mobility/placements/\(id.lowercasedString)" }
    static func matchRound(_ id: UUID) -> String { "/v1/mobility/matchRounds/\(id.lowercasedString)" }
}

extension Components.Schemas.CatalogueEntry {
    init(_ entry: CatalogueEntry, _ catalogue: Catalogue, language: Language?) {
        self.init(
            code: entry.code, href: Href.catalogueEntry(catalogue, entry.code), label: .init(entry.label, language: language),
            active: entry.active, createdAt: entry.createdAt, updatedAt: entry.updatedAt)
    }
}

// MARK: - Offers

extension Components.Schemas.JobDemands {
    init(_ demands: [WorkDemand: DemandLevel]) {
        func level(_ demand: WorkDemand) -> Components.Schemas.DemandLevel? { demands[demand].flatMap { .init(code: $0) } }
        self.init(
            physicalLoad: level(.physicalLoad), emotionalLoad: level(.emotionalLoad), customerContact: level(.customerContact),
            shiftOrNightWork: level(.shiftOrNightWork), travel: level(.travel), screenWork: level(.screenWork))
    }

    var levels: [WorkDemand: DemandLevel] {
        var levels: [WorkDemand: DemandLevel] = [:]
        for (demand, level) in [
            (WorkDemand.physicalLoad, physicalLoad), (.emotionalLoad, emotionalLoad), (.customerContact, customerContact),
            (.shiftOrNightWork, shiftOrNightWork), (.travel, travel), (.screenWork, screenWork),
        ] {
            if let level, let domain = DemandLevel(code: level) { levels[demand] = domain }
        }
        return levels
    }
}

extension Components.Schemas.RestrictionLevels {
    /// The same dimensions and levels as a job's demands.
    init(_ levels: [WorkDemand: DemandLevel]) {
        let same = Components.Schemas.JobDemands(levels)
        self.init(
            physicalLoad: same.physicalLoad, emotionalLoad: same.emotionalLoad, customerContact: same.customerContact,
            shiftOrNightWork: same.shiftOrNightWork, travel: same.travel, screenWork: same.screenWork)
    }

    var levels: [WorkDemand: DemandLevel] {
        Components.Schemas.JobDemands(
            physicalLoad: physicalLoad, emotionalLoad: emotionalLoad, customerContact: customerContact,
            shiftOrNightWork: shiftOrNightWork, travel: travel, screenWork: screenWork).levels
    }
}

extension Components.Schemas.OfferRef {
    init(_ offer: OfferSummary) {
        self.init(
            id: offer.id.lowercasedString, href: Href.offer(offer.id), reference: offer.reference, title: offer.title,
            hostEntityId: offer.hostEntityID.lowercasedString)
    }
}

extension Components.Schemas.Offer {
    init(_ offer: Offer) {
        let terms = offer.terms
        self.init(
            id: offer.id.lowercasedString, href: Href.offer(offer.id), reference: offer.reference,
            hostEntityId: offer.hostEntityID.lowercasedString, title: terms.title, description: terms.description,
            site: .init(name: terms.siteName, postcode: terms.postcode),
            competencies: terms.competencies.map { .init(code: $0.code, level: Int32($0.level), weight: $0.weight, required: $0.required) },
            talentTags: terms.talentTags, gradesAccepted: terms.gradesAccepted, hoursPerWeek: terms.hoursPerWeek,
            startsOn: terms.startsOn.description, endsOn: terms.endsOn.description, teleworkDays: Int32(terms.teleworkDays),
            demands: .init(terms.demands), adaptations: terms.adaptations.compactMap { .init(code: $0) },
            positions: Int32(terms.positions), positionsTaken: Int32(offer.positionsTaken),
            costBearer: .init(code: terms.costBearer) ?? .homeOrganisation,
            visibleToEntityIds: terms.visibleToEntityIDs?.map(\.lowercasedString), status: .init(code: offer.status) ?? .draft,
            authorId: offer.authorID.lowercasedString, approvedBy: offer.approvedBy?.lowercasedString, submittedAt: offer.submittedAt,
            publishedAt: offer.publishedAt, createdAt: offer.createdAt, updatedAt: offer.updatedAt)
    }
}

// MARK: - Candidates

extension Components.Schemas.CandidateProfile {
    init(_ shown: CandidateProfileView) {
        let details = shown.profile.details
        let facts = shown.facts
        self.init(
            employee: .init(
                id: facts.employeeID.lowercasedString, href: Href.employee(facts.employeeID), givenName: facts.givenName,
                familyName: facts.familyName, entityId: facts.entityID.lowercasedString, grade: facts.grade),
            href: Href.candidate(facts.employeeID),
            trajectoryId: shown.view == .keeper ? facts.trajectoryID?.lowercasedString : nil,
            competencies: details.competencies.sorted { $0.key < $1.key }.map { .init(code: $0.key, level: Int32($0.value)) },
            talents: .init(goodAt: details.goodAt, likesDoing: details.likesDoing, findsImportant: details.findsImportant, note: details.talentNote),
            preferredPostcodes: details.preferredPostcodes, maxTravelMinutes: details.maxTravelMinutes.map(Int32.init),
            maxHoursPerWeek: details.maxHoursPerWeek, availableFrom: details.availableFrom?.description,
            teleworkDaysWanted: details.teleworkDaysWanted.map(Int32.init), requestedMove: details.requestedMove,
            createdAt: shown.profile.createdAt, updatedAt: shown.profile.updatedAt)
    }
}

extension Components.Schemas.FunctionalRestrictions {
    init(_ restrictions: FunctionalRestrictions) {
        self.init(
            employeeId: restrictions.employeeID.lowercasedString, href: Href.restrictions(restrictions.employeeID),
            restrictions: .init(restrictions.levels), setBy: restrictions.setBy?.lowercasedString, updatedAt: restrictions.updatedAt)
    }
}

// MARK: - Matching

extension Components.Schemas.MatchPoint {
    init(_ part: ScorePart, language: Language?) {
        self.init(code: .init(code: part) ?? .competencies, label: .init(ScorePartLabels.label(part), language: language))
    }
}

extension Components.Schemas.MatchPartValue {
    init(_ part: ScorePart, value: Double, weight: Double) {
        self.init(part: .init(code: part) ?? .competencies, value: value, weight: weight)
    }
}

extension Components.Schemas.Match {
    init(_ match: RankedMatch, language: Language?) {
        let result = match.result
        self.init(
            offer: .init(match.offer),
            candidate: .init(
                employeeId: match.candidate.employeeID.lowercasedString, href: Href.candidate(match.candidate.employeeID),
                givenName: match.candidate.givenName, familyName: match.candidate.familyName),
            fits: result.fits, score: result.score,
            parts: result.parts.map { .init($0.part, value: $0.value, weight: $0.weight) },
            checks: result.checks.map {
                .init(constraint: .init(code: $0.constraint) ?? .visibleToEntity, subject: $0.subject, passed: $0.passed,
                      coveredBy: $0.coveredBy.flatMap { .init(code: $0) })
            },
            strongest: result.strongest.map { .init($0, language: language) },
            weakest: result.weakest.map { .init($0, language: language) })
    }
}

extension Components.Schemas.MatchRound {
    init(_ round: MatchRound, language: Language?) {
        self.init(
            id: round.id.lowercasedString, href: Href.matchRound(round.id), status: .init(code: round.status) ?? .running,
            phase: .init(code: round.phase) ?? .reading, progress: round.progress, minimumScore: round.minimumScore,
            offerCount: round.offerCount.map(Int32.init), candidateCount: round.candidateCount.map(Int32.init),
            feasiblePairCount: round.feasiblePairCount.map(Int64.init),
            totalScore: round.totalScoreMicros.map { Double($0) / 1_000_000 },
            greedyTotalScore: round.greedyTotalMicros.map { Double($0) / 1_000_000 },
            timings: round.timings.map {
                .init(readingMs: $0.readingMs, evaluatingMs: $0.evaluatingMs, solvingMs: $0.solvingMs, storingMs: $0.storingMs)
            },
            pairs: round.status == .completed ? round.pairs.map { pair in
                .init(
                    offer: .init(pair.offer),
                    candidate: .init(
                        employeeId: pair.employeeID.lowercasedString, href: Href.candidate(pair.employeeID), givenName: pair.givenName,
                        familyName: pair.familyName),
                    score: Double(pair.scoreMicros) / 1_000_000, inOptimum: pair.inOptimum, inGreedy: pair.inGreedy,
                    parts: pair.explanation.parts.map { .init($0.part, value: $0.value, weight: $0.weight) },
                    strongest: pair.explanation.strongest.map { .init($0, language: language) },
                    weakest: pair.explanation.weakest.map { .init($0, language: language) },
                    placementId: pair.placementID?.lowercasedString)
            } : nil,
            acceptedAt: round.acceptedAt, createdAt: round.createdAt, completedAt: round.completedAt)
    }
}

// MARK: - Placements

extension Components.Schemas.Placement {
    init(_ shown: PlacementView) {
        let placement = shown.placement
        self.init(
            id: placement.id.lowercasedString, href: Href.placement(placement.id), offer: .init(placement.offer),
            employeeId: placement.employeeID.lowercasedString,
            trajectoryId: shown.showsTrajectory ? placement.trajectoryID?.lowercasedString : nil,
            homeEntityId: placement.homeEntityID.lowercasedString, status: .init(code: placement.status) ?? .proposed,
            proposedBy: placement.proposedBy.lowercasedString, matchRoundId: placement.matchRoundID?.lowercasedString,
            score: placement.scoreMicros.map { Double($0) / 1_000_000 },
            agreement: placement.agreement.map {
                .init(
                    startsOn: $0.startsOn.description, endsOn: $0.endsOn.description, hoursPerWeek: $0.hoursPerWeek,
                    costBearer: .init(code: $0.costBearer) ?? .homeOrganisation, adaptations: $0.adaptations.compactMap { .init(code: $0) })
            },
            releasedBy: placement.releasedBy.flatMap { .init(code: $0) }, startedOn: placement.startedOn?.description,
            endedOn: placement.endedOn?.description, declineReason: placement.declineReason,
            evaluations: placement.evaluations.map {
                .init(
                    side: .init(code: $0.side) ?? .officer, went: Int32($0.went), hostWouldContinue: $0.hostWouldContinue,
                    gaveEnergy: $0.gaveEnergy.map(Int32.init), helpedReturn: $0.helpedReturn, note: $0.note,
                    evaluatedBy: $0.evaluatedBy.lowercasedString, createdAt: $0.createdAt)
            },
            createdAt: placement.createdAt, updatedAt: placement.updatedAt)
    }
}
