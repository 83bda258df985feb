import Foundation
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

@Suite("Migrations")
struct MigrationTests {
    let logger = Logger(label: "test")

    private func names(_ client: PostgresClient) async throws -> [String] {
        try await client.query("SELECT name FROM schema_migrations ORDER BY applied_at, name").map { try $0.decode(0, as: String.self) }
    }

    @Test func applyInOrderAndOnlyOnce() async throws {
        try await TestDatabase.withClient { client in
            // Given out of order on purpose: 0002 needs the table 0001 makes.
            let migrator = DatabaseMigrator(migrations: [
                Migration(name: "0002_b", sql: "CREATE TABLE b (a_id int REFERENCES a (id));"),
                Migration(name: "0001_a", sql: "CREATE TABLE a (id int PRIMARY KEY);"),
            ], logger: logger)
            let first = try await migrator.migrate(client)
            let second = try await migrator.migrate(client)
            let recorded = try await names(client)
            #expect(first == ["0001_a", "0002_b"])
            #expect(second == [])
            #expect(recorded == ["0001_a", "0002_b"])
        }
    }

    @Test func aChangedMigrationIsRefusedAndNothingElseIsApplied() async throws {
        try await TestDatabase.withClient { client in
            try await DatabaseMigrator(migrations: [Migration(name: "0001_a", sql: "CREATE TABLE a (id int);")], logger: logger)
                .migrate(client)
            let edited = DatabaseMigrator(migrations: [
                Migration(name: "0001_a", sql: "CREATE TABLE a (id bigint);"),
                Migration(name: "0002_b", sql: "CREATE TABLE b (id int);"),
            ], logger: logger)
            let error = await #expect(throws: MigrationError.self) { try await edited.migrate(client) }
            #expect(error?.description.contains("0001_a") == true)
            let recorded = try await names(client)
            #expect(recorded == ["0001_a"])
            let b = try await client.query("SELECT to_regclass('b') IS NULL")
            #expect(try b[0].decode(0, as: Bool.self))
        }
    }

    @Test func aMigrationTheBinaryDoesNotKnowIsRefused() async throws {
        try await TestDatabase.withClient { client in
            try await DatabaseMigrator(migrations: [
                Migration(name: "0001_a", sql: "SELECT 1;"), Migration(name: "0002_b", sql: "SELECT 2;"),
            ], logger: logger).migrate(client)
            let older = DatabaseMigrator(migrations: [Migration(name: "0001_a", sql: "SELECT 1;")], logger: logger)
            await #expect(throws: MigrationError.self) { try await older.migrate(client) }
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        try await TestDatabase.withClient { client in
            let migrator = DatabaseMigrator(migrations: [
                Migration(name: "0001_a", sql: "CREATE TABLE a (id int);"),
                Migration(name: "0002_broken", sql: "CREATE TABLE half (id int); SELECT no_such_function();"),
            ], logger: logger)
            await #expect(throws: PostgresError.self) { try await migrator.migrate(client) }
            let recorded = try await names(client)
            #expect(recorded == ["0001_a"])
            let half = try await client.query("SELECT to_regclass('half') IS NULL")
            #expect(try half[0].decode(0, as: Bool.self))
            // The advisory lock was released. It is a session lock and re-entrant, so a second
            // run on the same connection would get it anyway: ask the server who holds it.
            let holders: PostgresQuery = """
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((classid::bigint << 32) | objid::bigint) = \(DatabaseMigrator.advisoryLockKey)
                """
            #expect(try await client.query(holders)[0].decode(0, as: Int.self) == 0)
            // The control: while a session holds it, the same query sees it.
            try await client.withConnection { holder in
                try await holder.query("SELECT pg_advisory_lock(\(DatabaseMigrator.advisoryLockKey))")
                #expect(try await client.query(holders)[0].decode(0, as: Int.self) == 1)
                try await holder.query("SELECT pg_advisory_unlock(\(DatabaseMigrator.advisoryLockKey))")
            }
        }
    }

    @Test func twoInstancesMigratingTogetherApplyEachMigrationOnce() async throws {
        let database = try await TestDatabase.makeDatabase()
        let migrations = (1...5).map { number in
            Migration(
                name: String(format: "%04d_step", number),
                sql: "CREATE TABLE IF NOT EXISTS runs (name text); INSERT INTO runs VALUES ('\(number)'); SELECT pg_sleep(0.05);")
        }
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
                        try await DatabaseMigrator(migrations: migrations, logger: logger).migrate(client)
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied.sorted() == migrations.map(\.name))
        try await TestDatabase.withClient(configuration: database) { client in
            let runs = try await client.query("SELECT count(*) FROM runs")
            #expect(try runs[0].decode(0, as: Int.self) == 5)
        }
    }

    @Test func theRepositoryMigrationsApplyCleanlyTwice() async throws {
        try await TestDatabase.withClient { client in
            let migrator = try DatabaseMigrator(directory: RepositoryFolder.migrations, logger: logger)
            #expect(!migrator.migrations.isEmpty)
            let first = try await migrator.migrate(client)
            let second = try await migrator.migrate(client)
            #expect(first.count == migrator.migrations.count)
            #expect(second == [])
        }
    }

    @Test func misnamedAndDuplicateFilesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "SELECT 1;".write(to: folder.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: folder.appendingPathComponent("0001_again.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try DatabaseMigrator(directory: folder, logger: logger) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("0001_again.sql"))
        try "SELECT 1;".write(to: folder.appendingPathComponent("2-second.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try DatabaseMigrator(directory: folder, logger: logger) }
    }
}

/// Folders of this checkout.
enum RepositoryFolder {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sql = root.appendingPathComponent("sql")
    static let migrations = sql.appendingPathComponent("migrations")
}
