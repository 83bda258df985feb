import Foundation

/// The match round: which candidate goes to which offer, all at once.
public enum Assignment {
    public struct Solution: Sendable, Equatable {
        /// Indices into the `MatchPairs` arrays, ascending.
        public var chosen: [Int]
        public var totalMicros: Int64

        public init(chosen: [Int], totalMicros: Int64) {
            self.chosen = chosen
            self.totalMicros = totalMicros
        }
    }

    /// The exact optimum: the maximum total `scoreMicros`, each offer `o` used at most
    /// `capacities[o]` times, each candidate at most once. A pair is taken only when it adds to
    /// the total, so pairs scoring 0 or less never are; a capacity below 1 closes the offer.
    /// Deterministic: the same input gives the same solution.
    ///
    /// Every offer index in `pairs` must be below `capacities.count`, every candidate index
    /// below `candidateCount`.
    public static func optimal(_ pairs: MatchPairs, capacities: [Int], candidateCount: Int) -> Solution {
        let solver = AssignmentSolver(pairs, capacities: capacities, candidateCount: candidateCount)
        solver.solve()
        return solver.solution
    }

    /// Greedy, for comparison: pairs by score descending (ties by offer index, then candidate
    /// index), each taken while both sides have room. Pairs scoring 0 or less are never taken.
    public static func greedy(_ pairs: MatchPairs, capacities: [Int], candidateCount: Int) -> Solution {
        checkIndices(pairs, capacities: capacities, candidateCount: candidateCount)
        // (score descending, offer) and (candidate, pair index) packed as two sortable words.
        var order: [(UInt64, UInt64)] = []
        order.reserveCapacity(pairs.count)
        for p in 0..<pairs.count {
            let score = pairs.scoreMicros[p]
            let offer = Int(pairs.offerIndex[p])
            guard score > 0, capacities[offer] > 0 else { continue }
            order.append((
                UInt64(UInt32(Int32.max - score)) << 32 | UInt64(UInt32(offer)),
                UInt64(UInt32(pairs.candidateIndex[p])) << 32 | UInt64(p)))
        }
        order.sort(by: <)

        var room = capacities
        var placed = [Bool](repeating: false, count: candidateCount)
        var chosen: [Int] = []
        var total: Int64 = 0
        for (_, low) in order {
            let p = Int(low & 0xFFFF_FFFF)
            let offer = Int(pairs.offerIndex[p])
            let candidate = Int(pairs.candidateIndex[p])
            guard room[offer] > 0, !placed[candidate] else { continue }
            room[offer] -= 1
            placed[candidate] = true
            chosen.append(p)
            total += Int64(pairs.scoreMicros[p])
        }
        chosen.sort()
        return Solution(chosen: chosen, totalMicros: total)
    }

    static func checkIndices(_ pairs: MatchPairs, capacities: [Int], candidateCount: Int) {
        precondition(pairs.count <= Int(Int32.max), "too many pairs")
        precondition(pairs.offerIndex.allSatisfy { $0 >= 0 && Int($0) < capacities.count }, "offer index out of range")
        precondition(
            pairs.candidateIndex.allSatisfy { $0 >= 0 && Int($0) < candidateCount }, "candidate index out of range")
    }
}
