import Foundation
import Testing
@testable import Veerkracht

@Suite("Matching: hard constraints, score parts, rankings, the fast path")
struct MatchEngineTests {
    let engine = MatchEngine()

    // MARK: Hard constraints

    @Test(arguments: HardConstraint.allCases)
    func eachHardConstraintFailsAloneAndIsReportedByName(_ constraint: HardConstraint) {
        var offer = fittingOffer()
        var candidate = fittingCandidate()
        var subject: String?
        switch constraint {
        case .visibleToEntity: offer.visibleToEntityIDs = [otherEntity]
        case .gradeAccepted: offer.gradesAccepted = ["B1"]
        case .hoursWithinMaximum: candidate.maxHoursPerWeek = 24
        case .availableByStart: candidate.availableFrom = matchDay("2026-03-10")
        case .withinTravelLimit: candidate.maxTravelMinutes = 20
        case .requiredCompetency:
            candidate.competencies["excel"] = 2
            subject = "excel"
        case .demandWithinRestriction:
            candidate.restrictions[.customerContact] = DemandLevel.none
            subject = "customerContact"
        }
        #expect(engine.evaluate(fittingOffer(), fittingCandidate()).fits)
        let result = engine.evaluate(offer, candidate)
        #expect(!result.fits)
        #expect(result.score == 0 && result.scoreMicros == 0)
        #expect(result.failed.map(\.constraint) == [constraint])
        #expect(result.failed.first?.subject == subject)
        // Every check is still there, in the fixed order.
        let restricted = candidate.restrictions.count
        #expect(result.checks.count == 5 + 1 + restricted)
        #expect(Array(result.checks.map(\.constraint).prefix(6)) == [
            .visibleToEntity, .gradeAccepted, .hoursWithinMaximum, .availableByStart, .withinTravelLimit,
            .requiredCompetency,
        ])
        #expect(result.parts.map(\.part) == ScorePart.allCases)
    }

    @Test func allFailuresAreReportedNotOnlyTheFirst() {
        var offer = fittingOffer()
        offer.gradesAccepted = ["B1"]
        offer.competencies.append(WantedCompetency(code: "coaching", level: 3, weight: 1, required: true))
        var candidate = fittingCandidate()
        candidate.maxHoursPerWeek = 19
        candidate.restrictions = [.screenWork: .low, .physicalLoad: .high]
        let result = engine.evaluate(offer, candidate)
        #expect(result.checks.map(\.constraint) == [
            .visibleToEntity, .gradeAccepted, .hoursWithinMaximum, .availableByStart, .withinTravelLimit,
            .requiredCompetency, .requiredCompetency, .demandWithinRestriction, .demandWithinRestriction,
        ])
        #expect(result.checks.compactMap(\.subject) == ["excel", "coaching", "physicalLoad", "screenWork"])
        // Screen work is medium, the restriction low: adapted equipment (offered) lowers it one level.
        #expect(result.failed.map(\.constraint) == [.gradeAccepted, .hoursWithinMaximum, .requiredCompetency])
        #expect(result.failed.map(\.subject) == [nil, nil, "coaching"])
        #expect(result.checks.last?.coveredBy == .adaptedEquipment)
    }

    @Test func anOfferedAdaptationLowersADemandByOneLevel() {
        var offer = fittingOffer()
        offer.demands = [.physicalLoad: .medium]
        offer.adaptations = [.adaptedEquipment, .gradualStart]
        var candidate = fittingCandidate()
        candidate.restrictions = [.physicalLoad: .low]
        let covered = engine.evaluate(offer, candidate)
        #expect(covered.fits)
        let check = covered.checks.first { $0.constraint == .demandWithinRestriction }
        // Both lower physical load; the first in Adaptation.allCases order is named.
        #expect(check == ConstraintCheck(
            constraint: .demandWithinRestriction, subject: "physicalLoad", passed: true, coveredBy: .gradualStart))
        #expect(covered.parts.first { $0.part == .adaptations }?.value == 0.8)

        // Two levels above the restriction: no adaptation lowers that far.
        offer.demands = [.physicalLoad: .high]
        let twoAbove = engine.evaluate(offer, candidate)
        #expect(twoAbove.failed == [ConstraintCheck(
            constraint: .demandWithinRestriction, subject: "physicalLoad", passed: false, coveredBy: nil)])
        #expect(twoAbove.parts.first { $0.part == .adaptations }?.value == 0)

        // An adaptation that does not lower this demand.
        offer.demands = [.physicalLoad: .medium]
        offer.adaptations = [.quietWorkplace, .flexibleSchedule]
        #expect(engine.evaluate(offer, candidate).failed.map(\.subject) == ["physicalLoad"])

        // Within the restriction without help: nothing is named.
        candidate.restrictions = [.physicalLoad: .medium]
        let within = engine.evaluate(offer, candidate)
        #expect(within.fits && within.checks.allSatisfy { $0.coveredBy == nil })
    }

    @Test func reducedHoursLetACandidateWorkingHalfTheHoursFit() {
        var offer = fittingOffer()
        offer.hoursPerWeek = 38
        offer.adaptations = [.reducedHours]
        var candidate = fittingCandidate()
        candidate.maxHoursPerWeek = 19
        let half = engine.evaluate(offer, candidate)
        #expect(half.checks[2] == ConstraintCheck(constraint: .hoursWithinMaximum, passed: true, coveredBy: .reducedHours))
        #expect(half.parts[2].value == 0.75)  // hours fit ½, dates 1
        candidate.maxHoursPerWeek = 18.5
        #expect(engine.evaluate(offer, candidate).failed.map(\.constraint) == [.hoursWithinMaximum])
        candidate.maxHoursPerWeek = nil
        #expect(engine.evaluate(offer, candidate).checks[2].coveredBy == nil)
    }

    @Test func unknownLocationsOrNoLimitNeverFailTheTravelCheck() {
        var offer = fittingOffer()
        var candidate = fittingCandidate()
        candidate.preferredLocations = [GeoPoint(latitude: 51.2194, longitude: 4.4025)]  // Antwerp, ~45 km
        candidate.maxTravelMinutes = 30
        #expect(engine.evaluate(offer, candidate).failed.map(\.constraint) == [.withinTravelLimit])
        candidate.maxTravelMinutes = nil
        #expect(engine.evaluate(offer, candidate).fits)
        candidate.maxTravelMinutes = 30
        offer.site = nil
        #expect(engine.evaluate(offer, candidate).fits)
        offer.site = brussels
        candidate.preferredLocations = []
        #expect(engine.evaluate(offer, candidate).fits)
        // The nearest of several preferred locations counts.
        candidate.preferredLocations = [GeoPoint(latitude: 51.2194, longitude: 4.4025), brussels]
        #expect(engine.evaluate(offer, candidate).fits)
    }

    @Test func aCandidateWithoutGradeFailsAnOfferThatRestrictsGrades() {
        var offer = fittingOffer()
        var candidate = fittingCandidate()
        candidate.grade = nil
        #expect(engine.evaluate(offer, candidate).fits)
        offer.gradesAccepted = ["A2"]
        #expect(engine.evaluate(offer, candidate).failed.map(\.constraint) == [.gradeAccepted])
    }

    // MARK: Score parts

    @Test func eachScorePartOnAHandComputedExample() throws {
        let offer = MatchOffer(
            id: id(1), hostEntityID: hostEntity,
            competencies: [
                WantedCompetency(code: "excel", level: 3, weight: 2, required: true),
                WantedCompetency(code: "planning", level: 4, weight: 1),
                WantedCompetency(code: "languages", level: 2, weight: 1),
            ],
            talentTags: ["analysis", "organising", "coaching", "writing"], hoursPerWeek: 36,
            startsOn: matchDay("2026-03-02"), endsOn: matchDay("2026-06-09"),  // 100 days, first and last included
            site: GeoPoint(latitude: 50.1, longitude: 4.0), teleworkDays: 2,
            demands: [.physicalLoad: .low, .customerContact: .low, .screenWork: .medium],
            adaptations: [.reducedHours, .quietWorkplace])
        let candidate = MatchCandidate(
            id: id(2), entityID: candidateEntity, competencies: ["excel": 5, "planning": 2],
            goodAt: ["analysis", "coaching"], likesDoing: ["organising"],
            findsImportant: ["analysis", "writing", "organising"],
            preferredLocations: [GeoPoint(latitude: 50.0, longitude: 4.0)], maxTravelMinutes: 60, maxHoursPerWeek: 24,
            availableFrom: matchDay("2026-03-12"),
            restrictions: [.physicalLoad: .low, .customerContact: DemandLevel.none, .screenWork: .high])

        // 0.1° of latitude is 11.12 km: 10 + 11.12 × 1.3 / 50 × 60 = 27.35, so 27 minutes.
        #expect(TravelEstimate.standard.minutes(from: candidate.preferredLocations[0], to: offer.site!) == 27)
        let result = engine.evaluate(offer, candidate)
        let values = result.parts.map(\.value)
        // (2 × 1 + 1 × 2/4 + 1 × 0) / 4
        #expect(abs(values[0] - 0.625) < 1e-12)
        // (0.5 × 2 + 0.3 × 1 + 0.2 × 3) / 4
        #expect(abs(values[1] - 0.475) < 1e-12)
        // Hours 24 of 36 (reduced hours); available on day 11 of 100, so 90 of them left.
        #expect(abs(values[2] - (24.0 / 36.0 + 0.9) / 2) < 1e-12)
        // 1 − (27 − 15) / (60 − 15) = 0.7333; 3 commuting days of 5 keep 3/5 of the loss.
        #expect(abs(values[3] - (1 - (12.0 / 45.0) * 3 / 5)) < 1e-12)
        // Physical load and screen work within, customer contact lowered by the quiet workplace.
        #expect(abs(values[4] - 2.8 / 3) < 1e-12)

        // Late and two of three restrictions fine: fits only in part, so the score is 0...
        #expect(!result.fits && result.failed.map(\.constraint) == [.availableByStart])
        #expect(result.scoreMicros == 0)
        // ...and on time it is the weighted mean of the same parts, with the date fit now 1.
        var onTime = candidate
        onTime.availableFrom = matchDay("2026-03-02")
        let fitting = engine.evaluate(offer, onTime)
        let w = MatchWeights.standard
        let expected = (w.competencies * 0.625 + w.talents * 0.475 + w.hoursAndDates * (24.0 / 36.0 + 1) / 2
            + w.travel * (1 - (12.0 / 45.0) * 3 / 5) + w.adaptations * 2.8 / 3)
            / (w.competencies + w.talents + w.hoursAndDates + w.travel + w.adaptations)
        #expect(fitting.fits)
        #expect(fitting.scoreMicros == Int((expected * 1_000_000).rounded()))
        #expect(fitting.score == Double(fitting.scoreMicros) / 1_000_000)
        #expect(fitting.parts.map(\.weight) == ScorePart.allCases.map(w.weight(of:)))
        // Adaptations 0.933 and travel 0.84 are the highest (hours and dates 0.833 next), talents
        // 0.475 and competencies 0.625 the lowest.
        #expect(fitting.strongest == [.adaptations, .travel])
        #expect(fitting.weakest == [.talents, .competencies])
    }

    @Test func neutralValuesWhenTheOfferOrProfileSaysNothing() {
        var offer = fittingOffer()
        offer.competencies = []
        offer.talentTags = []
        offer.site = nil
        var candidate = fittingCandidate()
        candidate.restrictions = [:]
        candidate.teleworkDaysWanted = nil
        let values = engine.evaluate(offer, candidate).parts.map(\.value)
        #expect(values == [1, 0.5, 1, 0.5, 1])
    }

    @Test func travelCountsOnlyCommutingDaysAndWantedTeleworkCostsALittle() {
        let near = 15
        let limit = 75
        #expect(MatchRules.travelValue(minutes: near, limit: limit, teleworkDays: 0, teleworkWanted: nil) == 1)
        #expect(MatchRules.travelValue(minutes: limit, limit: limit, teleworkDays: 0, teleworkWanted: nil) == 0)
        #expect(MatchRules.travelValue(minutes: 45, limit: limit, teleworkDays: 0, teleworkWanted: nil) == 0.5)
        #expect(abs(MatchRules.travelValue(minutes: 45, limit: nil, teleworkDays: 0, teleworkWanted: nil) - 0.6) < 1e-12)
        #expect(MatchRules.travelValue(minutes: limit, limit: limit, teleworkDays: 5, teleworkWanted: nil) == 1)
        #expect(abs(MatchRules.travelValue(minutes: 45, limit: limit, teleworkDays: 2, teleworkWanted: 4) - (0.7 - 0.1)) < 1e-12)
        #expect(MatchRules.travelValue(minutes: nil, limit: limit, teleworkDays: 1, teleworkWanted: 1) == 0.5)
    }

    @Test func weightsNeedNotSumToOneAndInvalidOnesFallBackToTheStandard() {
        let offer = fittingOffer()
        let candidate = fittingCandidate()
        let standard = engine.evaluate(offer, candidate)
        let w = MatchWeights.standard
        let doubled = MatchWeights(
            competencies: w.competencies * 2, talents: w.talents * 2, hoursAndDates: w.hoursAndDates * 2,
            travel: w.travel * 2, adaptations: w.adaptations * 2)
        #expect(MatchEngine(weights: doubled).evaluate(offer, candidate).scoreMicros == standard.scoreMicros)

        let onlyTalents = MatchWeights(competencies: 0, talents: 3, hoursAndDates: 0, travel: 0, adaptations: 0)
        let talentsOnly = MatchEngine(weights: onlyTalents).evaluate(offer, candidate)
        #expect(talentsOnly.scoreMicros == Int((talentsOnly.parts[1].value * 1_000_000).rounded()))
        #expect(talentsOnly.strongest == [.talents] && talentsOnly.weakest.isEmpty)

        for invalid in [
            MatchWeights(competencies: 0, talents: 0, hoursAndDates: 0, travel: 0, adaptations: 0),
            MatchWeights(competencies: -1, talents: 1, hoursAndDates: 1, travel: 1, adaptations: 1),
            MatchWeights(competencies: .nan, talents: 1, hoursAndDates: 1, travel: 1, adaptations: 1),
        ] {
            #expect(!invalid.isValid)
            #expect(MatchEngine(weights: invalid).evaluate(offer, candidate) == standard)
        }
        #expect(MatchWeights.standard.isValid)
    }

    // MARK: Properties on random instances

    @Test func moreCompetencyAnExtraTalentOrACloserLocationNeverLowersTheScore() {
        var random = SeededRandom(seed: 11)
        var raisedFits = 0
        for _ in 0..<400 {
            let offer = randomOffer(&random, index: 0)
            let candidate = randomCandidate(&random, index: 0)
            let base = engine.evaluate(offer, candidate).scoreMicros

            var stronger = candidate
            let code = offer.competencies.randomElement(using: &random)?.code ?? "excel"
            stronger.competencies[code] = min(5, (stronger.competencies[code] ?? 0) + Int.random(in: 1...2, using: &random))
            let raised = engine.evaluate(offer, stronger)
            #expect(raised.scoreMicros >= base)
            if raised.fits { raisedFits += 1 }

            var talented = candidate
            let tag = (Array(offer.talentTags) + ["t0"]).randomElement(using: &random)!
            switch Int.random(in: 0..<3, using: &random) {
            case 0: talented.goodAt.insert(tag)
            case 1: talented.likesDoing.insert(tag)
            default: talented.findsImportant.insert(tag)
            }
            #expect(engine.evaluate(offer, talented).scoreMicros >= base)

            if let site = offer.site, !candidate.preferredLocations.isEmpty {
                var closer = candidate
                let k = Int.random(in: 0..<closer.preferredLocations.count, using: &random)
                let from = closer.preferredLocations[k]
                closer.preferredLocations[k] = GeoPoint(
                    latitude: (from.latitude + site.latitude) / 2, longitude: (from.longitude + site.longitude) / 2)
                #expect(engine.evaluate(offer, closer).scoreMicros >= base)
            }
        }
        #expect(raisedFits > 20, "the instances should fit often enough to mean something")
    }

    @Test func theFastPathEqualsEvaluateOnRandomInstances() async {
        var random = SeededRandom(seed: 21)
        for round in 0..<3 {
            let offers = (0..<40).map { randomOffer(&random, index: $0) }
            let candidates = (0..<90).map { randomCandidate(&random, index: $0) }
            let steps = ProgressLog()
            let pairs = await engine.feasiblePairs(offers: offers, candidates: candidates, progress: { steps.add($0) })
            var expected: [(Int32, Int32, Int32)] = []
            for (o, offer) in offers.enumerated() {
                for (c, candidate) in candidates.enumerated() {
                    let result = engine.evaluate(offer, candidate)
                    if result.fits { expected.append((Int32(o), Int32(c), Int32(result.scoreMicros))) }
                }
            }
            #expect(pairs.offerIndex == expected.map(\.0), "round \(round)")
            #expect(pairs.candidateIndex == expected.map(\.1), "round \(round)")
            #expect(pairs.scoreMicros == expected.map(\.2), "round \(round)")
            #expect(pairs.count > 100, "round \(round): enough pairs fit to compare")
            let fractions = steps.values
            #expect(fractions == fractions.sorted() && fractions.last == 1)

            // The threshold keeps exactly the pairs at or above it.
            let threshold = 600_000
            let strong = await engine.feasiblePairs(offers: offers, candidates: candidates, minimumScoreMicros: threshold)
            #expect(strong.scoreMicros == expected.map(\.2).filter { $0 >= threshold })
        }
    }

    @Test func feasiblePairsOfNothingIsEmpty() async {
        let steps = ProgressLog()
        let none = await engine.feasiblePairs(offers: [], candidates: [fittingCandidate()], progress: { steps.add($0) })
        #expect(none.count == 0 && steps.values == [1])
        let noCandidates = await engine.feasiblePairs(offers: [fittingOffer()], candidates: [])
        #expect(noCandidates.count == 0)
    }

    // MARK: Rankings and why-not

    @Test func rankingsAreDeterministicAndIndependentOfInputOrder() async {
        var random = SeededRandom(seed: 31)
        let offers = (0..<25).map { randomOffer(&random, index: $0) }
        let candidates = (0..<120).map { randomCandidate(&random, index: $0) }
        for offer in offers.prefix(8) {
            let ranking = engine.rankCandidates(for: offer, among: candidates)
            #expect(engine.rankCandidates(for: offer, among: candidates) == ranking)
            #expect(engine.rankCandidates(for: offer, among: candidates.shuffled(using: &random)) == ranking)
            #expect(engine.failingCandidates(for: offer, among: candidates.shuffled(using: &random))
                == engine.failingCandidates(for: offer, among: candidates))
        }
        for candidate in candidates.prefix(8) {
            let ranking = engine.rankOffers(for: candidate, among: offers)
            #expect(engine.rankOffers(for: candidate, among: offers.shuffled(using: &random)) == ranking)
            #expect(engine.failingOffers(for: candidate, among: offers.shuffled(using: &random))
                == engine.failingOffers(for: candidate, among: offers))
        }
        let first = await engine.feasiblePairs(offers: offers, candidates: candidates)
        let second = await engine.feasiblePairs(offers: offers, candidates: candidates)
        #expect(first.offerIndex == second.offerIndex && first.candidateIndex == second.candidateIndex
            && first.scoreMicros == second.scoreMicros)
    }

    @Test func rankingIsByScoreThenByIdAscending() {
        let offer = fittingOffer()
        var weaker = fittingCandidate()
        weaker.id = id(0x01)
        weaker.competencies["planning"] = 1
        // Created in an order that differs from the id order.
        let ids = [id(0xC0), id(0x0A), id(0x7F)]
        let tied = ids.map { identifier in
            var candidate = fittingCandidate()
            candidate.id = identifier
            return candidate
        }
        let ranking = engine.rankCandidates(for: offer, among: [weaker] + tied)
        #expect(ranking.map(\.candidateID) == [id(0x0A), id(0x7F), id(0xC0), id(0x01)])
        #expect(Array(ranking.prefix(3)).map { $0.candidateID.uuidString.lowercased() }
            == ids.map { $0.uuidString.lowercased() }.sorted())
        #expect(ranking[0].scoreMicros == ranking[2].scoreMicros && ranking[2].scoreMicros > ranking[3].scoreMicros)

        let cutoff = Double(ranking[0].scoreMicros) / 1_000_000
        #expect(engine.rankCandidates(for: offer, among: [weaker] + tied, minimumScore: cutoff).count == 3)

        var offers = [offer, offer, offer]
        offers[0].id = id(0x30)
        offers[1].id = id(0x10)
        offers[2].id = id(0x20)
        #expect(engine.rankOffers(for: tied[0], among: offers).map(\.offerID) == [id(0x10), id(0x20), id(0x30)])
    }

    @Test func whyNotListsOnlyFailingPairsFewestFailuresFirst() {
        let offer = fittingOffer()
        var oneFailure = fittingCandidate()
        oneFailure.id = id(0x50)
        oneFailure.maxHoursPerWeek = 10
        var alsoOne = fittingCandidate()
        alsoOne.id = id(0x40)
        alsoOne.grade = "D1"
        var threeFailures = fittingCandidate()
        threeFailures.id = id(0x20)
        threeFailures.entityID = otherEntity
        threeFailures.competencies = [:]
        threeFailures.availableFrom = matchDay("2026-12-01")
        var fitting = fittingCandidate()
        fitting.id = id(0x10)
        var visibleOffer = offer
        visibleOffer.visibleToEntityIDs = [candidateEntity]
        visibleOffer.gradesAccepted = ["A2"]

        let candidates = [threeFailures, fitting, oneFailure, alsoOne]
        let whyNot = engine.failingCandidates(for: visibleOffer, among: candidates)
        #expect(whyNot.map(\.candidateID) == [id(0x40), id(0x50), id(0x20)])
        #expect(whyNot.allSatisfy { !$0.fits && $0.scoreMicros == 0 })
        #expect(whyNot.map { $0.failed.map(\.constraint) } == [
            [.gradeAccepted], [.hoursWithinMaximum], [.visibleToEntity, .availableByStart, .requiredCompetency],
        ])
        // The parts are computed for the why-not view too.
        #expect(whyNot[0].parts.count == ScorePart.allCases.count)
        // Ranked and why-not split the candidates between them.
        let ranked = engine.rankCandidates(for: visibleOffer, among: candidates)
        #expect(ranked.map(\.candidateID) == [id(0x10)])

        let offers = [visibleOffer, offer]
        #expect(engine.failingOffers(for: threeFailures, among: offers).map { $0.failed.count } == [2, 3])
        #expect(engine.failingOffers(for: fitting, among: offers).isEmpty)
    }

    @Test func evaluateIsDeterministic() {
        var random = SeededRandom(seed: 41)
        for _ in 0..<50 {
            let offer = randomOffer(&random, index: 0)
            let candidate = randomCandidate(&random, index: 0)
            #expect(engine.evaluate(offer, candidate) == engine.evaluate(offer, candidate))
        }
    }

    // MARK: - Fixtures

    private let hostEntity = id(0xE0)
    private let candidateEntity = id(0xE1)
    private let otherEntity = id(0xE2)
    private let brussels = GeoPoint(latitude: 50.8466, longitude: 4.3528)

    /// An offer the candidate below fits on every count.
    private func fittingOffer() -> MatchOffer {
        MatchOffer(
            id: id(0xA0), hostEntityID: hostEntity,
            competencies: [
                WantedCompetency(code: "excel", level: 3, weight: 2, required: true),
                WantedCompetency(code: "planning", level: 2, weight: 1),
            ],
            talentTags: ["analysis", "organising"], hoursPerWeek: 30, startsOn: matchDay("2026-03-02"),
            endsOn: matchDay("2026-08-31"), site: brussels, teleworkDays: 2,
            demands: [.screenWork: .medium, .customerContact: .low], adaptations: [.adaptedEquipment])
    }

    /// About 10 km from the offer's site: 26 minutes.
    private func fittingCandidate() -> MatchCandidate {
        MatchCandidate(
            id: id(0xB0), entityID: candidateEntity, grade: "A2", competencies: ["excel": 4, "planning": 2],
            goodAt: ["analysis"], likesDoing: ["organising"], findsImportant: ["analysis"],
            preferredLocations: [GeoPoint(latitude: 50.9366, longitude: 4.3528)], maxTravelMinutes: 60,
            maxHoursPerWeek: 38, availableFrom: matchDay("2026-02-15"), teleworkDaysWanted: 2, restrictions: [:])
    }

    private static let codes = ["excel", "planning", "languages", "law", "budget", "coaching"]
    private static let tags = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"]
    private static let entities = [id(0xE1), id(0xE2), id(0xE3)]

    /// Random offers of every shape: with and without site, visibility, grades, demands.
    private func randomOffer(_ random: inout SeededRandom, index: Int) -> MatchOffer {
        let start = matchDay("2026-03-02").adding(days: Int.random(in: 0...60, using: &random))
        var demands: [WorkDemand: DemandLevel] = [:]
        for demand in WorkDemand.allCases where Bool.random(using: &random) {
            demands[demand] = DemandLevel.allCases.randomElement(using: &random)!
        }
        return MatchOffer(
            id: id(0x1000 + index), hostEntityID: hostEntity,
            visibleToEntityIDs: Int.random(in: 0..<4, using: &random) == 0 ? [Self.entities[0], Self.entities[1]] : nil,
            competencies: (0..<Int.random(in: 0...3, using: &random)).map { k in
                WantedCompetency(
                    code: Self.codes[(index + k) % Self.codes.count], level: Int.random(in: 1...4, using: &random),
                    weight: Double.random(in: 0.5...2, using: &random), required: Int.random(in: 0..<4, using: &random) == 0)
            },
            talentTags: Set((0..<Int.random(in: 0...3, using: &random)).map { _ in Self.tags.randomElement(using: &random)! }),
            gradesAccepted: Int.random(in: 0..<4, using: &random) == 0 ? ["A1", "A2"] : [],
            hoursPerWeek: [19, 24, 30, 38].randomElement(using: &random)!, startsOn: start,
            endsOn: start.adding(days: Int.random(in: 0...200, using: &random)),
            site: Int.random(in: 0..<6, using: &random) == 0 ? nil : randomPlace(&random),
            teleworkDays: Int.random(in: 0...5, using: &random), demands: demands,
            adaptations: Set(Adaptation.allCases.filter { _ in Int.random(in: 0..<3, using: &random) == 0 }),
            positions: Int.random(in: 1...3, using: &random))
    }

    private func randomCandidate(_ random: inout SeededRandom, index: Int) -> MatchCandidate {
        var competencies: [String: Int] = [:]
        for code in Self.codes where Int.random(in: 0..<3, using: &random) > 0 {
            competencies[code] = Int.random(in: 1...5, using: &random)
        }
        var restrictions: [WorkDemand: DemandLevel] = [:]
        if Bool.random(using: &random) {
            for demand in WorkDemand.allCases where Int.random(in: 0..<3, using: &random) == 0 {
                restrictions[demand] = DemandLevel.allCases.randomElement(using: &random)!
            }
        }
        func someTags() -> Set<String> {
            Set((0..<Int.random(in: 0...3, using: &random)).map { _ in Self.tags.randomElement(using: &random)! })
        }
        return MatchCandidate(
            id: id(0x2000 + index), entityID: Self.entities.randomElement(using: &random)!,
            grade: ["A1", "A2", "B1", nil].randomElement(using: &random)!, competencies: competencies,
            goodAt: someTags(), likesDoing: someTags(), findsImportant: someTags(),
            preferredLocations: (0..<Int.random(in: 0...2, using: &random)).map { _ in randomPlace(&random) },
            maxTravelMinutes: Int.random(in: 0..<4, using: &random) == 0 ? nil : Int.random(in: 20...90, using: &random),
            maxHoursPerWeek: Bool.random(using: &random) ? nil : [19, 24, 30, 38].randomElement(using: &random)!,
            availableFrom: Bool.random(using: &random)
                ? nil : matchDay("2026-02-01").adding(days: Int.random(in: 0...60, using: &random)),
            teleworkDaysWanted: Bool.random(using: &random) ? nil : Int.random(in: 0...5, using: &random),
            restrictions: restrictions)
    }

    /// Somewhere in Belgium.
    private func randomPlace(_ random: inout SeededRandom) -> GeoPoint {
        GeoPoint(latitude: Double.random(in: 50.4...51.2, using: &random), longitude: Double.random(in: 3.6...5.2, using: &random))
    }
}

/// An id whose last bytes are `n`, so tests can order ids by hand.
private func id(_ n: Int) -> UUID {
    var bytes = [UInt8](repeating: 0, count: 16)
    bytes[14] = UInt8((n >> 8) & 0xFF)
    bytes[15] = UInt8(n & 0xFF)
    return UUID(uuid: (
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
        bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
}

private func matchDay(_ text: String) -> CalendarDate {
    guard let date = CalendarDate(text) else { fatalError("not a date: \(text)") }
    return date
}

/// Progress fractions as reported, from whichever task reports them.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reported: [Double] = []

    func add(_ value: Double) { lock.withLock { reported.append(value) } }
    var values: [Double] { lock.withLock { reported } }
}

/// SplitMix64: a small seeded generator, so a failing instance can be replayed.
private struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
