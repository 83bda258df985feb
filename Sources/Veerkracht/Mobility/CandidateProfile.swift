import Foundation

/// What a staff member brings to a temporary move: the supply side of the marketplace.
/// Holds no absence, case or restriction data; restrictions are `FunctionalRestrictions`.
public struct CandidateProfile: Sendable, Hashable {
    public var employeeID: UUID
    public var details: CandidateDetails
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// What the officer (or HR) writes; a replacement sets all of it.
public struct CandidateDetails: Sendable, Hashable {
    public var competencies: [String: Int] = [:]
    public var goodAt: [String] = []
    public var likesDoing: [String] = []
    public var findsImportant: [String] = []
    public var talentNote: String?
    public var preferredPostcodes: [String] = []
    public var maxTravelMinutes: Int?
    public var maxHoursPerWeek: Double?
    public var availableFrom: CalendarDate?
    public var teleworkDaysWanted: Int?
    public var requestedMove = false

    public init() {}

    /// Every catalogue code the profile uses, for one look-up.
    public var talentCodes: Set<String> { Set(goodAt + likesDoing + findsImportant) }
}

/// The highest level of each demand a person may take on, as an occupational physician set
/// it; a dimension without a level is not restricted. Never a diagnosis.
public struct FunctionalRestrictions: Sendable, Hashable {
    public var employeeID: UUID
    public var levels: [WorkDemand: DemandLevel]
    public var setBy: UUID?
    /// 0 while none were ever set, so that a first `PUT` has an ETag to send.
    public var version: Int64
    public var updatedAt: Date?
}

/// Who a candidate is and where their case stands, as access and matching need it.
public struct CandidateFacts: Sendable, Hashable {
    public var employeeID: UUID
    public var entityID: UUID
    public var givenName: String
    public var familyName: String
    public var grade: String?
    public var active: Bool
    /// The open trajectory, if any, with what decides who may see the candidate.
    public var trajectoryID: UUID?
    public var physicianID: UUID?
    public var consentVisibleToHR: Bool
    public var requestedMove: Bool

    /// Visible to HR as a candidate: the trajectory's consent, or without a trajectory the
    /// staff member's own request for a move.
    public var consentsToHR: Bool { trajectoryID == nil ? requestedMove : consentVisibleToHR }
}
