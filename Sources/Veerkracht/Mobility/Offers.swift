import Foundation
import PostgresLibPQ

extension AccessPolicy {
    /// Entities whose offers the principal keeps in every status: HR's own.
    public static func offerHostScope(_ principal: Principal) -> [UUID] {
        principal.has(.hr) ? Array(principal.scopeEntityIDs) : []
    }

    /// Entities for which the principal reads published offers: officers (for their
    /// candidates), HR and panel members, each for their own entities.
    public static func offerReaderScope(_ principal: Principal) -> [UUID] {
        principal.has(.officer) || principal.has(.hr) || principal.has(.panel) ? Array(principal.scopeEntityIDs) : []
    }
}

/// What HR does with offers: post, change while a draft, submit, approve (publish), close;
/// and what the sweep does: expire.
public struct Offers: Sendable {
    public var context: MobilityContext
    let store = OfferStore()
    let catalogue = CatalogueStore()

    public init(context: MobilityContext) { self.context = context }

    /// Posts a draft for an entity of the principal's own, inside the caller's transaction.
    public func create(_ principal: Principal, hostEntityID: UUID, terms: OfferTerms, on connection: PostgresConnection) async throws -> Offer {
        guard principal.has(.hr) else { throw Problem.missingPermission }
        var issues = context.settings.offerRules.issues(terms)
        if !AccessPolicy.isInScope(principal, entity: hostEntityID) {
            issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "hostEntityId", detail: "No such entity among yours"))
        }
        issues += try await referenceIssues(terms, on: connection)
        try Input.check(issues)
        let id = UUID.random()
        try await store.insert(terms, id: id, hostEntityID: hostEntityID, authorID: principal.userID, year: context.today.year, on: connection)
        guard let offer = try await store.offer(id, on: connection) else { throw Problem.notFound }
        return offer
    }

    /// The offer if the principal may read it; 404 otherwise.
    public func read(_ principal: Principal, _ id: UUID) async throws -> Offer {
        let offer = try await context.database.withConnection {
            try await store.readableOffer(
                id, hostScope: AccessPolicy.offerHostScope(principal), readerScope: AccessPolicy.offerReaderScope(principal), on: $0)
        }
        guard let offer else { throw Problem.notFound }
        return offer
    }

    public func list(_ principal: Principal, filter: OfferStore.Filter, page: PageRequest) async throws -> (offers: [Offer], next: Cursor?) {
        try await context.database.withConnection {
            try await store.list(
                hostScope: AccessPolicy.offerHostScope(principal), readerScope: AccessPolicy.offerReaderScope(principal),
                filter: filter, page: page, on: $0)
        }
    }

    /// Changes a draft's terms; `change` gets the current terms and returns the new ones.
    public func update(
        _ principal: Principal, _ id: UUID, ifMatch: String?, change: (OfferTerms) throws -> OfferTerms
    ) async throws -> Offer {
        try await context.database.withTransaction { connection in
            let offer = try await hostedOffer(principal, id, on: connection)
            try ETag.requireMatch(ifMatch, current: ETag.make(id: id, version: offer.version))
            guard offer.status == .draft else {
                throw Problem(.illegalTransition, detail: "Only a draft can change; this offer is \(offer.status.rawValue)")
            }
            let terms = try change(offer.terms)
            try Input.check(context.settings.offerRules.issues(terms) + (try await referenceIssues(terms, on: connection)))
            guard try await store.update(id, version: offer.version, terms, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            guard let updated = try await store.offer(id, on: connection) else { throw Problem.notFound }
            return updated
        }
    }

    /// Submits, withdraws, publishes (the four-eyes approval) or closes an offer.
    public func changeStatus(_ principal: Principal, _ id: UUID, to next: OfferStatus, ifMatch: String?) async throws -> Offer {
        try await context.database.withTransaction { connection in
            let offer = try await hostedOffer(principal, id, on: connection)
            try ETag.requireMatch(ifMatch, current: ETag.make(id: id, version: offer.version))
            guard offer.status.allowedNextStatuses.contains(next) else {
                throw Problem(.illegalTransition, detail: "An offer cannot go from \(offer.status.rawValue) to \(next.rawValue)")
            }
            if next == .open {
                guard principal.user.permissions.contains(.approveOffers), principal.userID != offer.authorID else {
                    throw Problem(.missingPermission, detail: "Publishing needs the approveOffers permission and someone other than the author")
                }
                if offer.terms.startsOn < context.today {
                    throw Problem(.illegalTransition, detail: "The offer's start has passed; change its dates as a draft first")
                }
            }
            guard try await store.setStatus(id, version: offer.version, to: next, by: principal.userID, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            guard let updated = try await store.offer(id, on: connection) else { throw Problem.notFound }
            return updated
        }
    }

    /// Expires open offers whose start passed with no placement agreed; any number of
    /// instances may run it at once. Returns how many it expired.
    public func expireStale(batchSize: Int = 500) async throws -> Int {
        var total = 0
        while true {
            let expired = try await context.database.withTransaction {
                try await store.expireStale(today: context.today, batchSize: batchSize, on: $0)
            }
            total += expired.count
            if expired.count < batchSize { return total }
        }
    }

    /// An offer of the principal's own entities, its row locked; 404 for anyone else.
    func hostedOffer(_ principal: Principal, _ id: UUID, on connection: PostgresConnection) async throws -> Offer {
        guard let offer = try await store.offer(id, lock: true, on: connection),
            AccessPolicy.offerHostScope(principal).contains(offer.hostEntityID)
        else { throw Problem.notFound }
        return offer
    }

    /// Catalogue codes and entities the terms name that do not exist.
    func referenceIssues(_ terms: OfferTerms, on connection: PostgresConnection) async throws -> [InputIssue] {
        var issues: [InputIssue] = []
        let unknownCompetencies = try await catalogue.unknownCodes(.competencies, Set(terms.competencies.map(\.code)), on: connection)
        for (index, wanted) in terms.competencies.enumerated() where unknownCompetencies.contains(wanted.code) {
            issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "competencies[\(index)].code", detail: "No such competency in the catalogue", value: wanted.code))
        }
        let unknownTalents = try await catalogue.unknownCodes(.talents, Set(terms.talentTags), on: connection)
        for (index, tag) in terms.talentTags.enumerated() where unknownTalents.contains(tag) {
            issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "talentTags[\(index)]", detail: "No such talent in the catalogue", value: tag))
        }
        if let visible = terms.visibleToEntityIDs {
            let known = Set(try await connection.query("SELECT id FROM entities WHERE id = ANY(\(visible))").map { try $0.decode(0, as: UUID.self) })
            for (index, id) in visible.enumerated() where !known.contains(id) {
                issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "visibleToEntityIds[\(index)]", detail: "No such entity"))
            }
        }
        return issues
    }
}
