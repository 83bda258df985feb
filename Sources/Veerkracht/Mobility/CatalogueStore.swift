import Foundation
import PostgresLibPQ

/// The SQL of both catalogues (they have the same shape).
public struct CatalogueStore: Sendable {
    public init() {}

    static let columns = "code, label_nl, label_fr, label_de, label_en, active, version, created_at, updated_at"

    static func entry(from row: PostgresRow) throws -> CatalogueEntry {
        CatalogueEntry(
            code: try row.decode("code"),
            label: LocalizedText(
                nl: try row.decode("label_nl"), fr: try row.decode("label_fr"), de: try row.decode("label_de"),
                en: try row.decode("label_en")),
            active: try row.decode("active"), version: try row.decode("version"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"))
    }

    public func entry(_ catalogue: Catalogue, code: String, on connection: PostgresConnection) async throws -> CatalogueEntry? {
        try await connection.query("""
            SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: catalogue.table) WHERE code = \(code)
            """).singleRow().map(Self.entry)
    }

    public func list(
        _ catalogue: Catalogue, active: Bool?, page: PageRequest, on connection: PostgresConnection
    ) async throws -> (entries: [CatalogueEntry], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: catalogue.table) WHERE true"
        if let active { query.append(" AND active = \(active)") }
        if let after = page.after { query.append(" AND code > \(after.key)") }
        query.append(" ORDER BY code LIMIT \(page.limit)")
        return try page.split(try await connection.query(query), Self.entry) { Cursor(key: $0.code, id: Cursor.noID) }
    }

    /// Nil when the code is taken.
    public func insert(_ catalogue: Catalogue, code: String, label: LocalizedText, on connection: PostgresConnection) async throws -> CatalogueEntry? {
        try await connection.query("""
            INSERT INTO \(unsafeRaw: catalogue.table) (code, label_nl, label_fr, label_de, label_en)
            VALUES (\(code), \(label.nl), \(label.fr), \(label.de), \(label.en))
            ON CONFLICT (code) DO NOTHING
            RETURNING \(unsafeRaw: Self.columns)
            """).singleRow().map(Self.entry)
    }

    /// Nil when the entry is no longer at `version`.
    public func update(
        _ catalogue: Catalogue, code: String, version: Int64, label: LocalizedText, active: Bool, on connection: PostgresConnection
    ) async throws -> CatalogueEntry? {
        try await connection.query("""
            UPDATE \(unsafeRaw: catalogue.table)
            SET label_nl = \(label.nl), label_fr = \(label.fr), label_de = \(label.de), label_en = \(label.en),
                active = \(active), version = version + 1
            WHERE code = \(code) AND version = \(version)
            RETURNING \(unsafeRaw: Self.columns)
            """).singleRow().map(Self.entry)
    }

    /// The codes of `codes` that are not active entries of the catalogue.
    public func unknownCodes(_ catalogue: Catalogue, _ codes: Set<String>, on connection: PostgresConnection) async throws -> Set<String> {
        guard !codes.isEmpty else { return [] }
        let known = try await connection.query("""
            SELECT code FROM \(unsafeRaw: catalogue.table) WHERE code = ANY(\(Array(codes))) AND active
            """).map { try $0.decode(0, as: String.self) }
        return codes.subtracting(known)
    }

    /// Every entry's labels, for explanations that name codes.
    public func labels(_ catalogue: Catalogue, on connection: PostgresConnection) async throws -> [String: LocalizedText] {
        let entries = try await connection.query("SELECT \(unsafeRaw: Self.columns) FROM \(unsafeRaw: catalogue.table)").map(Self.entry)
        return Dictionary(uniqueKeysWithValues: entries.map { ($0.code, $0.label) })
    }
}
