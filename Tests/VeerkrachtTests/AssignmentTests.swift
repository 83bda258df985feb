import Foundation
import Testing
@testable import Veerkracht

@Suite("The match round: exact assignment with capacities")
struct AssignmentTests {
    @Test func equalsBruteForceOnHundredsOfSmallRandomInstances() {
        var random = SeededRandom(seed: 2026)
        var offersLeft = 0
        for instance in 0..<400 {
            // Alternately more places than candidates and the other way round, so the solver
            // searches from either side.
            let fewOffers = instance % 2 == 0
            let (pairs, capacities, candidateCount) = randomInstance(
                offers: fewOffers ? Int.random(in: 1...3, using: &random) : Int.random(in: 2...5, using: &random),
                candidates: fewOffers ? Int.random(in: 4...7, using: &random) : Int.random(in: 1...5, using: &random),
                density: [0.25, 0.5, 0.8].randomElement(using: &random)!,
                // Narrow score ranges give ties, wide ones distinct optima.
                maxScore: [3, 20, 1_000_000].randomElement(using: &random)!, using: &random)
            let optimal = Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount)
            let expected = bruteForce(pairs, capacities: capacities, candidateCount: candidateCount)
            #expect(optimal.totalMicros == expected, "instance \(instance)")
            expectValid(optimal, pairs, capacities: capacities, candidateCount: candidateCount)
            if expectCertificate(pairs, capacities: capacities, candidateCount: candidateCount) { offersLeft += 1 }
        }
        #expect(offersLeft > 100 && offersLeft < 300, "both sides served as the source side: \(offersLeft)")
    }

    @Test func aGreedyRoundCanBeStrictlyWorseAndTheOptimumFindsTheBetterTotal() {
        // Candidate 0 is the best for both offers; greedy gives it offer 0 and leaves
        // candidate 1, who only fits offer 0, without a place.
        let pairs = MatchPairs(offerIndex: [0, 1, 0], candidateIndex: [0, 0, 1], scoreMicros: [900_000, 850_000, 700_000])
        let greedy = Assignment.greedy(pairs, capacities: [1, 1], candidateCount: 2)
        let optimal = Assignment.optimal(pairs, capacities: [1, 1], candidateCount: 2)
        #expect(greedy == Assignment.Solution(chosen: [0], totalMicros: 900_000))
        #expect(optimal == Assignment.Solution(chosen: [1, 2], totalMicros: 1_550_000))
    }

    @Test func greedyTakesPairsByScoreThenOfferThenCandidate() {
        let pairs = MatchPairs(offerIndex: [1, 0, 0], candidateIndex: [0, 1, 0], scoreMicros: [500, 500, 500])
        let greedy = Assignment.greedy(pairs, capacities: [1, 1], candidateCount: 2)
        // Offer 0 first, and there candidate 0 before candidate 1; then offer 1 has only candidate 0, taken.
        #expect(greedy == Assignment.Solution(chosen: [2], totalMicros: 500))
    }

    @Test func aCapacityAboveOneIsUsedFullyWhenWorthwhile() {
        // Offer 0 has three positions and three good candidates; offer 1 one position that
        // each of them would take for less.
        let pairs = MatchPairs(
            offerIndex: [0, 0, 0, 1, 1, 1], candidateIndex: [0, 1, 2, 0, 1, 2],
            scoreMicros: [800_000, 790_000, 780_000, 100_000, 100_000, 100_000])
        let optimal = Assignment.optimal(pairs, capacities: [3, 1], candidateCount: 4)
        #expect(optimal == Assignment.Solution(chosen: [0, 1, 2], totalMicros: 2_370_000))
        // With a fourth candidate for offer 1 both offers fill.
        let more = MatchPairs(
            offerIndex: pairs.offerIndex + [1], candidateIndex: pairs.candidateIndex + [3],
            scoreMicros: pairs.scoreMicros + [50_000])
        #expect(Assignment.optimal(more, capacities: [3, 1], candidateCount: 4).totalMicros == 2_420_000)
    }

    @Test func aPairIsTakenOnlyWhenItAddsToTheTotal() {
        let pairs = MatchPairs(offerIndex: [0, 1, 1], candidateIndex: [0, 1, 0], scoreMicros: [0, 0, 300])
        let optimal = Assignment.optimal(pairs, capacities: [1, 1], candidateCount: 2)
        #expect(optimal == Assignment.Solution(chosen: [2], totalMicros: 300))
        #expect(Assignment.greedy(pairs, capacities: [1, 1], candidateCount: 2) == optimal)
        // A closed offer (capacity 0) takes nobody.
        #expect(Assignment.optimal(pairs, capacities: [1, 0], candidateCount: 2).chosen.isEmpty)
    }

    @Test func neverOverCapacityNeverACandidateTwice() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<30 {
            let (pairs, capacities, candidateCount) = randomInstance(
                offers: 40, candidates: Int.random(in: 20...120, using: &random), density: 0.2, maxScore: 1_000_000,
                using: &random)
            for solution in [
                Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount),
                Assignment.greedy(pairs, capacities: capacities, candidateCount: candidateCount),
            ] {
                expectValid(solution, pairs, capacities: capacities, candidateCount: candidateCount)
            }
            let optimal = Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount)
            let greedy = Assignment.greedy(pairs, capacities: capacities, candidateCount: candidateCount)
            #expect(optimal.totalMicros >= greedy.totalMicros)
            expectCertificate(pairs, capacities: capacities, candidateCount: candidateCount)
        }
    }

    @Test func emptyInput() {
        let none = Assignment.Solution(chosen: [], totalMicros: 0)
        #expect(Assignment.optimal(MatchPairs(), capacities: [], candidateCount: 0) == none)
        #expect(Assignment.greedy(MatchPairs(), capacities: [], candidateCount: 0) == none)
        #expect(Assignment.optimal(MatchPairs(), capacities: [2, 1], candidateCount: 5) == none)
        #expect(Assignment.greedy(MatchPairs(), capacities: [2, 1], candidateCount: 5) == none)
    }

    @Test func deterministicForIdenticalInput() {
        var random = SeededRandom(seed: 99)
        let (pairs, capacities, candidateCount) = randomInstance(
            offers: 30, candidates: 90, density: 0.3, maxScore: 10, using: &random)
        let first = Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount)
        for _ in 0..<3 {
            #expect(Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount) == first)
        }
        #expect(
            Assignment.greedy(pairs, capacities: capacities, candidateCount: candidateCount)
                == Assignment.greedy(pairs, capacities: capacities, candidateCount: candidateCount))
    }

    @Test func theOrderOfThePairsDoesNotChangeTheOptimum() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<20 {
            let (pairs, capacities, candidateCount) = randomInstance(
                offers: 12, candidates: 30, density: 0.4, maxScore: 50, using: &random)
            let order = Array(0..<pairs.count).shuffled(using: &random)
            let shuffled = MatchPairs(
                offerIndex: order.map { pairs.offerIndex[$0] }, candidateIndex: order.map { pairs.candidateIndex[$0] },
                scoreMicros: order.map { pairs.scoreMicros[$0] })
            #expect(
                Assignment.optimal(shuffled, capacities: capacities, candidateCount: candidateCount).totalMicros
                    == Assignment.optimal(pairs, capacities: capacities, candidateCount: candidateCount).totalMicros)
        }
    }

    // MARK: - Helpers

    /// Random sparse pairs, with an occasional 0 score and capacities 0...3.
    private func randomInstance(
        offers: Int, candidates: Int, density: Double, maxScore: Int32, using random: inout SeededRandom
    ) -> (MatchPairs, [Int], Int) {
        var pairs = MatchPairs()
        for o in 0..<offers {
            for c in 0..<candidates where Double.random(in: 0..<1, using: &random) < density {
                pairs.offerIndex.append(Int32(o))
                pairs.candidateIndex.append(Int32(c))
                pairs.scoreMicros.append(Int.random(in: 0..<20, using: &random) == 0 ? 0 : .random(in: 1...maxScore, using: &random))
            }
        }
        let capacities = (0..<offers).map { _ in Int.random(in: 0..<10, using: &random) == 0 ? 0 : Int.random(in: 1...3, using: &random) }
        return (pairs, capacities, candidates)
    }

    /// The best total by trying, for each candidate in turn, every offer with room or none.
    private func bruteForce(_ pairs: MatchPairs, capacities: [Int], candidateCount: Int) -> Int64 {
        var options = [[(offer: Int, score: Int64)]](repeating: [], count: candidateCount)
        for p in 0..<pairs.count {
            options[Int(pairs.candidateIndex[p])].append((Int(pairs.offerIndex[p]), Int64(pairs.scoreMicros[p])))
        }
        var room = capacities
        func best(from candidate: Int) -> Int64 {
            guard candidate < candidateCount else { return 0 }
            var result = best(from: candidate + 1)
            for (offer, score) in options[candidate] where room[offer] > 0 {
                room[offer] -= 1
                result = max(result, score + best(from: candidate + 1))
                room[offer] += 1
            }
            return result
        }
        return best(from: 0)
    }

    private func expectValid(
        _ solution: Assignment.Solution, _ pairs: MatchPairs, capacities: [Int], candidateCount: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(solution.chosen == solution.chosen.sorted() && Set(solution.chosen).count == solution.chosen.count,
                sourceLocation: sourceLocation)
        var used = [Int](repeating: 0, count: capacities.count)
        var placed = [Int](repeating: 0, count: candidateCount)
        var total: Int64 = 0
        for p in solution.chosen {
            used[Int(pairs.offerIndex[p])] += 1
            placed[Int(pairs.candidateIndex[p])] += 1
            total += Int64(pairs.scoreMicros[p])
            #expect(pairs.scoreMicros[p] > 0, sourceLocation: sourceLocation)
        }
        #expect(zip(used, capacities).allSatisfy { $0 <= $1 }, "over capacity", sourceLocation: sourceLocation)
        #expect(placed.allSatisfy { $0 <= 1 }, "a candidate placed twice", sourceLocation: sourceLocation)
        #expect(total == solution.totalMicros, sourceLocation: sourceLocation)
    }

    /// The solver's potentials prove its total optimal (LP duality): non-negative prices that
    /// cover every pair's score, zero where room is left, summing to the total.
    /// Returns whether the offers were the solver's source side.
    @discardableResult
    private func expectCertificate(
        _ pairs: MatchPairs, capacities: [Int], candidateCount: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) -> Bool {
        let solver = AssignmentSolver(pairs, capacities: capacities, candidateCount: candidateCount)
        solver.solve()
        let solution = solver.solution
        let candidatePrice = solver.candidatePrice
        let offerPrice = solver.offerPrice
        #expect(candidatePrice.allSatisfy { $0 >= 0 } && offerPrice.allSatisfy { $0 >= 0 }, sourceLocation: sourceLocation)
        for p in 0..<pairs.count where pairs.scoreMicros[p] > 0 && capacities[Int(pairs.offerIndex[p])] > 0 {
            #expect(
                candidatePrice[Int(pairs.candidateIndex[p])] + offerPrice[Int(pairs.offerIndex[p])]
                    >= Int64(pairs.scoreMicros[p]), sourceLocation: sourceLocation)
        }
        // An offer can use no more places than it has usable pairs: the dual counts those.
        var units = [Int](repeating: 0, count: capacities.count)
        for p in 0..<pairs.count where pairs.scoreMicros[p] > 0 { units[Int(pairs.offerIndex[p])] += 1 }
        units = zip(units, capacities).map { min($0, max(0, $1)) }
        var used = [Int](repeating: 0, count: capacities.count)
        var placed = [Bool](repeating: false, count: candidateCount)
        for p in solution.chosen {
            used[Int(pairs.offerIndex[p])] += 1
            placed[Int(pairs.candidateIndex[p])] = true
        }
        let dual = candidatePrice.reduce(0, +) + zip(offerPrice, units).reduce(Int64(0)) { $0 + $1.0 * Int64($1.1) }
        #expect(dual == solution.totalMicros, sourceLocation: sourceLocation)
        #expect(offerPrice.indices.allSatisfy { offerPrice[$0] == 0 || used[$0] == units[$0] }, sourceLocation: sourceLocation)
        #expect(candidatePrice.indices.allSatisfy { candidatePrice[$0] == 0 || placed[$0] }, sourceLocation: sourceLocation)
        return solver.offersLeft
    }
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
