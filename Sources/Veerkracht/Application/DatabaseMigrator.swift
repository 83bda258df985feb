import Crypto
import Foundation
import Logging
import PostgresLibPQ

/// One file of `sql/migrations`, named `NNNN_what_it_does.sql`.
public struct Migration: Sendable, Equatable {
    public var name: String
    public var sql: String
    /// SHA-256 of the file, hex.
    public var checksum: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Applies the pending migrations in order, each in its own transaction, and records them in
/// `schema_migrations`. A session advisory lock makes instances that start together take
/// turns; the second finds nothing left to do.
public struct DatabaseMigrator: Sendable {
    /// Arbitrary, fixed: the key every Veerkracht instance locks while migrating.
    static let advisoryLockKey: Int64 = 0x5645_4552_4B52_4348  // "VEERKRCH"

    public var migrations: [Migration]
    public var logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.name < $1.name }
        self.logger = logger
    }

    /// Reads every `NNNN_name.sql` file of `directory`; any other file there is an error, so a
    /// misnamed migration cannot be skipped silently.
    public init(directory: URL, logger: Logger) throws {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError(description: "cannot read the migrations folder \(directory.path)")
        }
        var migrations: [Migration] = []
        var numbers = Set<Substring>()
        for file in files.sorted() where !file.hasPrefix(".") {
            guard file.wholeMatch(of: /[0-9]{4}_[a-z0-9_]+\.sql/) != nil else {
                throw MigrationError(description: "\(file): migration files are named NNNN_what_it_does.sql")
            }
            let number = file.prefix(4)
            guard numbers.insert(number).inserted else {
                throw MigrationError(description: "two migrations are numbered \(number)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(name: String(file.dropLast(4)), sql: sql))
        }
        self.init(migrations: migrations, logger: logger)
    }

    /// Applies what is pending and returns the names applied.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                return applied
            } catch {
                // If the connection broke, the server dropped the lock with it.
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await connection.execute(unsafeScript: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name text PRIMARY KEY,
                checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var recorded: [String: String] = [:]
        for row in try await connection.query("SELECT name, checksum FROM schema_migrations") {
            let (name, checksum) = try row.decode((String, String).self)
            recorded[name] = checksum
        }
        // Check everything before applying anything.
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.name, $0) })
        for (name, checksum) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[name] else {
                throw MigrationError(description: "the database has migration \(name), which this version does not know")
            }
            guard migration.checksum == checksum else {
                throw MigrationError(description: "migration \(name) was changed after it was applied; add a new migration instead")
            }
        }
        var applied: [String] = []
        for migration in migrations where recorded[migration.name] == nil {
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            do {
                try await apply(migration, on: connection)
            } catch let error as PostgresError where error.sqlState == .uniqueViolation && error.table == "pg_authid" {
                // Roles belong to the cluster, while the advisory lock serialises one database:
                // another database's migration created the same role between our check and our
                // CREATE ROLE. The transaction rolled back; once more finds the role there.
                try await apply(migration, on: connection)
            }
            applied.append(migration.name)
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws {
        try await connection.withTransaction { connection in
            try await connection.execute(unsafeScript: migration.sql)
            try await connection.query(
                "INSERT INTO schema_migrations (name, checksum) VALUES (\(migration.name), \(migration.checksum))")
        }
    }
}
