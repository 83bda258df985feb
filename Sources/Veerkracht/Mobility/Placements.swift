import Foundation
import PostgresLibPQ

/// Who the principal is to one placement.
public struct PlacementRoles: Sendable, Hashable {
    /// Keeps the candidate's profile: the trajectory's officer (or home HR without a trajectory).
    public var candidateSide = false
    /// HR of the offer's host entity.
    public var host = false
    /// HR of the candidate's home entity.
    public var homeHR = false
    /// An officer (of the trajectory).
    public var officer = false

    public var seesPlacement: Bool { candidateSide || host || homeHR }

    /// Whether these roles may take the placement to `status` (released by `releasedBy`).
    public func may(_ status: PlacementStatus, releasedBy: ReleasedBy?) -> Bool {
        switch status.actor {
        case .candidateSide: candidateSide
        case .host: host
        case .home: releasedBy == .homeHr ? homeHR : (releasedBy == .homeManager && officer && candidateSide)
        case .officerOrHost: (officer && candidateSide) || host
        }
    }
}

extension AccessPolicy {
    public static func placementRoles(
        _ principal: Principal, placement: Placement, trajectoryEntityID: UUID?
    ) -> PlacementRoles {
        var roles = PlacementRoles()
        let officerOfCase = trajectoryEntityID.map { principal.has(.officer) && caseScope(principal, .write).entityIDs.contains($0) } ?? false
        roles.officer = officerOfCase
        roles.candidateSide = officerOfCase || (placement.trajectoryID == nil && principal.has(.hr) && isInScope(principal, entity: placement.homeEntityID))
        roles.host = offerHostScope(principal).contains(placement.offer.hostEntityID)
        roles.homeHR = principal.has(.hr) && isInScope(principal, entity: placement.homeEntityID)
        return roles
    }

    /// The same rule as SQL over placements `p`, offers `o` and the trajectory `t` (left joined).
    static func placementScope(_ principal: Principal) -> PostgresQuery {
        let officerEntities = principal.has(.officer) ? caseScope(principal, .write).entityIDs : []
        let hrEntities = principal.has(.hr) ? Array(principal.scopeEntityIDs) : []
        return """
            (t.entity_id = ANY(\(officerEntities)) OR o.host_entity_id = ANY(\(hrEntities)) OR p.home_entity_id = ANY(\(hrEntities)))
            """
    }
}

/// A placement as one principal may see it.
public struct PlacementView: Sendable {
    public var placement: Placement
    /// The trajectory id is case data: only the trajectory's officers see it.
    public var showsTrajectory: Bool
}

/// Proposing offers to candidates and taking placements through their steps; the offer's
/// positions are guarded by the database (see 0010_mobility.sql).
public struct Placements: Sendable {
    public var context: MobilityContext
    let store = PlacementStore()
    let candidates = CandidateStore()
    let matching = MatchingStore()

    public init(context: MobilityContext) { self.context = context }

    /// The officer of the candidate's trajectory proposes an open offer that fits, inside the
    /// caller's transaction.
    public func propose(_ principal: Principal, offerID: UUID, employeeID: UUID, on connection: PostgresConnection) async throws -> PlacementView {
        guard principal.has(.officer) || principal.has(.hr) else { throw Problem.missingPermission }
        guard let (facts, trajectoryEntityID) = try await candidates.facts(employeeID, lock: true, on: connection),
            AccessPolicy.candidateView(principal, .write, facts: facts, trajectoryEntityID: trajectoryEntityID, hrHasReason: false) == .keeper,
            let candidate = try await matching.candidates(.init(employeeIDs: [employeeID], consentingOnly: false), on: connection).first
        else {
            throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "employeeId", detail: "No candidate profile of yours with this id"))
        }
        guard let offer = try await matching.offers(.init(offerIDs: [offerID], visibleToEntity: facts.entityID), on: connection).first else {
            throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "offerId", detail: "No open offer visible to this candidate"))
        }
        let result = context.engine.evaluate(offer.match, candidate.match)
        guard result.fits else {
            throw Problem.badRequest(result.failed.map {
                InputIssue(.invalidInput, in: .body, name: "offerId", detail: "The pair does not fit: \($0.constraint.rawValue)", value: $0.subject)
            })
        }
        guard let id = try await store.propose(
            offerID: offerID, employeeID: employeeID, trajectoryID: facts.trajectoryID, homeEntityID: facts.entityID,
            proposedBy: principal.userID, matchRoundID: nil, scoreMicros: result.scoreMicros, on: connection)
        else { throw Problem.conflict("This candidate has an open proposal for this offer already") }
        try record(.placementProposed, id, facts.trajectoryID, principal, offerID: offerID, status: .proposed, on: connection)
        try AuditStore().append(AuditEntry(principal, .create, .placement, id: id, trajectory: facts.trajectoryID), on: connection)
        guard let placement = try await store.placement(id, on: connection) else { throw Problem.notFound }
        return PlacementView(placement: placement, showsTrajectory: facts.trajectoryID != nil)
    }

    public func read(_ principal: Principal, _ id: UUID) async throws -> PlacementView {
        let found: (PlacementView)? = try await context.database.withConnection { connection in
            guard let placement = try await store.placement(id, on: connection) else { return nil }
            let roles = AccessPolicy.placementRoles(principal, placement: placement, trajectoryEntityID: try await trajectoryEntity(placement, on: connection))
            return roles.seesPlacement ? PlacementView(placement: placement, showsTrajectory: roles.officer) : nil
        }
        guard let found else { try await context.deny(principal, .read, .placement, id: id) }
        try await context.auditWriter.append(AuditEntry(principal, .read, .placement, id: id, trajectory: found.placement.trajectoryID))
        return found
    }

    public func list(_ principal: Principal, filter: PlacementStore.Filter, page: PageRequest) async throws -> (items: [PlacementView], next: Cursor?) {
        let officerEntities = Set(principal.has(.officer) ? AccessPolicy.caseScope(principal, .write).entityIDs : [])
        let (placements, next, officerOf) = try await context.database.withConnection { connection in
            let (placements, next) = try await store.list(scope: AccessPolicy.placementScope(principal), filter: filter, page: page, on: connection)
            var officerOf: Set<UUID> = []
            for placement in placements {
                if let entity = try await trajectoryEntity(placement, on: connection), officerEntities.contains(entity) { officerOf.insert(placement.id) }
            }
            return (placements, next, officerOf)
        }
        try await context.auditWriter.append(placements.map { AuditEntry(principal, .list, .placement, id: $0.id, trajectory: $0.trajectoryID) })
        return (placements.map { PlacementView(placement: $0, showsTrajectory: officerOf.contains($0.id)) }, next)
    }

    /// One step of the placement's life by the side whose step it is (403 for the others).
    public func change(_ principal: Principal, _ id: UUID, _ step: PlacementStep, ifMatch: String?) async throws -> PlacementView {
        let outcome: GateOutcome<PlacementView> = try await context.database.withTransaction { connection in
            guard let placement = try await store.placement(id, lock: true, on: connection) else { return .denied(trajectory: nil) }
            let roles = AccessPolicy.placementRoles(principal, placement: placement, trajectoryEntityID: try await trajectoryEntity(placement, on: connection))
            guard roles.seesPlacement else { return .denied(trajectory: placement.trajectoryID) }
            try ETag.requireMatch(ifMatch, current: ETag.make(id: id, version: placement.version))
            guard placement.status.allowedNextStatuses.contains(step.to) else {
                throw Problem(.illegalTransition, detail: "A placement cannot go from \(placement.status.rawValue) to \(step.to.rawValue)")
            }
            guard roles.may(step.to, releasedBy: step.releasedBy) else {
                throw Problem(.missingPermission, detail: "This step is for another side of the placement")
            }
            // The offer's row first: acceptances of one offer queue here (and in the trigger).
            guard let offer = try await OfferStore().offer(placement.offer.id, lock: true, on: connection) else { throw Problem.notFound }
            let today = context.today
            try Input.check(step.issues(offer: offer.terms, today: today, rules: context.settings.offerRules))
            if step.to == .hostAccepted, offer.status == .filled {
                throw Problem(.noPositionLeft, detail: "Every position of this offer is taken")
            } else if step.to == .hostAccepted, offer.status != .open {
                throw Problem(.illegalTransition, detail: "The offer is \(offer.status.rawValue), not open")
            }
            if step.to == .released, let startsOn = placement.agreement?.startsOn, today > startsOn {
                throw Problem(.illegalTransition, detail: "A release comes before the agreed start")
            }
            if let on = step.on, let startedOn = placement.startedOn, on < startedOn {
                throw Problem.badRequest(InputIssue(.invalidInput, in: .body, name: "on", detail: "The end is before the start"))
            }
            do {
                guard try await store.apply(step, to: id, version: placement.version, today: today, on: connection) else {
                    throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
                }
            } catch let error as PostgresError where error.constraint == "placements_within_offer_positions" {
                throw Problem(.noPositionLeft, detail: "Every position of this offer is taken")
            } catch let error as PostgresError where error.constraint == "placements_one_active_per_employee" {
                throw Problem.conflict("This person has an active placement already")
            }
            if step.to == .hostAccepted, try await store.positionsTaken(offerID: offer.id, on: connection) >= offer.terms.positions {
                guard try await OfferStore().setStatus(offer.id, version: offer.version, to: .filled, by: principal.userID, on: connection) else {
                    throw Problem(.preconditionFailed, detail: "The offer changed meanwhile; retry")
                }
            }
            try record(.placementStatusChanged, id, placement.trajectoryID, principal, offerID: offer.id, status: step.to, from: placement.status, on: connection)
            try AuditStore().append(AuditEntry(principal, .update, .placement, id: id, trajectory: placement.trajectoryID), on: connection)
            guard let updated = try await store.placement(id, on: connection) else { throw Problem.notFound }
            return .allowed(PlacementView(placement: updated, showsTrajectory: roles.officer))
        }
        guard case .allowed(let view) = outcome else { try await context.deny(principal, .update, .placement, id: id) }
        return view
    }

    /// The officer's or the host's evaluation once the placement is over, inside the caller's transaction.
    public func evaluate(_ principal: Principal, _ id: UUID, _ evaluation: PlacementEvaluation, on connection: PostgresConnection) async throws -> PlacementView {
        guard let placement = try await store.placement(id, lock: true, on: connection) else { throw Problem.notFound }
        let roles = AccessPolicy.placementRoles(principal, placement: placement, trajectoryEntityID: try await trajectoryEntity(placement, on: connection))
        guard roles.seesPlacement else { throw Problem.notFound }
        guard evaluation.side == .officer ? roles.officer && roles.candidateSide : roles.host else {
            throw Problem(.missingPermission, detail: "This side's evaluation is for someone else")
        }
        guard [.completed, .endedEarly].contains(placement.status) else {
            throw Problem(.illegalTransition, detail: "A placement is evaluated once it is over")
        }
        var evaluation = evaluation
        evaluation.evaluatedBy = principal.userID
        guard try await store.evaluate(id, evaluation, on: connection) else {
            throw Problem.conflict("This side evaluated the placement already")
        }
        try record(.placementEvaluated, id, placement.trajectoryID, principal, offerID: placement.offer.id, status: placement.status, on: connection)
        try AuditStore().append(AuditEntry(principal, .create, .placement, id: id, trajectory: placement.trajectoryID), on: connection)
        guard let updated = try await store.placement(id, on: connection) else { throw Problem.notFound }
        return PlacementView(placement: updated, showsTrajectory: roles.officer)
    }

    func trajectoryEntity(_ placement: Placement, on connection: PostgresConnection) async throws -> UUID? {
        guard let trajectory = placement.trajectoryID else { return nil }
        return try await connection.query("SELECT entity_id FROM trajectories WHERE id = \(trajectory)").singleRow()?.decode(0, as: UUID.self)
    }

    /// The trajectory's timeline tells every step (ids and codes only).
    func record(
        _ type: TimelineEventType, _ placementID: UUID, _ trajectoryID: UUID?, _ principal: Principal, offerID: UUID,
        status: PlacementStatus, from: PlacementStatus? = nil, on connection: PostgresConnection
    ) throws {
        guard let trajectoryID else { return }
        var payload = ["placementId": placementID.lowercasedString, "offerId": offerID.lowercasedString, "status": status.rawValue]
        if let from { payload["from"] = from.rawValue }
        try TimelineStore().append(type, trajectory: trajectoryID, actor: principal.userID, payload: payload, on: connection)
    }
}
