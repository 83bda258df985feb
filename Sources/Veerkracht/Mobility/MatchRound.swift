import Foundation

/// A match round: an optimal assignment of candidates to offers, computed once and kept.
public struct MatchRound: Sendable {
    public enum Status: String, Sendable, Hashable, CaseIterable, Codable, StoredCode { case running, completed, failed }
    public enum Phase: String, Sendable, Hashable, CaseIterable, Codable, StoredCode { case reading, evaluating, solving, storing, done }

    public var id: UUID
    public var requestedBy: UUID
    public var status: Status
    public var phase: Phase
    public var progress: Double
    public var minimumScore: Double
    public var offerCount: Int?
    public var candidateCount: Int?
    public var feasiblePairCount: Int?
    public var totalScoreMicros: Int64?
    public var greedyTotalMicros: Int64?
    public var timings: MatchRoundTimings?
    public var acceptedAt: Date?
    public var createdAt: Date
    public var completedAt: Date?
    public var pairs: [MatchRoundPair] = []
}

/// Where a round's time went, in milliseconds.
public struct MatchRoundTimings: Sendable, Hashable, Codable {
    public var readingMs: Double
    public var evaluatingMs: Double
    public var solvingMs: Double
    public var storingMs: Double
}

/// One pair of the optimum or of greedy's answer, with its explanation.
public struct MatchRoundPair: Sendable {
    public var offer: OfferSummary
    public var employeeID: UUID
    public var givenName: String
    public var familyName: String
    public var trajectoryID: UUID?
    public var scoreMicros: Int
    public var inOptimum: Bool
    public var inGreedy: Bool
    public var explanation: StoredExplanation
    public var placementID: UUID?
}

/// What a round keeps of a pair's explanation (every hard constraint passed, or it would not
/// be a pair): the parts and the strongest and weakest of them.
public struct StoredExplanation: Sendable, Hashable, Codable {
    public struct Part: Sendable, Hashable, Codable {
        public var part: ScorePart
        public var value: Double
        public var weight: Double
    }

    public var parts: [Part]
    public var strongest: [ScorePart]
    public var weakest: [ScorePart]

    public init(_ result: MatchResult) {
        parts = result.parts.map { Part(part: $0.part, value: $0.value, weight: $0.weight) }
        strongest = result.strongest
        weakest = result.weakest
    }
}
