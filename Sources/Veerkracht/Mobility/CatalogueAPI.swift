import Foundation
import VeerkrachtAPI

// The catalogues under /v1/refData: the generated operations of both lists call the same
// `Catalogues` operations.

extension VeerkrachtAPIService {
    var catalogues: Catalogues { Catalogues(context: mobility) }

    func listCompetencies(_ input: Operations.ListCompetencies.Input) async throws -> Operations.ListCompetencies.Output {
        let (body, language) = try await catalogueList(.competencies, input.query.pageSize, input.query.cursor, input.query.active, input.headers.acceptLanguage)
        return .ok(.init(headers: .init(contentLanguage: language?.rawValue), body: .json(body)))
    }

    func listTalents(_ input: Operations.ListTalents.Input) async throws -> Operations.ListTalents.Output {
        let (body, language) = try await catalogueList(.talents, input.query.pageSize, input.query.cursor, input.query.active, input.headers.acceptLanguage)
        return .ok(.init(headers: .init(contentLanguage: language?.rawValue), body: .json(body)))
    }

    func getCompetency(_ input: Operations.GetCompetency.Input) async throws -> Operations.GetCompetency.Output {
        let (entry, etag, language) = try await catalogueEntry(.competencies, input.path.competencyCode, input.headers.acceptLanguage)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag, contentLanguage: language?.rawValue), body: .json(entry)))
    }

    func getTalent(_ input: Operations.GetTalent.Input) async throws -> Operations.GetTalent.Output {
        let (entry, etag, language) = try await catalogueEntry(.talents, input.path.talentCode, input.headers.acceptLanguage)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag, contentLanguage: language?.rawValue), body: .json(entry)))
    }

    func createCompetency(_ input: Operations.CreateCompetency.Input) async throws -> Operations.CreateCompetency.Output {
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let stored = try await catalogueCreate(.competencies, body, key: input.headers.idempotencyKey)
        return .created(.init(headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""), body: .json(stored.resource)))
    }

    func createTalent(_ input: Operations.CreateTalent.Input) async throws -> Operations.CreateTalent.Output {
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let stored = try await catalogueCreate(.talents, body, key: input.headers.idempotencyKey)
        return .created(.init(headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""), body: .json(stored.resource)))
    }

    func updateCompetency(_ input: Operations.UpdateCompetency.Input) async throws -> Operations.UpdateCompetency.Output {
        let patch: Components.Schemas.CatalogueEntryPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let entry = try await catalogueUpdate(.competencies, input.path.competencyCode, patch, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(code: entry.code, version: entry.version)), body: .json(.init(entry, .competencies, language: nil))))
    }

    func updateTalent(_ input: Operations.UpdateTalent.Input) async throws -> Operations.UpdateTalent.Output {
        let patch: Components.Schemas.CatalogueEntryPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let entry = try await catalogueUpdate(.talents, input.path.talentCode, patch, ifMatch: input.headers.ifMatch)
        return .ok(.init(headers: .init(eTag: ETag.make(code: entry.code, version: entry.version)), body: .json(.init(entry, .talents, language: nil))))
    }

    // MARK: - Shared by both lists

    private func catalogueList(
        _ catalogue: Catalogue, _ pageSize: Int32?, _ cursor: String?, _ active: Bool?, _ acceptLanguage: String?
    ) async throws -> (Components.Schemas.CatalogueEntryCollection, Language?) {
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: pageSize, cursor: cursor, issues: &issues)
        try Input.check(issues)
        let language = Language.preferred(in: acceptLanguage)
        let (entries, next) = try await catalogues.list(catalogue, active: active, page: page)
        var query = [("pageSize", String(page.size))]
        if let active { query.append(("active", String(active))) }
        return (.init(
            items: entries.map { .init($0, catalogue, language: language) },
            next: nextPageLink(path: "/v1/refData/\(catalogue.rawValue)", query: query, cursor: next), pageSize: Int32(page.size)), language)
    }

    private func catalogueEntry(
        _ catalogue: Catalogue, _ code: String, _ acceptLanguage: String?
    ) async throws -> (Components.Schemas.CatalogueEntry, etag: String, Language?) {
        let language = Language.preferred(in: acceptLanguage)
        let entry = try await catalogues.read(catalogue, code: code)
        return (.init(entry, catalogue, language: language), ETag.make(code: entry.code, version: entry.version), language)
    }

    private func catalogueCreate(
        _ catalogue: Catalogue, _ body: Components.Schemas.CatalogueEntryCreate, key: String?
    ) async throws -> Created<Components.Schemas.CatalogueEntry> {
        let principal = try Principal.required()
        let label = LocalizedText(nl: body.label.nl, fr: body.label.fr, de: body.label.de, en: body.label.en)
        return try await database.withTransaction { connection in
            try await idempotency.run(key: key, userID: principal.userID, operation: "create-\(catalogue.rawValue)", request: body, on: connection) {
                let entry = try await catalogues.create(principal, catalogue, code: body.code, label: label, on: connection)
                return Created(.init(entry, catalogue, language: nil), href: Href.catalogueEntry(catalogue, entry.code),
                               etag: ETag.make(code: entry.code, version: entry.version))
            }
        }.created
    }

    private func catalogueUpdate(
        _ catalogue: Catalogue, _ code: String, _ patch: Components.Schemas.CatalogueEntryPatch, ifMatch: String?
    ) async throws -> CatalogueEntry {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        for key in MergePatch.nullKeys.sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        try Input.check(issues)
        return try await catalogues.update(principal, catalogue, code: code, ifMatch: ifMatch) { current in
            var label = current.label
            if let nl = patch.label?.nl { label.nl = nl }
            if let fr = patch.label?.fr { label.fr = fr }
            if let de = patch.label?.de { label.de = de }
            if let en = patch.label?.en { label.en = en }
            return (label, patch.active ?? current.active)
        }
    }
}
