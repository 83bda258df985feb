import Foundation

/// Feasible pairs in compact arrays (a struct of arrays): indices into the offers and
/// candidates given to `feasiblePairs`, and the score in millionths.
public struct MatchPairs: Sendable {
    public var offerIndex: [Int32]
    public var candidateIndex: [Int32]
    public var scoreMicros: [Int32]

    public var count: Int { offerIndex.count }

    /// The three arrays must be equally long.
    public init(offerIndex: [Int32] = [], candidateIndex: [Int32] = [], scoreMicros: [Int32] = []) {
        precondition(offerIndex.count == candidateIndex.count && offerIndex.count == scoreMicros.count)
        self.offerIndex = offerIndex
        self.candidateIndex = candidateIndex
        self.scoreMicros = scoreMicros
    }
}

extension MatchEngine {
    /// Every fitting pair with `scoreMicros >= minimumScoreMicros`, ordered by offer index, then
    /// candidate index. The scores equal `evaluate(_:_:).scoreMicros` exactly.
    ///
    /// Both sides are compiled once into compact tables (codes interned as small integers,
    /// talents as bitsets, restrictions as packed bytes, dates as day numbers, locations as
    /// unit vectors); each pair then stops at its first failed constraint and builds no
    /// explanation. Offers are scanned in chunks on as many tasks as there are processors.
    /// `progress` receives the fraction of offers done, from 0 to 1, in increasing order.
    public func feasiblePairs(
        offers: [MatchOffer], candidates: [MatchCandidate], minimumScoreMicros: Int = 0,
        progress: (@Sendable (Double) -> Void)? = nil
    ) async -> MatchPairs {
        guard !offers.isEmpty, !candidates.isEmpty else {
            progress?(1)
            return MatchPairs()
        }
        let codes = InternedValues(offers.lazy.flatMap { $0.competencies.map(\.code) })
        let tags = InternedValues(offers.lazy.flatMap(\.talentTags))
        let entities = InternedValues(candidates.lazy.map(\.entityID))
        let grades = InternedValues(candidates.lazy.compactMap(\.grade))
        let candidateTable = CompiledCandidates(
            candidates, codes: codes, tags: tags, entities: entities, grades: grades, travel: travel)
        let offerTable = CompiledOffers(offers, codes: codes, tags: tags, entities: entities, grades: grades)
        let scan = CompiledPairScan(
            offers: offerTable, candidates: candidateTable, travel: travel, weights: MatchRules.usableWeights(weights),
            minimumScoreMicros: minimumScoreMicros)

        // More chunks than processors, handed out as tasks finish, so a slow chunk does not
        // leave a processor idle; never more tasks at once than processors.
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunkCount = min(offers.count, workers * 8)
        let bounds = (0...chunkCount).map { $0 * offers.count / chunkCount }
        var results = [CompiledPairScan.Found?](repeating: nil, count: chunkCount)
        await withTaskGroup(of: (Int, CompiledPairScan.Found).self) { group in
            var next = 0
            while next < min(workers, chunkCount) {
                let chunk = next
                group.addTask { (chunk, scan.run(offers: bounds[chunk]..<bounds[chunk + 1])) }
                next += 1
            }
            var done = 0
            while let (chunk, found) = await group.next() {
                results[chunk] = found
                done += 1
                progress?(Double(done) / Double(chunkCount))
                if next < chunkCount {
                    let chunk = next
                    group.addTask { (chunk, scan.run(offers: bounds[chunk]..<bounds[chunk + 1])) }
                    next += 1
                }
            }
        }

        var pairs = MatchPairs()
        let total = results.reduce(0) { $0 + ($1?.offerIndex.count ?? 0) }
        pairs.offerIndex.reserveCapacity(total)
        pairs.candidateIndex.reserveCapacity(total)
        pairs.scoreMicros.reserveCapacity(total)
        for case let found? in results {
            pairs.offerIndex += found.offerIndex
            pairs.candidateIndex += found.candidateIndex
            pairs.scoreMicros += found.scoreMicros
        }
        return pairs
    }
}

/// Distinct values numbered 0, 1, 2 … in order of first appearance.
struct InternedValues<Value: Hashable>: Sendable where Value: Sendable {
    private(set) var index: [Value: Int32] = [:]

    init(_ values: some Sequence<Value>) {
        for value in values where index[value] == nil {
            index[value] = Int32(index.count)
        }
    }

    var count: Int { index.count }

    subscript(_ value: Value) -> Int32? { index[value] }
}

/// Bit `bit` in the `words`-word bitset starting at `base`.
@inline(__always)
private func bitIsSet(_ bits: [UInt64], base: Int, bit: Int) -> Bool {
    bits[base + bit >> 6] >> UInt64(bit & 63) & 1 != 0
}

private func setBit(_ bits: inout [UInt64], base: Int, bit: Int) {
    bits[base + bit >> 6] |= 1 << UInt64(bit & 63)
}

private func wordsFor(bits: Int) -> Int { (bits + 63) / 64 }

/// One byte per `WorkDemand` in a 64-bit word, so all six compare at once.
private func packed(_ ranks: [Int]) -> UInt64 {
    ranks.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64($1.offset * 8) }
}

/// The high bit of each byte.
private let byteHighBits: UInt64 = 0x8080_8080_8080_8080

/// The candidates as the fast path reads them, one array per field.
struct CompiledCandidates: Sendable {
    var count: Int
    var entity: [Int32]
    /// -1: no grade.
    var grade: [Int32]
    /// +infinity: no maximum.
    var maxHours: [Double]
    /// Int.min: no date.
    var availableDay: [Int]
    /// Byte d: the highest rank allowed on `WorkDemand.allCases[d]` (3 when unrestricted).
    var restrictionRanks: [UInt64]
    /// The high bit of byte d set when demand d is restricted.
    var restrictedBytes: [UInt64]
    var restrictedCount: [Int]
    /// Per candidate 3 × `tagWords`: good at, likes doing, finds important.
    var tagWords: Int
    var talents: [UInt64]
    /// Locations of candidate c: `locations[locationStart[c] ..< locationStart[c + 1]]`.
    var locationStart: [Int]
    var locations: [GeoUnitVector]
    var travelLimit: [Int?]
    /// Squared chords surely beyond the travel limit (+infinity without one).
    var chordBound: [Double]
    var teleworkWanted: [Int?]
    /// For each competency code an offer wants, the candidates having it (ascending) and their level.
    var postingStart: [Int]
    var postingCandidate: [Int32]
    var postingLevel: [UInt8]

    init(
        _ candidates: [MatchCandidate], codes: InternedValues<String>, tags: InternedValues<String>,
        entities: InternedValues<UUID>,
        grades: InternedValues<String>, travel: TravelEstimate
    ) {
        count = candidates.count
        entity = candidates.map { entities[$0.entityID]! }
        grade = candidates.map { $0.grade.flatMap { grades[$0] } ?? -1 }
        maxHours = candidates.map { $0.maxHoursPerWeek ?? .infinity }
        availableDay = candidates.map { $0.availableFrom?.dayNumber ?? Int.min }
        restrictionRanks = candidates.map { candidate in
            packed(WorkDemand.allCases.map { candidate.restrictions[$0]?.rank ?? DemandLevel.high.rank })
        }
        restrictedBytes = candidates.map { candidate in
            packed(WorkDemand.allCases.map { candidate.restrictions[$0] == nil ? 0 : 0x80 })
        }
        restrictedCount = candidates.map(\.restrictions.count)

        tagWords = wordsFor(bits: tags.count)
        talents = [UInt64](repeating: 0, count: candidates.count * 3 * tagWords)
        for (c, candidate) in candidates.enumerated() {
            for (kind, set) in [candidate.goodAt, candidate.likesDoing, candidate.findsImportant].enumerated() {
                for tag in set {
                    if let bit = tags[tag] { setBit(&talents, base: (c * 3 + kind) * tagWords, bit: Int(bit)) }
                }
            }
        }

        locationStart = [0]
        locations = []
        for candidate in candidates {
            locations += candidate.preferredLocations.map(GeoUnitVector.init)
            locationStart.append(locations.count)
        }
        travelLimit = candidates.map(\.maxTravelMinutes)
        chordBound = candidates.map { $0.maxTravelMinutes.map(travel.chordSquaredBound(withinMinutes:)) ?? .infinity }
        teleworkWanted = candidates.map(\.teleworkDaysWanted)

        var postingCount = [Int](repeating: 0, count: codes.count + 1)
        for candidate in candidates {
            for (code, level) in candidate.competencies where MatchRules.candidateLevel(level) > 0 {
                if let k = codes[code] { postingCount[Int(k) + 1] += 1 }
            }
        }
        for k in 0..<codes.count { postingCount[k + 1] += postingCount[k] }
        postingStart = postingCount
        var fill = postingCount
        postingCandidate = [Int32](repeating: 0, count: postingCount[codes.count])
        postingLevel = [UInt8](repeating: 0, count: postingCount[codes.count])
        for (c, candidate) in candidates.enumerated() {
            for (code, level) in candidate.competencies where MatchRules.candidateLevel(level) > 0 {
                guard let k = codes[code] else { continue }
                postingCandidate[fill[Int(k)]] = Int32(c)
                postingLevel[fill[Int(k)]] = UInt8(MatchRules.candidateLevel(level))
                fill[Int(k)] += 1
            }
        }
    }
}

/// The offers as the fast path reads them, one array per field.
struct CompiledOffers: Sendable {
    var count: Int
    var visibleToAll: [Bool]
    var entityWords: Int
    var visible: [UInt64]
    var anyGrade: [Bool]
    var gradeWords: Int
    var grades: [UInt64]
    var hours: [Double]
    var reducedHours: [Bool]
    var startDay: [Int]
    var endDay: [Int]
    /// Wanted competencies of offer o: `wantedStart[o] ..< wantedStart[o + 1]`, in the offer's order.
    var wantedStart: [Int]
    var wantedCode: [Int32]
    var wantedLevel: [Int]
    var wantedWeight: [Double]
    var wantedRequired: [Bool]
    var competencyWeight: [Double]
    var tagWords: Int
    var tags: [UInt64]
    var tagCount: [Int]
    var site: [GeoUnitVector?]
    var teleworkDays: [Int]
    /// Byte d: the lowest restriction rank that still passes demand d (one lower when an
    /// offered adaptation covers it).
    var neededRanks: [UInt64]
    /// Byte d: the rank of demand d.
    var demandRanks: [UInt64]

    init(
        _ offers: [MatchOffer], codes: InternedValues<String>, tags tagIndex: InternedValues<String>,
        entities: InternedValues<UUID>,
        grades gradeIndex: InternedValues<String>
    ) {
        count = offers.count
        visibleToAll = offers.map { $0.visibleToEntityIDs == nil }
        entityWords = wordsFor(bits: entities.count)
        visible = [UInt64](repeating: 0, count: offers.count * entityWords)
        anyGrade = offers.map(\.gradesAccepted.isEmpty)
        gradeWords = wordsFor(bits: gradeIndex.count)
        grades = [UInt64](repeating: 0, count: offers.count * gradeWords)
        tagWords = wordsFor(bits: tagIndex.count)
        tags = [UInt64](repeating: 0, count: offers.count * tagWords)
        for (o, offer) in offers.enumerated() {
            for id in offer.visibleToEntityIDs ?? [] {
                if let e = entities[id] { setBit(&visible, base: o * entityWords, bit: Int(e)) }
            }
            for grade in offer.gradesAccepted {
                if let g = gradeIndex[grade] { setBit(&grades, base: o * gradeWords, bit: Int(g)) }
            }
            for tag in offer.talentTags {
                setBit(&tags, base: o * tagWords, bit: Int(tagIndex[tag]!))
            }
        }
        tagCount = offers.map(\.talentTags.count)
        hours = offers.map(\.hoursPerWeek)
        reducedHours = offers.map { $0.adaptations.contains(.reducedHours) }
        startDay = offers.map(\.startsOn.dayNumber)
        endDay = offers.map(\.endsOn.dayNumber)

        wantedStart = [0]
        wantedCode = []
        wantedLevel = []
        wantedWeight = []
        wantedRequired = []
        competencyWeight = []
        for offer in offers {
            // Summed in the offer's order, as evaluate sums it.
            var total = 0.0
            for wanted in offer.competencies {
                wantedCode.append(codes[wanted.code]!)
                wantedLevel.append(MatchRules.wantedLevel(wanted.level))
                let weight = MatchRules.effectiveWeight(wanted.weight)
                wantedWeight.append(weight)
                wantedRequired.append(wanted.required)
                total += weight
            }
            competencyWeight.append(total)
            wantedStart.append(wantedCode.count)
        }

        site = offers.map { $0.site.map(GeoUnitVector.init) }
        teleworkDays = offers.map(\.teleworkDays)
        neededRanks = offers.map { offer in
            packed(WorkDemand.allCases.map { demand in
                let rank = (offer.demands[demand] ?? DemandLevel.none).rank
                let lowerable = demand.loweredBy.contains(where: offer.adaptations.contains)
                return lowerable ? max(0, rank - 1) : rank
            })
        }
        demandRanks = offers.map { offer in
            packed(WorkDemand.allCases.map { (offer.demands[$0] ?? DemandLevel.none).rank })
        }
    }
}

/// The scan of offers against every candidate: the hard constraints cheapest first, each pair
/// dropped at its first failure, then the score of the survivors.
struct CompiledPairScan: Sendable {
    let offers: CompiledOffers
    let candidates: CompiledCandidates
    let travel: TravelEstimate
    let weights: MatchWeights
    let minimumScoreMicros: Int

    struct Found: Sendable {
        var offerIndex: [Int32] = []
        var candidateIndex: [Int32] = []
        var scoreMicros: [Int32] = []
    }

    func run(offers range: Range<Int>) -> Found {
        var found = Found()
        let n = candidates.count
        let maxWanted = range.map { offers.wantedStart[$0 + 1] - offers.wantedStart[$0] }.max() ?? 0
        // levels[j * n + c]: candidate c's level in the offer's j-th wanted competency (0: none).
        var levels = [UInt8](repeating: 0, count: maxWanted * n)
        var required: [(row: Int, level: Int)] = []

        for o in range {
            let wanted = offers.wantedStart[o]..<offers.wantedStart[o + 1]
            required.removeAll(keepingCapacity: true)
            for (row, w) in wanted.enumerated() {
                let code = Int(offers.wantedCode[w])
                for c in 0..<n { levels[row * n + c] = 0 }
                for p in candidates.postingStart[code]..<candidates.postingStart[code + 1] {
                    levels[row * n + Int(candidates.postingCandidate[p])] = candidates.postingLevel[p]
                }
                if offers.wantedRequired[w] { required.append((row, offers.wantedLevel[w])) }
            }
            let visibleToAll = offers.visibleToAll[o]
            let visibleBase = o * offers.entityWords
            let anyGrade = offers.anyGrade[o]
            let gradeBase = o * offers.gradeWords
            let hours = offers.hours[o]
            let reducedHours = offers.reducedHours[o]
            let startDay = offers.startDay[o]
            let needed = offers.neededRanks[o]
            let site = offers.site[o]

            candidates: for c in 0..<n {
                if !visibleToAll && !bitIsSet(offers.visible, base: visibleBase, bit: Int(candidates.entity[c])) {
                    continue
                }
                if !anyGrade {
                    let g = Int(candidates.grade[c])
                    if g < 0 || !bitIsSet(offers.grades, base: gradeBase, bit: g) { continue }
                }
                if !MatchRules.hoursCheck(hours: hours, maximum: candidates.maxHours[c], reducedHoursOffered: reducedHours)
                    .passed
                {
                    continue
                }
                if !MatchRules.availableByStart(availableDay: candidates.availableDay[c], startDay: startDay) { continue }
                if ((candidates.restrictionRanks[c] | byteHighBits) &- needed) & byteHighBits != byteHighBits { continue }
                for (row, level) in required where Int(levels[row * n + c]) < level { continue candidates }

                var minutes: Int?
                if let site {
                    let locations = candidates.locationStart[c]..<candidates.locationStart[c + 1]
                    if !locations.isEmpty {
                        let bound = candidates.chordBound[c]
                        var best = Int.max
                        for l in locations {
                            let chord = candidates.locations[l].chordSquared(to: site)
                            if chord <= bound { best = min(best, travel.minutes(chordSquared: chord)) }
                        }
                        if best == Int.max { continue }
                        if let limit = candidates.travelLimit[c], best > limit { continue }
                        minutes = best
                    }
                }

                let micros = score(offer: o, candidate: c, n: n, levels: levels, minutes: minutes)
                if micros >= minimumScoreMicros {
                    found.offerIndex.append(Int32(o))
                    found.candidateIndex.append(Int32(c))
                    found.scoreMicros.append(Int32(micros))
                }
            }
        }
        return found
    }

    /// The score of a pair known to fit, computed as `evaluate` computes it.
    @inline(__always)
    private func score(offer o: Int, candidate c: Int, n: Int, levels: [UInt8], minutes: Int?) -> Int {
        var competencySum = 0.0
        for (row, w) in (offers.wantedStart[o]..<offers.wantedStart[o + 1]).enumerated() {
            competencySum +=
                offers.wantedWeight[w]
                * MatchRules.competencyTerm(candidateLevel: Int(levels[row * n + c]), wantedLevel: offers.wantedLevel[w])
        }
        let competencies = MatchRules.competencyValue(weightedSum: competencySum, totalWeight: offers.competencyWeight[o])

        var goodAt = 0
        var likesDoing = 0
        var findsImportant = 0
        let words = offers.tagWords
        for word in 0..<words {
            let wanted = offers.tags[o * words + word]
            let base = c * 3 * words + word
            goodAt += (wanted & candidates.talents[base]).nonzeroBitCount
            likesDoing += (wanted & candidates.talents[base + words]).nonzeroBitCount
            findsImportant += (wanted & candidates.talents[base + 2 * words]).nonzeroBitCount
        }
        let talents = MatchRules.talentValue(
            goodAt: goodAt, likesDoing: likesDoing, findsImportant: findsImportant, tags: offers.tagCount[o])

        let hoursAndDates = MatchRules.hoursAndDatesValue(
            hours: offers.hours[o], maximum: candidates.maxHours[c], availableDay: candidates.availableDay[c],
            startDay: offers.startDay[o], endDay: offers.endDay[o])
        let travel = MatchRules.travelValue(
            minutes: minutes, limit: candidates.travelLimit[c], teleworkDays: offers.teleworkDays[o],
            teleworkWanted: candidates.teleworkWanted[c])

        // Every restricted demand passed; those at or below the restriction without help are "within".
        let within = (((candidates.restrictionRanks[c] | byteHighBits) &- offers.demandRanks[o])
            & candidates.restrictedBytes[c]).nonzeroBitCount
        let adaptations = MatchRules.adaptationValue(
            within: within, lowered: candidates.restrictedCount[c] - within, restricted: candidates.restrictedCount[c])

        return MatchRules.scoreMicros(competencies, talents, hoursAndDates, travel, adaptations, weights: weights)
    }
}
