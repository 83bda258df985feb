import Crypto
import Foundation
import Logging
import PostgresLibPQ

/// A template as the database holds it: the checked document and a checksum of it.
public struct StoredProcessTemplate: Sendable, Hashable {
    public var template: ProcessTemplate
    /// SHA-256 of `definition`; changes exactly when the template does.
    public var checksum: Data
    public var loadedAt: Date
}

/// The SQL of `process_templates`: loading the files at start, reading them for the API and
/// for the deadline arithmetic.
public struct ProcessTemplateStore: Sendable {
    public init() {}

    /// Checks every `*.json` in `directory` and writes them to `process_templates` in one
    /// transaction: new ones are inserted, changed ones (another checksum) replaced, the
    /// same ones left alone. One invalid file stops everything, before anything is written,
    /// with an error naming the file and each problem. Safe when instances start together.
    /// Deadlines already created keep their dates when a template changes.
    @discardableResult
    public func load(from directory: URL, into database: PostgresClient, logger: Logger) async throws -> [ProcessTemplate] {
        let templates: [ProcessTemplate]
        do {
            templates = try ProcessTemplate.loadAll(from: directory)
        } catch let error as ProcessTemplateError {
            throw error
        } catch {
            throw ProcessTemplateError(template: directory.path, problems: ["the folder cannot be read: \(error.localizedDescription)"])
        }
        let written = try await database.withTransaction { connection in
            var written: [(id: String, inserted: Bool)] = []
            // In id order (loadAll sorts), so instances loading at once never deadlock.
            for template in templates {
                let definition = try PostgresJSON(template, encoder: Self.encoder)
                let checksum = Data(SHA256.hash(data: try Self.encoder.encode(template)))
                let rows = try await connection.query("""
                    INSERT INTO process_templates (id, name, jurisdiction, definition, checksum)
                    VALUES (\(template.id), \(template.name.en), \(template.jurisdiction), \(definition), \(checksum))
                    ON CONFLICT (id) DO UPDATE SET
                        name = EXCLUDED.name, jurisdiction = EXCLUDED.jurisdiction, definition = EXCLUDED.definition,
                        checksum = EXCLUDED.checksum, loaded_at = now()
                    WHERE process_templates.checksum <> EXCLUDED.checksum
                    RETURNING xmax = 0 AS inserted
                    """)
                if let row = try rows.singleRow() { written.append((template.id, try row.decode(0, as: Bool.self))) }
            }
            return written
        }
        for (id, inserted) in written {
            logger.notice(inserted ? "process template added" : "process template changed; existing deadlines keep their dates",
                          metadata: ["template": "\(id)"])
        }
        logger.info("process templates loaded", metadata: ["count": "\(templates.count)", "written": "\(written.count)"])
        return templates
    }

    public func template(id: String, on connection: PostgresConnection) async throws -> StoredProcessTemplate? {
        try await connection.query("""
            SELECT definition, checksum, loaded_at FROM process_templates WHERE id = \(id)
            """).singleRow().map(Self.stored)
    }

    /// The templates with these ids (those that exist), by id.
    func templates(ids: [String], on connection: PostgresConnection) async throws -> [String: ProcessTemplate] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT definition, checksum, loaded_at FROM process_templates WHERE id = ANY(\(Array(Set(ids))))
            """)
        return Dictionary(uniqueKeysWithValues: try rows.map { row in
            let stored = try Self.stored(row)
            return (stored.template.id, stored.template)
        })
    }

    /// A page of templates by id. Template ids are unique text, so the cursor's key is the id.
    func templates(page: PageRequest, on connection: PostgresConnection) async throws -> ([StoredProcessTemplate], next: Cursor?) {
        let rows = try await connection.query("""
            SELECT definition, checksum, loaded_at FROM process_templates
            WHERE id > \(page.after?.key ?? "")
            ORDER BY id LIMIT \(page.limit)
            """)
        return try page.split(rows, Self.stored) { Cursor(key: $0.template.id, id: Cursor.noID) }
    }

    private static func stored(_ row: PostgresRow) throws -> StoredProcessTemplate {
        let (definition, checksum, loadedAt) = try row.decode((PostgresJSON<ProcessTemplate>, Data, Date).self)
        return StoredProcessTemplate(template: definition.value, checksum: checksum, loadedAt: loadedAt)
    }

    /// The stored definition and its checksum: the model's own encoding with sorted keys,
    /// so reformatting a file changes nothing and every key in it is one the model knows.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
