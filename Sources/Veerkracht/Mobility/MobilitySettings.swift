import Foundation
import PostgresLibPQ

/// The employer's figures for the marketplace (Configuration, from the environment).
public struct MobilitySettings: Sendable, Hashable {
    public var offerRules: OfferRules
    public var weights: MatchWeights
    /// A match round over more offer × candidate pairs than this runs as a job (202).
    public var roundJobPairs: Int

    public init(offerRules: OfferRules = OfferRules(), weights: MatchWeights = .standard, roundJobPairs: Int = 250_000) {
        self.offerRules = offerRules
        self.weights = weights
        self.roundJobPairs = roundJobPairs
    }
}

/// What every mobility operation works with: the database, the audit, the clock, the rules.
/// The operation types (`Offers`, `CandidateProfiles`, `Rankings`, `Placements`,
/// `MatchRounds`, `Catalogues`) take it, so the API, the CLI and a sweep call the same code.
public struct MobilityContext: Sendable {
    public var database: PostgresClient
    public var auditWriter: AuditWriter
    public var settings: MobilitySettings
    public var now: @Sendable () -> Date

    public init(database: PostgresClient, auditWriter: AuditWriter, settings: MobilitySettings, now: @escaping @Sendable () -> Date) {
        self.database = database
        self.auditWriter = auditWriter
        self.settings = settings
        self.now = now
    }

    var engine: MatchEngine { MatchEngine(weights: settings.weights) }
    var today: CalendarDate { CalendarDate.today(at: now()) }

    /// Records a refused access apart from any transaction (which rolls back) and answers 404.
    func deny(_ principal: Principal, _ action: AuditAction, _ resource: AuditResource, id: UUID?, trajectory: UUID? = nil) async throws -> Never {
        try await auditWriter.append(AuditEntry(principal, action, resource, id: id, trajectory: trajectory, outcome: .denied))
        throw Problem.notFound
    }
}
