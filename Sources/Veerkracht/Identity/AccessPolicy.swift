import Foundation

/// The one place that answers "may this principal do this?". Later features add their
/// resources here, so that scoping rules are read and changed in one file.
public enum AccessPolicy {
    public enum Action: Sendable {
        /// Read the organisational tree: every authenticated user.
        case readEntities
        /// Create, rename and move entities.
        case administerEntities
        /// Read, create and change users and their tokens.
        case administerUsers
    }

    /// Whether `principal` may perform `action` at all.
    public static func allows(_ principal: Principal, _ action: Action) -> Bool {
        switch action {
        case .readEntities: true
        case .administerEntities, .administerUsers: principal.has(.admin)
        }
    }

    /// Throws the answer the caller gets when they may not: 403 where refusing hides nothing
    /// (the operation itself is for another role), as PRODUCT.md says.
    public static func require(_ principal: Principal, _ action: Action) throws(Problem) {
        guard allows(principal, action) else { throw Problem.missingPermission }
    }

    /// Whether an entity is within the principal's own entities (or below them).
    public static func isInScope(_ principal: Principal, entity: UUID) -> Bool {
        principal.scopeEntityIDs.contains(entity)
    }
}
