import Foundation
import PostgresLibPQ

/// Reading the catalogues (anyone signed in) and keeping them (administrators).
public struct Catalogues: Sendable {
    public var context: MobilityContext
    let store = CatalogueStore()

    public init(context: MobilityContext) { self.context = context }

    public func list(_ catalogue: Catalogue, active: Bool?, page: PageRequest) async throws -> (entries: [CatalogueEntry], next: Cursor?) {
        try await context.database.withConnection { try await store.list(catalogue, active: active, page: page, on: $0) }
    }

    public func read(_ catalogue: Catalogue, code: String) async throws -> CatalogueEntry {
        guard Catalogue.isCode(code) else { throw Problem.notFound }
        guard let entry = try await context.database.withConnection({ try await store.entry(catalogue, code: code, on: $0) }) else {
            throw Problem.notFound
        }
        return entry
    }

    /// Adds a code, inside the caller's transaction; 409 when it exists.
    public func create(_ principal: Principal, _ catalogue: Catalogue, code: String, label: LocalizedText, on connection: PostgresConnection) async throws -> CatalogueEntry {
        try AccessPolicy.require(principal, .administerCatalogues)
        var issues = Self.issues(label, prefix: "label")
        if !Catalogue.isCode(code) {
            issues.append(InputIssue(in: .body, name: "code", detail: "lowerCamelCase letters and digits, 2 to 64", value: String(code.prefix(64))))
        }
        try Input.check(issues)
        guard let entry = try await store.insert(catalogue, code: code, label: label, on: connection) else {
            throw Problem.conflict("The catalogue has this code already")
        }
        return entry
    }

    /// Changes labels or retires the code; `change` gets the current entry.
    public func update(
        _ principal: Principal, _ catalogue: Catalogue, code: String, ifMatch: String?,
        change: (CatalogueEntry) -> (label: LocalizedText, active: Bool)
    ) async throws -> CatalogueEntry {
        try AccessPolicy.require(principal, .administerCatalogues)
        guard Catalogue.isCode(code) else { throw Problem.notFound }
        return try await context.database.withTransaction { connection in
            guard let current = try await store.entry(catalogue, code: code, on: connection) else { throw Problem.notFound }
            try ETag.requireMatch(ifMatch, current: ETag.make(code: code, version: current.version))
            let (label, active) = change(current)
            try Input.check(Self.issues(label, prefix: "label"))
            guard let updated = try await store.update(catalogue, code: code, version: current.version, label: label, active: active, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            return updated
        }
    }

    static func issues(_ label: LocalizedText, prefix: String) -> [InputIssue] {
        Language.allCases.compactMap { language in
            guard !TextRules.isLine(label[language], maximumLength: 200) else { return nil }
            return InputIssue(in: .body, name: "\(prefix).\(language.rawValue)", detail: "1 to 200 characters on one line, not only spaces")
        }
    }
}
