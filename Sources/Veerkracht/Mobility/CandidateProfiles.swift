import Foundation
import PostgresLibPQ

/// How a principal sees one candidate.
public enum CandidateView: Sendable, Hashable {
    /// The officer of the trajectory (or HR keeping the profile of someone without one):
    /// reads and writes the profile, sees the trajectory id.
    case keeper
    /// HR looking at a consenting candidate: the profile without any case data.
    case hr
}

extension AccessPolicy {
    /// The one rule for candidate profiles (PRODUCT.md, "Who may see what"): the trajectory's
    /// officers keep the profile of a staff member with an open trajectory, HR of their entity
    /// that of one without; HR reads a consenting candidate's (`hrHasReason`: the candidate is
    /// in HR's entities or may see one of HR's offers). Nil: 404.
    public static func candidateView(
        _ principal: Principal, _ access: CaseAccess, facts: CandidateFacts, trajectoryEntityID: UUID?, hrHasReason: Bool
    ) -> CandidateView? {
        if let trajectoryEntityID, principal.has(.officer),
            caseScope(principal, .write).entityIDs.contains(trajectoryEntityID)
        {
            return .keeper
        }
        if facts.trajectoryID == nil, principal.has(.hr), isInScope(principal, entity: facts.entityID) { return .keeper }
        if access == .read, principal.has(.hr), facts.consentsToHR, hrHasReason { return .hr }
        return nil
    }

    /// Functional restrictions: the assigned physician reads and writes them, the trajectory's
    /// officers read them; nobody else, never HR.
    public static func mayAccessRestrictions(
        _ principal: Principal, _ access: CaseAccess, facts: CandidateFacts, trajectoryEntityID: UUID?
    ) -> Bool {
        guard let trajectoryEntityID else { return false }
        if principal.has(.physician), facts.physicianID == principal.userID { return true }
        return access == .read && principal.has(.officer) && caseScope(principal, .read).entityIDs.contains(trajectoryEntityID)
    }
}

/// A profile as one principal may see it.
public struct CandidateProfileView: Sendable {
    public var facts: CandidateFacts
    public var profile: CandidateProfile
    public var view: CandidateView
}

/// Keeping candidate profiles and, for physicians, functional restrictions. Every read and
/// write is audited, refusals too.
public struct CandidateProfiles: Sendable {
    public var context: MobilityContext
    let store = CandidateStore()
    let catalogue = CatalogueStore()

    public init(context: MobilityContext) { self.context = context }

    public func read(_ principal: Principal, _ employeeID: UUID) async throws -> CandidateProfileView {
        let found: CandidateProfileView? = try await context.database.withConnection { connection in
            guard let (facts, trajectoryEntityID) = try await store.facts(employeeID, on: connection),
                let view = AccessPolicy.candidateView(
                    principal, .read, facts: facts, trajectoryEntityID: trajectoryEntityID,
                    hrHasReason: try await hrHasReason(principal, facts, on: connection)),
                let profile = try await store.profile(employeeID, on: connection)
            else { return nil }
            return CandidateProfileView(facts: facts, profile: profile, view: view)
        }
        guard let found else { try await context.deny(principal, .read, .candidateProfile, id: employeeID) }
        try await context.auditWriter.append(AuditEntry(principal, .read, .candidateProfile, id: employeeID, trajectory: found.facts.trajectoryID))
        return found
    }

    /// Creates or replaces the profile; `ifMatch` is required once it exists.
    public func replace(_ principal: Principal, _ employeeID: UUID, _ details: CandidateDetails, ifMatch: String?) async throws -> CandidateProfileView {
        let outcome: GateOutcome<CandidateProfileView> = try await context.database.withTransaction { connection in
            guard let (facts, trajectoryEntityID) = try await store.facts(employeeID, lock: true, on: connection),
                AccessPolicy.candidateView(principal, .write, facts: facts, trajectoryEntityID: trajectoryEntityID, hrHasReason: false) == .keeper
            else { return .denied(trajectory: nil) }
            let current = try await store.profile(employeeID, on: connection)
            if let current {
                try ETag.requireMatch(ifMatch, current: ETag.make(id: employeeID, version: current.version))
            }
            try Input.check(try await issues(details, on: connection))
            guard try await store.save(employeeID, details, version: current?.version, by: principal.userID, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            guard let saved = try await store.profile(employeeID, on: connection) else { throw Problem.notFound }
            if let trajectory = facts.trajectoryID {
                try TimelineStore().append(.candidateProfileChanged, trajectory: trajectory, actor: principal.userID, payload: [String: String](), on: connection)
            }
            try AuditStore().append(
                AuditEntry(principal, current == nil ? .create : .update, .candidateProfile, id: employeeID, trajectory: facts.trajectoryID),
                on: connection)
            return .allowed(CandidateProfileView(facts: facts, profile: saved, view: .keeper))
        }
        guard case .allowed(let view) = outcome else { try await context.deny(principal, .update, .candidateProfile, id: employeeID) }
        return view
    }

    public func restrictions(_ principal: Principal, _ employeeID: UUID) async throws -> FunctionalRestrictions {
        let found: (FunctionalRestrictions, UUID?)? = try await context.database.withConnection { connection in
            guard let (facts, trajectoryEntityID) = try await store.facts(employeeID, on: connection),
                AccessPolicy.mayAccessRestrictions(principal, .read, facts: facts, trajectoryEntityID: trajectoryEntityID)
            else { return nil }
            return (try await store.restrictions(employeeID, on: connection), facts.trajectoryID)
        }
        guard let (restrictions, trajectory) = found else { try await context.deny(principal, .read, .functionalRestrictions, id: employeeID) }
        try await context.auditWriter.append(AuditEntry(principal, .read, .functionalRestrictions, id: employeeID, trajectory: trajectory))
        return restrictions
    }

    /// Sets the restrictions: the assigned occupational physician only.
    public func replaceRestrictions(
        _ principal: Principal, _ employeeID: UUID, _ levels: [WorkDemand: DemandLevel], ifMatch: String?
    ) async throws -> FunctionalRestrictions {
        let outcome: GateOutcome<FunctionalRestrictions> = try await context.database.withTransaction { connection in
            guard let (facts, trajectoryEntityID) = try await store.facts(employeeID, lock: true, on: connection),
                principal.has(.physician),
                AccessPolicy.mayAccessRestrictions(principal, .write, facts: facts, trajectoryEntityID: trajectoryEntityID),
                let trajectory = facts.trajectoryID
            else { return .denied(trajectory: nil) }
            let current = try await store.restrictions(employeeID, on: connection)
            if current.version > 0 || ifMatch != nil {
                try ETag.requireMatch(ifMatch, current: ETag.make(id: employeeID, version: current.version))
            }
            guard try await store.saveRestrictions(employeeID, levels, version: current.version, by: principal.userID, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            // The timeline says that they changed, never to what.
            try TimelineStore().append(.restrictionsChanged, trajectory: trajectory, actor: principal.userID, payload: [String: String](), on: connection)
            try AuditStore().append(
                AuditEntry(principal, current.version == 0 ? .create : .update, .functionalRestrictions, id: employeeID, trajectory: trajectory),
                on: connection)
            return .allowed(try await store.restrictions(employeeID, on: connection))
        }
        guard case .allowed(let restrictions) = outcome else {
            try await context.deny(principal, .update, .functionalRestrictions, id: employeeID)
        }
        return restrictions
    }

    /// A consenting candidate concerns HR when they work in HR's entities or may see one of
    /// HR's offers that is not over.
    func hrHasReason(_ principal: Principal, _ facts: CandidateFacts, on connection: PostgresConnection) async throws -> Bool {
        guard principal.has(.hr), facts.consentsToHR else { return false }
        if AccessPolicy.isInScope(principal, entity: facts.entityID) { return true }
        return try await !connection.query("""
            SELECT 1 FROM offers o WHERE o.host_entity_id = ANY(\(AccessPolicy.offerHostScope(principal)))
              AND o.status IN ('draft', 'submitted', 'open') AND \(fragment: OfferStore.visible(to: [facts.entityID]))
            LIMIT 1
            """).isEmpty
    }

    func issues(_ details: CandidateDetails, on connection: PostgresConnection) async throws -> [InputIssue] {
        var issues: [InputIssue] = []
        let unknownCompetencies = try await catalogue.unknownCodes(.competencies, Set(details.competencies.keys), on: connection)
        for code in unknownCompetencies.sorted() {
            issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "competencies", detail: "No such competency in the catalogue", value: code))
        }
        let unknownTalents = try await catalogue.unknownCodes(.talents, details.talentCodes, on: connection)
        for code in unknownTalents.sorted() {
            issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "talents", detail: "No such talent in the catalogue", value: code))
        }
        if details.competencies.count > 50 { issues.append(InputIssue(in: .body, name: "competencies", detail: "At most 50 competencies")) }
        for (code, level) in details.competencies.sorted(by: { $0.key < $1.key }) where !(1...5).contains(level) {
            issues.append(InputIssue(in: .body, name: "competencies", detail: "A level from 1 to 5", value: code))
        }
        issues += Lists.issues(details.goodAt, "talents.goodAt", maximum: 20)
        issues += Lists.issues(details.likesDoing, "talents.likesDoing", maximum: 20)
        issues += Lists.issues(details.findsImportant, "talents.findsImportant", maximum: 20)
        issues += Lists.issues(details.preferredPostcodes, "preferredPostcodes", maximum: 10)
        if let minutes = details.maxTravelMinutes, !(5...240).contains(minutes) {
            issues.append(InputIssue(in: .body, name: "maxTravelMinutes", detail: "5 to 240 minutes"))
        }
        if let hours = details.maxHoursPerWeek, !(hours > 0 && hours <= 60) {
            issues.append(InputIssue(in: .body, name: "maxHoursPerWeek", detail: "More than 0, at most 60 hours"))
        }
        if let days = details.teleworkDaysWanted, !(0...5).contains(days) {
            issues.append(InputIssue(in: .body, name: "teleworkDaysWanted", detail: "0 to 5 days a week"))
        }
        for (index, postcode) in details.preferredPostcodes.enumerated() where !Postcode.isValid(postcode) {
            issues.append(InputIssue(in: .body, name: "preferredPostcodes[\(index)]", detail: "A Belgian postcode: four digits", value: String(postcode.prefix(16))))
        }
        if let note = details.talentNote, !TextRules.isText(note, maximumLength: 1000) {
            issues.append(InputIssue(in: .body, name: "talents.note", detail: "1 to 1000 characters, not only spaces"))
        }
        return issues
    }
}
