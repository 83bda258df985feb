/// Maximum-weight b-matching as a min-cost flow, solved by shortest augmenting paths.
///
/// One side is the source side ("left"), the other the sink side ("right"): each unit of a left
/// node's capacity goes to a right node with room or stays unused at cost 0, and an arc costs
/// the negated score. Units are sent one at a time along a shortest path, found by Dijkstra
/// over right nodes on reduced costs, which stops at the first right node with room or unused
/// unit it reaches; only the nodes it settled change their potential. Nodes keep their
/// capacity, they are never duplicated per slot. The side with less capacity in total is the
/// left one, so the other keeps room to spare and the paths stay short.
///
/// The potentials stay an LP dual throughout and end optimal, a certificate the tests check:
/// prices ≥ 0, `price(candidate) + price(offer) >= score` on every usable pair with equality on
/// chosen ones, 0 for a node with room left, and the dual total equal to the primal total.
final class AssignmentSolver {
    /// True when offers are the left side.
    let offersLeft: Bool
    private let leftCount: Int
    private let rightCount: Int
    private let arena: SolverArena

    private let leftCapacity: SolverBuffer<Int32>
    private let rightCapacity: SolverBuffer<Int32>
    /// The arcs of left node l are `arcStart[l] ..< arcStart[l + 1]`, highest score first.
    private let arcStart: SolverBuffer<Int>
    private let arcLeft: SolverBuffer<Int32>
    private let arcRight: SolverBuffer<Int32>
    private let arcPair: SolverBuffer<Int32>

    /// Per arc, its score and a key bounding its profit (score − right price) from above.
    /// Right prices only rise, so a key stays an upper bound; it is lowered to the true profit
    /// whenever that is computed. A scan of a node's arcs stops at the first score too low to
    /// matter and skips arcs whose key is, without reading the right node.
    private struct Scan {
        var key: Int32
        var score: Int32
        /// The arc's right node, here too so that reaching it reads no other arc array.
        var right: Int32
    }
    private let scan: SolverBuffer<Scan>
    /// The arcs of left node l in blocks of `blockSize` from `arcStart[l]`, block k of them
    /// at `blockStart[l] + k`, each with the highest key in it: a scan skips a whole block
    /// (one cache line of `Scan`) on one comparison.
    private static let blockSize = 8
    private let blockStart: SolverBuffer<Int>
    private let blockKey: SolverBuffer<Int32>

    /// The duals of the two capacity constraints: what one more unit of a node would gain.
    private let leftPrice: SolverBuffer<Int64>
    /// A right node's price and search state together, because a search reads them together.
    private struct RightNode {
        var price: Int64 = 0
        var distance: Int64 = 0
        /// `distance` and `predecessorArc` are current when this equals the search's stamp.
        var reached: Int32 = 0
        var settled: Int32 = 0
        /// The arc by which the node was reached.
        var predecessorArc: Int32 = -1
        /// Where the node is in the search's heap; -1 when it is not.
        var heapPosition: Int32 = -1
    }
    private let right: SolverBuffer<RightNode>

    /// Chosen arcs at node n: `slots[start[n] ..< start[n] + load[n]]`; right slots also name
    /// the left node.
    private let leftSlotStart: SolverBuffer<Int>
    private let leftSlots: SolverBuffer<Int32>
    private let leftLoad: SolverBuffer<Int32>
    private let rightSlotStart: SolverBuffer<Int>
    private let rightSlots: SolverBuffer<Int32>
    private let rightSlotLeft: SolverBuffer<Int32>
    private let rightLoad: SolverBuffer<Int32>

    // Search state, reused; a left node's values are current when its stamp is the search's.
    private let leftStamp: SolverBuffer<Int32>
    private let leftDistance: SolverBuffer<Int64>
    /// The chosen arc by which a left node was reached, backwards from its right node.
    private let leftPredecessorArc: SolverBuffer<Int32>
    private let settledRights: SolverBuffer<Int32>
    private let settledLefts: SolverBuffer<Int32>
    private let heap: SolverBuffer<Int32>
    private var stamp: Int32 = 0

    init(_ pairs: MatchPairs, capacities: [Int], candidateCount: Int) {
        Assignment.checkIndices(pairs, capacities: capacities, candidateCount: candidateCount)
        let offerCapacity = capacities.map { max(0, $0) }
        let usable = (0..<pairs.count).filter {
            pairs.scoreMicros[$0] > 0 && offerCapacity[Int(pairs.offerIndex[$0])] > 0
        }
        // A node can use no more units than it has arcs.
        var offerDegree = [Int](repeating: 0, count: capacities.count)
        var candidateDegree = [Int](repeating: 0, count: candidateCount)
        for p in usable {
            offerDegree[Int(pairs.offerIndex[p])] += 1
            candidateDegree[Int(pairs.candidateIndex[p])] += 1
        }
        let offerUnits = zip(offerCapacity, offerDegree).map { min($0, $1) }
        let candidateUnits = candidateDegree.map { min(1, $0) }
        offersLeft = offerUnits.reduce(0, +) < candidateUnits.reduce(0, +)
        let leftUnits = offersLeft ? offerUnits : candidateUnits
        let rightUnits = offersLeft ? candidateUnits : offerUnits
        let left = offersLeft ? pairs.offerIndex : pairs.candidateIndex
        let rightIndex = offersLeft ? pairs.candidateIndex : pairs.offerIndex
        leftCount = leftUnits.count
        rightCount = rightUnits.count
        let arena = SolverArena()
        self.arena = arena

        // Arcs grouped by left node, best score first (ties in pair order).
        var start = [Int](repeating: 0, count: leftCount + 1)
        for p in usable { start[Int(left[p]) + 1] += 1 }
        for l in 0..<leftCount { start[l + 1] += start[l] }
        // Sorted as one word each: the score descending above, the pair index below.
        var keys = [UInt64](repeating: 0, count: usable.count)
        var fill = start
        for p in usable {
            keys[fill[Int(left[p])]] = UInt64(UInt32(Int32.max - pairs.scoreMicros[p])) << 32 | UInt64(p)
            fill[Int(left[p])] += 1
        }
        for l in 0..<leftCount { keys[start[l]..<start[l + 1]].sort() }
        let grouped = keys.map { Int32(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }

        leftCapacity = arena.buffer(leftUnits.map(Int32.init))
        rightCapacity = arena.buffer(rightUnits.map(Int32.init))
        arcStart = arena.buffer(start)
        arcPair = arena.buffer(grouped)
        arcLeft = arena.buffer(grouped.map { left[Int($0)] })
        arcRight = arena.buffer(grouped.map { rightIndex[Int($0)] })
        scan = arena.buffer(grouped.map {
            Scan(key: pairs.scoreMicros[Int($0)], score: pairs.scoreMicros[Int($0)], right: rightIndex[Int($0)])
        })
        var blocks = [0]
        var blockKeys: [Int32] = []
        for l in 0..<leftCount {
            for first in stride(from: start[l], to: start[l + 1], by: Self.blockSize) {
                blockKeys.append(pairs.scoreMicros[Int(grouped[first])])
            }
            blocks.append(blockKeys.count)
        }
        blockStart = arena.buffer(blocks)
        blockKey = arena.buffer(blockKeys)
        // Before a node is reached its price is free: its best score bounds every profit.
        leftPrice = arena.buffer((0..<leftCount).map { l in
            start[l] < start[l + 1] ? Int64(pairs.scoreMicros[Int(grouped[start[l]])]) : 0
        })
        right = arena.buffer(repeating: RightNode(), count: rightCount)
        func starts(_ units: [Int]) -> [Int] { units.reduce(into: [0]) { $0.append($0.last! + $1) } }
        let leftStarts = starts(leftUnits)
        let rightStarts = starts(rightUnits)
        leftSlotStart = arena.buffer(leftStarts)
        leftSlots = arena.buffer(repeating: -1, count: leftStarts.last!)
        leftLoad = arena.buffer(repeating: 0, count: leftCount)
        rightSlotStart = arena.buffer(rightStarts)
        rightSlots = arena.buffer(repeating: -1, count: rightStarts.last!)
        rightSlotLeft = arena.buffer(repeating: -1, count: rightStarts.last!)
        rightLoad = arena.buffer(repeating: 0, count: rightCount)
        leftStamp = arena.buffer(repeating: 0, count: leftCount)
        leftDistance = arena.buffer(repeating: 0, count: leftCount)
        leftPredecessorArc = arena.buffer(repeating: -1, count: leftCount)
        settledRights = arena.buffer(repeating: -1, count: rightCount)
        settledLefts = arena.buffer(repeating: -1, count: leftCount)
        heap = arena.buffer(repeating: -1, count: rightCount)
    }

    var solution: Assignment.Solution {
        var chosen: [Int] = []
        var total: Int64 = 0
        for l in 0..<leftCount {
            for s in leftSlotStart[l]..<(leftSlotStart[l] + Int(leftLoad[l])) {
                let arc = Int(leftSlots[s])
                chosen.append(Int(arcPair[arc]))
                total += Int64(scan[arc].score)
            }
        }
        return Assignment.Solution(chosen: chosen.sorted(), totalMicros: total)
    }

    var candidatePrice: [Int64] { offersLeft ? (0..<rightCount).map { right[$0].price } : leftPrice.array }
    var offerPrice: [Int64] { offersLeft ? leftPrice.array : (0..<rightCount).map { right[$0].price } }

    func solve() {
        // Nodes with the best arcs first: they take what they want with short paths, and
        // the weaker ones are bounded by what little they could gain.
        let order = (0..<leftCount).sorted { a, b in
            leftPrice[a] != leftPrice[b] ? leftPrice[a] > leftPrice[b] : a < b
        }
        for l in order {
            var load = Int(leftLoad[l])
            while load < Int(leftCapacity[l]) {
                if load == 0 {
                    // Nothing is tied to the node's price: lower it to the best it can gain.
                    var gain: Int64 = 0
                    for a in arcStart[l]..<arcStart[l + 1] {
                        // Prices are never negative: from a score this low on, no arc gains more.
                        if Int64(scan[a].score) <= gain { break }
                        if Int64(scan[a].key) > gain { gain = max(gain, profit(a)) }
                    }
                    leftPrice[l] = gain
                }
                // A unit left unused means every further one would be too.
                guard augment(from: l) else { break }
                load += 1
            }
        }
    }

    /// The current profit of arc a, which also becomes its key.
    @inline(__always)
    private func profit(_ a: Int) -> Int64 {
        let entry = scan[a]
        let profit = Int64(entry.score) - right[Int(entry.right)].price
        scan[a].key = Int32(profit)
        return profit
    }

    @inline(__always)
    private func isChosen(_ arc: Int, at l: Int) -> Bool {
        let first = leftSlotStart[l]
        for s in first..<(first + Int(leftLoad[l])) where Int(leftSlots[s]) == arc { return true }
        return false
    }

    /// Sets a left node's price and makes its chosen arcs tight by raising their right nodes'
    /// prices; only when offers are the left side, where a right node holds one arc at most and
    /// only arcs into it get dearer.
    private func setPrice(_ l: Int, _ price: Int64) {
        leftPrice[l] = price
        let first = leftSlotStart[l]
        for s in first..<(first + Int(leftLoad[l])) {
            let arc = Int(leftSlots[s])
            let r = Int(arcRight[arc])
            assert(Int64(scan[arc].score) - price >= right[r].price)
            right[r].price = Int64(scan[arc].score) - price
        }
    }

    /// Sends one unit of left node `source` along a shortest augmenting path; false when the
    /// optimum leaves it unused.
    private func augment(from source: Int) -> Bool {
        stamp &+= 1
        let stamp = self.stamp
        var settledRightCount = 0
        var settledLeftCount = 1
        var heapCount = 0

        // The cheapest way found so far to end the path: at a right node with room, or by
        // leaving a unit of a left node unused (at first: this very unit).
        var best = leftPrice[source]
        var end = PathEnd(freeRight: -1, unused: source, unusedArc: -1)
        leftStamp[source] = stamp
        leftDistance[source] = 0
        settledLefts[0] = Int32(source)
        relax(from: source, at: 0, stamp: stamp, best: &best, end: &end, heapCount: &heapCount)

        while heapCount > 0 {
            let r = popMinimum(&heapCount)
            let d = right[r].distance
            if d >= best { break }
            right[r].settled = stamp
            settledRights[settledRightCount] = Int32(r)
            settledRightCount += 1
            let first = rightSlotStart[r]
            for s in first..<(first + Int(rightLoad[r])) {
                let l = Int(rightSlotLeft[s])
                guard leftStamp[l] != stamp else { continue }
                // Chosen arcs are tight, so l is reached at r's distance.
                leftStamp[l] = stamp
                leftDistance[l] = d
                leftPredecessorArc[l] = rightSlots[s]
                settledLefts[settledLeftCount] = Int32(l)
                settledLeftCount += 1
                if d + leftPrice[l] < best {
                    best = d + leftPrice[l]
                    end = PathEnd(freeRight: -1, unused: l, unusedArc: Int(rightSlots[s]))
                }
                relax(from: l, at: d, stamp: stamp, best: &best, end: &end, heapCount: &heapCount)
            }
        }
        for k in 0..<heapCount { right[Int(heap[k])].heapPosition = -1 }

        // New potentials keep every reduced cost non-negative and make the path tight.
        for k in 0..<settledRightCount {
            let r = Int(settledRights[k])
            right[r].price += best - right[r].distance
        }
        for k in 0..<settledLeftCount {
            let l = Int(settledLefts[k])
            leftPrice[l] -= best - leftDistance[l]
        }
        // When offers are the left side, a settled offer may have been reached through one of
        // its chosen arcs only, or through none (the source), so the others lost their
        // tightness; restoring it raises prices of right nodes, candidates with room for one.
        if offersLeft {
            for k in 0..<settledLeftCount {
                let l = Int(settledLefts[k])
                if leftLoad[l] > 0 { setPrice(l, leftPrice[l]) }
            }
        }

        var node: Int
        if end.freeRight >= 0 {
            node = end.freeRight
        } else {
            if end.unused == source { return false }
            node = withdraw(end.unusedArc)
        }
        // Walk back: each left node on the path takes the right node it reached and gives up
        // the one it was reached through.
        while true {
            let arc = Int(right[node].predecessorArc)
            let l = Int(arcLeft[arc])
            let given = l == source ? -1 : withdraw(Int(leftPredecessorArc[l]))
            choose(arc)
            if given < 0 { return true }
            node = given
        }
    }

    /// How the cheapest path found so far ends: at a right node with room, or with a unit of
    /// left node `unused` left unused, which gives up `unusedArc` (none for the source itself).
    private struct PathEnd {
        var freeRight: Int
        var unused: Int
        var unusedArc: Int
    }

    @inline(__always)
    private func relax(
        from l: Int, at d: Int64, stamp: Int32, best: inout Int64, end: inout PathEnd, heapCount: inout Int
    ) {
        let base = d + leftPrice[l]
        let holdsArcs = leftLoad[l] > 0
        let last = arcStart[l + 1]
        var first = arcStart[l]
        var block = blockStart[l]
        // reached = base − profit, and profit ≤ key ≤ score: from a score this low on nothing
        // is reached below `best` (scores fall along the arcs), and a key this low rules its
        // arc out, a block's highest key the whole block.
        while first < last && base - Int64(scan[first].score) < best {
            let blockEnd = min(first + Self.blockSize, last)
            defer {
                first = blockEnd
                block += 1
            }
            guard base - Int64(blockKey[block]) < best else { continue }
            var highest = Int32.min
            for a in first..<blockEnd {
                let entry = scan[a]
                if base - Int64(entry.score) < best && base - Int64(entry.key) < best {
                    reach(arc: a, from: l, base: base, holdsArcs: holdsArcs, stamp: stamp, best: &best, end: &end,
                          heapCount: &heapCount)
                }
                highest = max(highest, scan[a].key)
            }
            blockKey[block] = highest
        }
    }

    @inline(__always)
    private func reach(
        arc a: Int, from l: Int, base: Int64, holdsArcs: Bool, stamp: Int32, best: inout Int64, end: inout PathEnd,
        heapCount: inout Int
    ) {
        let reached = base - profit(a)
        let r = Int(scan[a].right)
        let node = right[r]
        if reached >= best || node.settled == stamp || (node.reached == stamp && reached >= node.distance) { return }
        if holdsArcs && isChosen(a, at: l) { return }
        right[r].reached = stamp
        right[r].distance = reached
        right[r].predecessorArc = Int32(a)
        if rightLoad[r] < rightCapacity[r] {
            // Room here ends the path; the price of a node with room stays 0.
            best = reached
            end = PathEnd(freeRight: r, unused: -1, unusedArc: -1)
        } else {
            // A holder of r could leave a unit unused right away: a bound on the path found
            // before r is settled, which prunes the search sooner.
            let first = rightSlotStart[r]
            for s in first..<(first + Int(rightLoad[r])) where reached + leftPrice[Int(rightSlotLeft[s])] < best {
                best = reached + leftPrice[Int(rightSlotLeft[s])]
                end = PathEnd(freeRight: -1, unused: Int(rightSlotLeft[s]), unusedArc: Int(rightSlots[s]))
            }
            if node.heapPosition < 0 {
                heap[heapCount] = Int32(r)
                right[r].heapPosition = Int32(heapCount)
                heapCount += 1
            }
            siftUp(Int(right[r].heapPosition))
        }
    }

    // MARK: The search's heap of right nodes, by (distance, index)

    @inline(__always)
    private func precedes(_ a: Int32, _ b: Int32) -> Bool {
        let (da, db) = (right[Int(a)].distance, right[Int(b)].distance)
        return da < db || (da == db && a < b)
    }

    @inline(__always)
    private func place(_ r: Int32, at position: Int) {
        heap[position] = r
        right[Int(r)].heapPosition = Int32(position)
    }

    private func siftUp(_ start: Int) {
        let r = heap[start]
        var position = start
        while position > 0 {
            let parent = (position - 1) / 2
            guard precedes(r, heap[parent]) else { break }
            place(heap[parent], at: position)
            position = parent
        }
        place(r, at: position)
    }

    private func popMinimum(_ count: inout Int) -> Int {
        let top = heap[0]
        right[Int(top)].heapPosition = -1
        count -= 1
        guard count > 0 else { return Int(top) }
        let last = heap[count]
        var position = 0
        while true {
            var child = 2 * position + 1
            guard child < count else { break }
            if child + 1 < count && precedes(heap[child + 1], heap[child]) { child += 1 }
            guard precedes(heap[child], last) else { break }
            place(heap[child], at: position)
            position = child
        }
        place(last, at: position)
        return Int(top)
    }

    // MARK: Chosen arcs

    private func choose(_ arc: Int) {
        let l = Int(arcLeft[arc])
        let r = Int(arcRight[arc])
        leftSlots[leftSlotStart[l] + Int(leftLoad[l])] = Int32(arc)
        leftLoad[l] += 1
        rightSlots[rightSlotStart[r] + Int(rightLoad[r])] = Int32(arc)
        rightSlotLeft[rightSlotStart[r] + Int(rightLoad[r])] = Int32(l)
        rightLoad[r] += 1
    }

    /// Undoes a chosen arc; returns its right node.
    private func withdraw(_ arc: Int) -> Int {
        let l = Int(arcLeft[arc])
        let r = Int(arcRight[arc])
        let leftFirst = leftSlotStart[l]
        let leftLast = leftFirst + Int(leftLoad[l]) - 1
        var at = leftFirst
        while Int(leftSlots[at]) != arc { at += 1 }
        leftSlots[at] = leftSlots[leftLast]
        leftLoad[l] -= 1
        let rightFirst = rightSlotStart[r]
        let rightLast = rightFirst + Int(rightLoad[r]) - 1
        at = rightFirst
        while Int(rightSlots[at]) != arc { at += 1 }
        rightSlots[at] = rightSlots[rightLast]
        rightSlotLeft[at] = rightSlotLeft[rightLast]
        rightLoad[r] -= 1
        return r
    }
}

/// Fixed-size storage for plain values that the solver indexes itself: its inner loops then
/// pay for no bounds check and no copy-on-write. Indices are checked in debug builds.
struct SolverBuffer<Element> {
    private let base: UnsafeMutablePointer<Element>
    let count: Int

    fileprivate init(base: UnsafeMutablePointer<Element>, count: Int) {
        self.base = base
        self.count = count
    }

    subscript(index: Int) -> Element {
        @inline(__always) get {
            assert(index >= 0 && index < count)
            return base[index]
        }
        @inline(__always) nonmutating set {
            assert(index >= 0 && index < count)
            base[index] = newValue
        }
    }

    var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// Owns the solver's buffers and frees them with it.
final class SolverArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    func buffer<Element>(repeating value: Element, count: Int) -> SolverBuffer<Element> {
        precondition(_isPOD(Element.self), "plain values only: the arena never deinitializes")
        let base = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        base.initialize(repeating: value, count: count)
        blocks.append(UnsafeMutableRawPointer(base))
        return SolverBuffer(base: base, count: count)
    }

    func buffer<Element>(_ values: [Element]) -> SolverBuffer<Element> {
        precondition(_isPOD(Element.self), "plain values only: the arena never deinitializes")
        let base = UnsafeMutablePointer<Element>.allocate(capacity: max(values.count, 1))
        _ = UnsafeMutableBufferPointer(start: base, count: values.count).initialize(from: values)
        blocks.append(UnsafeMutableRawPointer(base))
        return SolverBuffer(base: base, count: values.count)
    }

    deinit {
        for block in blocks { block.deallocate() }
    }
}
