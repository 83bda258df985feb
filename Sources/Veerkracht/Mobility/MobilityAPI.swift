import Foundation
import PostgresLibPQ
import VeerkrachtAPI

// The marketplace's generated operations: map API types to domain values and call one
// operation of `Offers`, `CandidateProfiles`, `Rankings`, `Placements` or `MatchRounds`.

extension VeerkrachtAPIService {
    var mobility: MobilityContext { MobilityContext(database: database, auditWriter: auditWriter, settings: mobilitySettings, now: now) }
    var offers: Offers { Offers(context: mobility) }
    var candidateProfiles: CandidateProfiles { CandidateProfiles(context: mobility) }
    var rankings: Rankings { Rankings(context: mobility) }
    var placements: Placements { Placements(context: mobility) }
    var matchRounds: MatchRounds { MatchRounds(context: mobility, logger: logger) }

    // MARK: - Offers

    func createOffer(_ input: Operations.CreateOffer.Input) async throws -> Operations.CreateOffer.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let hostEntityID = Input.uuid(body.hostEntityId, name: "hostEntityId", in: .body, issues: &issues)
        let terms = OfferInput.terms(
            title: body.title, description: body.description, site: body.site, competencies: body.competencies ?? [],
            talentTags: body.talentTags ?? [], gradesAccepted: body.gradesAccepted ?? [], hoursPerWeek: body.hoursPerWeek,
            startsOn: body.startsOn, endsOn: body.endsOn, teleworkDays: body.teleworkDays ?? 0, demands: body.demands,
            adaptations: body.adaptations ?? [], positions: body.positions, costBearer: body.costBearer,
            visibleToEntityIds: body.visibleToEntityIds, issues: &issues)
        try Input.check(issues)
        guard let hostEntityID, let terms else { throw Problem.badRequest(issues) }
        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createOffer", request: body, on: connection) {
                let offer = try await offers.create(principal, hostEntityID: hostEntityID, terms: terms, on: connection)
                return Created(Components.Schemas.Offer(offer), href: Href.offer(offer.id), etag: ETag.make(id: offer.id, version: offer.version))
            }
        }
        return .created(.init(headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""), body: .json(stored.resource)))
    }

    func getOffer(_ input: Operations.GetOffer.Input) async throws -> Operations.GetOffer.Output {
        let id = try Input.uuid(input.path.offerId, name: "offerId", in: .path)
        let offer = try await offers.read(try Principal.required(), id)
        let etag = ETag.make(id: id, version: offer.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(offer))))
    }

    func listOffers(_ input: Operations.ListOffers.Input) async throws -> Operations.ListOffers.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        var filter = OfferStore.Filter()
        filter.statuses = (input.query.status ?? []).compactMap { OfferStatus(code: $0) }
        filter.hostEntityID = input.query.hostEntity.flatMap { Input.uuid($0, name: "hostEntity", in: .query, issues: &issues) }
        try Input.check(issues)
        let (found, next) = try await offers.list(principal, filter: filter, page: page)
        var query = [("pageSize", String(page.size))] + filter.statuses.map { ("status", $0.rawValue) }
        if let host = input.query.hostEntity { query.append(("hostEntity", host)) }
        return .ok(.init(body: .json(.init(
            items: found.map(Components.Schemas.Offer.init), next: nextPageLink(path: "/v1/mobility/offers", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    func updateOffer(_ input: Operations.UpdateOffer.Input) async throws -> Operations.UpdateOffer.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.offerId, name: "offerId", in: .path)
        let patch: Components.Schemas.OfferPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        var issues: [InputIssue] = []
        let nulls = MergePatch.nullKeys
        for key in nulls.subtracting(["visibleToEntityIds"]).sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        let visible = patch.visibleToEntityIds.map { OfferInput.entityIDs($0, issues: &issues) }
        let startsOn = patch.startsOn.flatMap { Input.date($0, name: "startsOn", issues: &issues) }
        let endsOn = patch.endsOn.flatMap { Input.date($0, name: "endsOn", issues: &issues) }
        try Input.check(issues)
        let offer = try await offers.update(principal, id, ifMatch: input.headers.ifMatch) { current in
            var terms = current
            if let title = patch.title { terms.title = title }
            if let description = patch.description { terms.description = description }
            if let site = patch.site { (terms.siteName, terms.postcode) = (site.name, site.postcode) }
            if let competencies = patch.competencies { terms.competencies = OfferInput.competencies(competencies) }
            if let tags = patch.talentTags { terms.talentTags = tags }
            if let grades = patch.gradesAccepted { terms.gradesAccepted = grades }
            if let hours = patch.hoursPerWeek { terms.hoursPerWeek = hours }
            if let startsOn { terms.startsOn = startsOn }
            if let endsOn { terms.endsOn = endsOn }
            if let days = patch.teleworkDays { terms.teleworkDays = Int(days) }
            if let demands = patch.demands { terms.demands.merge(demands.levels) { $1 } }
            if let adaptations = patch.adaptations { terms.adaptations = adaptations.compactMap { Adaptation(code: $0) } }
            if let positions = patch.positions { terms.positions = Int(positions) }
            if let bearer = patch.costBearer.flatMap({ CostBearer(code: $0) }) { terms.costBearer = bearer }
            if nulls.contains("visibleToEntityIds") { terms.visibleToEntityIDs = nil } else if let visible { terms.visibleToEntityIDs = visible }
            return terms
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: offer.version)), body: .json(.init(offer))))
    }

    func changeOfferStatus(_ input: Operations.ChangeOfferStatus.Input) async throws -> Operations.ChangeOfferStatus.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.offerId, name: "offerId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        guard let status = OfferStatus(code: body.status) else { throw Problem.badRequest(InputIssue(in: .body, name: "status", detail: "Unknown status")) }
        let offer = try await offers.changeStatus(principal, id, to: status, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: offer.version)), body: .json(.init(offer))))
    }

    // MARK: - Rankings

    func listOfferCandidates(_ input: Operations.ListOfferCandidates.Input) async throws -> Operations.ListOfferCandidates.Output {
        let id = try Input.uuid(input.path.offerId, name: "offerId", in: .path)
        let (body, language) = try await ranking(
            path: Href.offer(id) + "/candidates", input.query.pageSize, input.query.cursor, input.query.fit?.rawValue,
            input.query.minimumScore, input.headers.acceptLanguage
        ) { principal, fit, minimumScore, page in
            try await rankings.candidates(principal, forOffer: id, fit: fit, minimumScore: minimumScore, page: page)
        }
        return .ok(.init(headers: .init(contentLanguage: language?.rawValue), body: .json(body)))
    }

    func listCandidateOffers(_ input: Operations.ListCandidateOffers.Input) async throws -> Operations.ListCandidateOffers.Output {
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        let (body, language) = try await ranking(
            path: Href.candidate(id) + "/offers", input.query.pageSize, input.query.cursor, input.query.fit?.rawValue,
            input.query.minimumScore, input.headers.acceptLanguage
        ) { principal, fit, minimumScore, page in
            try await rankings.offers(principal, forCandidate: id, fit: fit, minimumScore: minimumScore, page: page)
        }
        return .ok(.init(headers: .init(contentLanguage: language?.rawValue), body: .json(body)))
    }

    /// Both rankings: the page, the fit asked for, one page of the ranking and its next link.
    private func ranking(
        path: String, _ pageSize: Int32?, _ cursor: String?, _ fit: String?, _ minimumScore: Double?, _ acceptLanguage: String?,
        _ rank: (Principal, Rankings.Fit, Double, PageRequest) async throws -> RankingPage
    ) async throws -> (Components.Schemas.MatchCollection, Language?) {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: pageSize, cursor: cursor, issues: &issues)
        try Input.check(issues)
        let language = Language.preferred(in: acceptLanguage)
        let ranking = try await rank(principal, fit == "failing" ? .failing : .fitting, minimumScore ?? 0, page)
        var query = [("pageSize", String(page.size))]
        if let fit { query.append(("fit", fit)) }
        if let minimumScore { query.append(("minimumScore", String(minimumScore))) }
        return (.init(
            items: ranking.items.map { .init($0, language: language) }, next: nextPageLink(path: path, query: query, cursor: ranking.next),
            pageSize: Int32(page.size)), language)
    }

    // MARK: - Candidate profiles and restrictions

    func getCandidateProfile(_ input: Operations.GetCandidateProfile.Input) async throws -> Operations.GetCandidateProfile.Output {
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        let shown = try await candidateProfiles.read(try Principal.required(), id)
        let etag = ETag.make(id: id, version: shown.profile.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(shown))))
    }

    func replaceCandidateProfile(_ input: Operations.ReplaceCandidateProfile.Input) async throws -> Operations.ReplaceCandidateProfile.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        var details = CandidateDetails()
        for (index, competency) in (body.competencies ?? []).enumerated() {
            if details.competencies.updateValue(Int(competency.level), forKey: competency.code) != nil {
                issues.append(InputIssue(.invalidInput, in: .body, name: "competencies[\(index)].code", detail: "Each competency may be listed once"))
            }
        }
        details.goodAt = body.talents?.goodAt ?? []
        details.likesDoing = body.talents?.likesDoing ?? []
        details.findsImportant = body.talents?.findsImportant ?? []
        details.talentNote = body.talents?.note
        details.preferredPostcodes = body.preferredPostcodes ?? []
        details.maxTravelMinutes = body.maxTravelMinutes.map(Int.init)
        details.maxHoursPerWeek = body.maxHoursPerWeek
        details.availableFrom = body.availableFrom.flatMap { Input.date($0, name: "availableFrom", issues: &issues) }
        details.teleworkDaysWanted = body.teleworkDaysWanted.map(Int.init)
        details.requestedMove = body.requestedMove ?? false
        try Input.check(issues)
        let shown = try await candidateProfiles.replace(principal, id, details, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: shown.profile.version)), body: .json(.init(shown))))
    }

    func getFunctionalRestrictions(_ input: Operations.GetFunctionalRestrictions.Input) async throws -> Operations.GetFunctionalRestrictions.Output {
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        let restrictions = try await candidateProfiles.restrictions(try Principal.required(), id)
        let etag = ETag.make(id: id, version: restrictions.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(restrictions))))
    }

    func replaceFunctionalRestrictions(_ input: Operations.ReplaceFunctionalRestrictions.Input) async throws -> Operations.ReplaceFunctionalRestrictions.Output {
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let restrictions = try await candidateProfiles.replaceRestrictions(
            try Principal.required(), id, body.restrictions.levels, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: restrictions.version)), body: .json(.init(restrictions))))
    }

    // MARK: - Placements

    func proposePlacement(_ input: Operations.ProposePlacement.Input) async throws -> Operations.ProposePlacement.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let offerID = Input.uuid(body.offerId, name: "offerId", in: .body, issues: &issues)
        let employeeID = Input.uuid(body.employeeId, name: "employeeId", in: .body, issues: &issues)
        try Input.check(issues)
        guard let offerID, let employeeID else { throw Problem.badRequest(issues) }
        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "proposePlacement", request: body, on: connection) {
                let shown = try await placements.propose(principal, offerID: offerID, employeeID: employeeID, on: connection)
                return Created(Components.Schemas.Placement(shown), href: Href.placement(shown.placement.id),
                               etag: ETag.make(id: shown.placement.id, version: shown.placement.version))
            }
        }
        return .created(.init(headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""), body: .json(stored.resource)))
    }

    func getPlacement(_ input: Operations.GetPlacement.Input) async throws -> Operations.GetPlacement.Output {
        let id = try Input.uuid(input.path.placementId, name: "placementId", in: .path)
        let shown = try await placements.read(try Principal.required(), id)
        let etag = ETag.make(id: id, version: shown.placement.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(shown))))
    }

    func listPlacements(_ input: Operations.ListPlacements.Input) async throws -> Operations.ListPlacements.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        var filter = PlacementStore.Filter()
        filter.offerID = input.query.offer.flatMap { Input.uuid($0, name: "offer", in: .query, issues: &issues) }
        filter.employeeID = input.query.employee.flatMap { Input.uuid($0, name: "employee", in: .query, issues: &issues) }
        filter.statuses = (input.query.status ?? []).compactMap { PlacementStatus(code: $0) }
        try Input.check(issues)
        let (items, next) = try await placements.list(principal, filter: filter, page: page)
        var query = [("pageSize", String(page.size))] + filter.statuses.map { ("status", $0.rawValue) }
        if let offer = input.query.offer { query.append(("offer", offer)) }
        if let employee = input.query.employee { query.append(("employee", employee)) }
        return .ok(.init(body: .json(.init(
            items: items.map(Components.Schemas.Placement.init), next: nextPageLink(path: "/v1/mobility/placements", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    func changePlacementStatus(_ input: Operations.ChangePlacementStatus.Input) async throws -> Operations.ChangePlacementStatus.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.placementId, name: "placementId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        guard let status = PlacementStatus(code: body.status) else { throw Problem.badRequest(InputIssue(in: .body, name: "status", detail: "Unknown status")) }
        var agreement: PlacementAgreement?
        if let given = body.agreement {
            let startsOn = Input.date(given.startsOn, name: "agreement.startsOn", issues: &issues)
            let endsOn = Input.date(given.endsOn, name: "agreement.endsOn", issues: &issues)
            if let startsOn, let endsOn {
                agreement = PlacementAgreement(
                    startsOn: startsOn, endsOn: endsOn, hoursPerWeek: given.hoursPerWeek,
                    costBearer: CostBearer(code: given.costBearer) ?? .homeOrganisation,
                    adaptations: (given.adaptations ?? []).compactMap { Adaptation(code: $0) })
            }
        }
        let on = body.on.flatMap { Input.date($0, name: "on", issues: &issues) }
        try Input.check(issues)
        let step = PlacementStep(to: status, agreement: agreement, releasedBy: body.releasedBy.flatMap { ReleasedBy(code: $0) }, on: on, reason: body.reason)
        let shown = try await placements.change(principal, id, step, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: shown.placement.version)), body: .json(.init(shown))))
    }

    func evaluatePlacement(_ input: Operations.EvaluatePlacement.Input) async throws -> Operations.EvaluatePlacement.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.placementId, name: "placementId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let evaluation = PlacementEvaluation(
            side: PlacementEvaluation.Side(code: body.side) ?? .officer, went: Int(body.went), hostWouldContinue: body.hostWouldContinue,
            gaveEnergy: body.gaveEnergy.map(Int.init), helpedReturn: body.helpedReturn, note: body.note, evaluatedBy: principal.userID,
            createdAt: now())
        try Input.check(evaluation.issues)
        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "evaluatePlacement", request: body, on: connection) {
                let shown = try await placements.evaluate(principal, id, evaluation, on: connection)
                return Created(Components.Schemas.Placement(shown), href: Href.placement(id), etag: ETag.make(id: id, version: shown.placement.version))
            }
        }
        return .created(.init(headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""), body: .json(stored.resource)))
    }

    // MARK: - Match rounds

    func createMatchRound(_ input: Operations.CreateMatchRound.Input) async throws -> Operations.CreateMatchRound.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let offerIDs = body.offerIds.map { ids in ids.enumerated().compactMap { Input.uuid($0.element, name: "offerIds[\($0.offset)]", in: .body, issues: &issues) } }
        let candidateIDs = body.candidateIds.map { ids in
            ids.enumerated().compactMap { Input.uuid($0.element, name: "candidateIds[\($0.offset)]", in: .body, issues: &issues) }
        }
        if let score = body.minimumScore, !(0...1).contains(score) {
            issues.append(InputIssue(in: .body, name: "minimumScore", detail: "From 0 to 1"))
        }
        issues += Lists.issues(offerIDs ?? [], "offerIds", maximum: 5000) + Lists.issues(candidateIDs ?? [], "candidateIds", maximum: 10000)
        try Input.check(issues)
        let request = MatchRoundRequest(offerIDs: offerIDs, candidateIDs: candidateIDs, minimumScore: body.minimumScore ?? 0)
        let rounds = matchRounds
        var prepared: MatchRounds.Prepared?
        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createMatchRound", request: body, on: connection) {
                let round = try await rounds.prepare(principal, request, on: connection)
                prepared = round
                return Created(StartedRound(id: round.id, isJob: round.isJob), href: Href.matchRound(round.id))
            }
        }
        if let prepared { try await rounds.execute(prepared) }
        // A replay answers with the round as it stands now.
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let round = try await rounds.round(principal, stored.resource.id)
        let location = Href.matchRound(round.id)
        guard stored.resource.isJob else {
            return .created(.init(headers: .init(location: location, eTag: ETag.make(id: round.id, version: 1), contentLanguage: language?.rawValue),
                                  body: .json(.init(round, language: language))))
        }
        return .accepted(.init(headers: .init(location: location, eTag: ETag.make(id: round.id, version: 1), contentLanguage: language?.rawValue),
                               body: .json(.init(round, language: language))))
    }

    func getMatchRound(_ input: Operations.GetMatchRound.Input) async throws -> Operations.GetMatchRound.Output {
        let id = try Input.uuid(input.path.matchRoundId, name: "matchRoundId", in: .path)
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let round = try await matchRounds.round(try Principal.required(), id)
        return .ok(.init(headers: .init(eTag: round.etag, contentLanguage: language?.rawValue), body: .json(.init(round, language: language))))
    }

    func acceptMatchRound(_ input: Operations.AcceptMatchRound.Input) async throws -> Operations.AcceptMatchRound.Output {
        let id = try Input.uuid(input.path.matchRoundId, name: "matchRoundId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let only = body.pairs.map { pairs in
            pairs.enumerated().compactMap { index, pair -> (offerID: UUID, employeeID: UUID)? in
                guard let offer = Input.uuid(pair.offerId, name: "pairs[\(index)].offerId", in: .body, issues: &issues),
                    let employee = Input.uuid(pair.employeeId, name: "pairs[\(index)].employeeId", in: .body, issues: &issues)
                else { return nil }
                return (offer, employee)
            }
        }
        if (body.pairs?.count ?? 0) > 5000 { issues.append(InputIssue(in: .body, name: "pairs", detail: "At most 5000 pairs")) }
        try Input.check(issues)
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let round = try await matchRounds.accept(try Principal.required(), id, only: only)
        return .ok(.init(headers: .init(eTag: round.etag, contentLanguage: language?.rawValue), body: .json(.init(round, language: language))))
    }
}

/// What an Idempotency-Key keeps of a started round: which one, and whether it is a job.
struct StartedRound: Codable, Sendable {
    var id: UUID
    var isJob: Bool
}

extension MatchRound {
    /// Changes with every phase and with acceptance.
    var etag: String {
        "\"\(id.lowercasedString.prefix(8))-\(status.rawValue)-\(phase.rawValue)-\(acceptedAt.map { String(Int($0.timeIntervalSince1970)) } ?? "0")\""
    }
}

/// Reading the parts of an offer the generated types leave loose.
enum OfferInput {
    static func terms(
        title: String, description: String, site: Components.Schemas.OfferSite, competencies: [Components.Schemas.WantedCompetency],
        talentTags: [String], gradesAccepted: [String], hoursPerWeek: Double, startsOn: String, endsOn: String, teleworkDays: Int32,
        demands: Components.Schemas.JobDemands?, adaptations: [Components.Schemas.Adaptation], positions: Int32,
        costBearer: Components.Schemas.CostBearer, visibleToEntityIds: [String]?, issues: inout [InputIssue]
    ) -> OfferTerms? {
        let starts = Input.date(startsOn, name: "startsOn", issues: &issues)
        let ends = Input.date(endsOn, name: "endsOn", issues: &issues)
        let visible = visibleToEntityIds.map { entityIDs($0, issues: &issues) }
        guard let starts, let ends else { return nil }
        return OfferTerms(
            title: title, description: description, siteName: site.name, postcode: site.postcode,
            competencies: self.competencies(competencies), talentTags: talentTags, gradesAccepted: gradesAccepted,
            hoursPerWeek: hoursPerWeek, startsOn: starts, endsOn: ends, teleworkDays: Int(teleworkDays), demands: demands?.levels ?? [:],
            adaptations: adaptations.compactMap { Adaptation(code: $0) }, positions: Int(positions),
            costBearer: CostBearer(code: costBearer) ?? .homeOrganisation, visibleToEntityIDs: visible)
    }

    static func competencies(_ wanted: [Components.Schemas.WantedCompetency]) -> [WantedCompetency] {
        wanted.map { WantedCompetency(code: $0.code, level: Int($0.level), weight: $0.weight ?? 1, required: $0.required ?? false) }
    }

    static func entityIDs(_ texts: [String], issues: inout [InputIssue]) -> [UUID] {
        texts.enumerated().compactMap { Input.uuid($0.element, name: "visibleToEntityIds[\($0.offset)]", in: .body, issues: &issues) }
    }
}
