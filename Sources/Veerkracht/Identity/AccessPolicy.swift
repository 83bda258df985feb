import Foundation
import VeerkrachtAPI

/// The one place that answers "may this principal do this?". Later features add their
/// resources here, so that scoping rules are read and changed in one file.
public enum AccessPolicy {
    public enum Action: Sendable {
        /// Create, rename and move entities.
        case administerEntities
        /// Read, create and change users and their tokens.
        case administerUsers
        /// Read the audit log of case data.
        case readAuditLog
        /// List, add and import employees (staff records, not case data): officers and HR,
        /// each within their own entities (`employeeScope`).
        case keepStaffRecords
        /// Add and change the competency and talent catalogues.
        case administerCatalogues
        /// Post and keep temporary-mobility offers and run match rounds (HR).
        case keepOffers
    }

    /// Whether `principal` may perform `action` at all.
    public static func allows(_ principal: Principal, _ action: Action) -> Bool {
        switch action {
        case .administerEntities, .administerUsers, .administerCatalogues: principal.has(.admin)
        case .keepOffers: principal.has(.hr)
        case .readAuditLog: principal.has(.auditor)
        case .keepStaffRecords: principal.has(.officer) || principal.has(.hr)
        }
    }

    /// The action an operation is for as a whole, for the operations only some roles may call
    /// (the rest, such as reading the entity tree, are open to every authenticated user or
    /// scoped per resource). The one place these are checked: as soon as the caller is known,
    /// before the input is read, so that a refusal does not depend on how well-formed the input
    /// was (an officer's `/v1/audit?from=x` is 403, not 400).
    /// The generated operation ids, not string literals: a renamed operation fails to compile
    /// instead of silently losing its gate.
    public static func action(forOperation operationID: String) -> Action? {
        switch operationID {
        case Operations.ListAuditEntries.id: .readAuditLog
        case Operations.CreateEntity.id, Operations.UpdateEntity.id: .administerEntities
        case Operations.ListUsers.id, Operations.CreateUser.id, Operations.GetUser.id, Operations.UpdateUser.id,
            Operations.ListUserTokens.id, Operations.CreateUserToken.id, Operations.RevokeUserToken.id:
            .administerUsers
        case Operations.ListEmployees.id, Operations.CreateEmployee.id, Operations.ImportEmployees.id: .keepStaffRecords
        case Operations.CreateCompetency.id, Operations.UpdateCompetency.id, Operations.CreateTalent.id, Operations.UpdateTalent.id:
            .administerCatalogues
        case Operations.CreateOffer.id, Operations.CreateMatchRound.id: .keepOffers
        default: nil
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

    // MARK: - Case data (need to know)

    /// What someone may do with a trajectory and everything in it (absence, contacts,
    /// deadlines, actions, timeline).
    public enum CaseAccess: Sendable, Hashable {
        case read, write
    }

    /// The trajectories a principal may see, as the list queries filter them: an officer's
    /// are those of their entities (and below), a physician's those assigned to them. Every
    /// other role sees none (PRODUCT.md, "Who may see what"). Writing is for officers only.
    public struct CaseScope: Sendable, Hashable {
        /// Entities whose trajectories the principal may see (officers); empty for others.
        public var entityIDs: [UUID]
        /// Set for a physician: trajectories with this physician assigned.
        public var physicianID: UUID?

        public var isEmpty: Bool { entityIDs.isEmpty && physicianID == nil }
    }

    public static func caseScope(_ principal: Principal, _ access: CaseAccess) -> CaseScope {
        CaseScope(
            entityIDs: principal.has(.officer) ? Array(principal.scopeEntityIDs) : [],
            physicianID: access == .read && principal.has(.physician) ? principal.userID : nil)
    }

    /// The same rule for one trajectory already loaded; must agree with `caseScope`.
    public static func mayAccessCase(
        _ principal: Principal, _ access: CaseAccess, entityID: UUID, physicianID: UUID?
    ) -> Bool {
        let scope = caseScope(principal, access)
        return scope.entityIDs.contains(entityID) || (scope.physicianID != nil && scope.physicianID == physicianID)
    }

    /// Employees (staff records without case data): officers and HR of their entities.
    public static func mayAccessEmployee(_ principal: Principal, entityID: UUID) -> Bool {
        allows(principal, .keepStaffRecords) && isInScope(principal, entity: entityID)
    }

    /// The entities whose employees the principal may see, as list queries filter them; the
    /// same rule as `mayAccessEmployee`.
    public static func employeeScope(_ principal: Principal) -> [UUID] {
        allows(principal, .keepStaffRecords) ? Array(principal.scopeEntityIDs) : []
    }

    /// Absences are case data: officers of the employee's entity (or an entity above it) may
    /// read and write them, nobody else; the same entities as `caseScope` gives officers.
    /// List queries filter by `caseScope(principal, access).entityIDs` against the
    /// employee's entity.
    public static func mayAccessAbsence(_ principal: Principal, _ access: CaseAccess, employeeEntityID: UUID) -> Bool {
        caseScope(principal, access).entityIDs.contains(employeeEntityID)
    }
}
