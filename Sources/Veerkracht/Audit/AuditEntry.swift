import Foundation

/// One access to case data, allowed or denied: who, in which role, did what to which
/// resource of which trajectory, in which request. Never what the data said.
public struct AuditEntry: Sendable, Hashable {
    public var actorID: UUID?
    public var actorRoles: [Role]
    public var action: AuditAction
    public var resourceType: AuditResource
    public var resourceID: UUID?
    public var trajectoryID: UUID?
    public var requestID: String?
    public var outcome: AuditOutcome

    public init(
        actorID: UUID?, actorRoles: [Role], action: AuditAction, resourceType: AuditResource,
        resourceID: UUID?, trajectoryID: UUID?, requestID: String?, outcome: AuditOutcome
    ) {
        self.actorID = actorID
        self.actorRoles = actorRoles
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.trajectoryID = trajectoryID
        self.requestID = requestID
        self.outcome = outcome
    }

    /// The entry for the request being served, by its principal.
    public init(
        _ principal: Principal, _ action: AuditAction, _ resourceType: AuditResource, id resourceID: UUID?,
        trajectory trajectoryID: UUID?, outcome: AuditOutcome = .allowed
    ) {
        self.init(
            actorID: principal.userID, actorRoles: principal.user.roles.sorted(), action: action, resourceType: resourceType,
            resourceID: resourceID, trajectoryID: trajectoryID, requestID: RequestScope.current?.traceID, outcome: outcome)
    }
}

public enum AuditAction: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case read, list, create, update, delete
}

public enum AuditOutcome: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case allowed, denied
}

/// The kinds of case data whose every access is recorded.
public enum AuditResource: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case employee, absence, trajectory, action, timeline, contactMoment, contactPreferences, deadline, triggerEvent
    /// Mobility: a profile or restrictions read or written, offers and candidates shown in a
    /// ranking or a match round, placements.
    case candidateProfile, functionalRestrictions, offer, placement, matchRound
}
