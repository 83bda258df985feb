import Foundation
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

@Suite("The embedded PostgreSQL", .serialized)
struct EmbeddedPostgresTests {
    let logger = Logger(label: "test")

    private func answer(_ endpoint: EmbeddedPostgres.Endpoint) async throws -> Int {
        let configuration = PostgresConfiguration(
            host: endpoint.socketDirectory, port: endpoint.port, database: "postgres", user: endpoint.user, sslMode: .disable)
        return try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { client in
            try await client.query("SELECT 41 + 1")[0].decode(0, as: Int.self)
        }
    }

    @Test func startsStopsAndStartsAgainOnTheSameFolder() async throws {
        let folder = "/tmp/vke." + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let embedded = EmbeddedPostgres(dataDirectory: folder, logger: logger)
        defer { try? embedded.stop() }
        let first = try await embedded.start()
        let firstAnswer = try await answer(first)
        #expect(firstAnswer == 42)
        // Starting a running cluster is harmless.
        let again = try await embedded.start()
        #expect(again == first)
        try await embedded.stop()
        let second = try await embedded.start()
        #expect(second == first)
        let secondAnswer = try await answer(second)
        #expect(secondAnswer == 42)
        try await embedded.stop()
    }

    @Test func aDeepFolderGetsAShortSocketPath() async throws {
        let base = "/tmp/vke." + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let folder = base + "/" + String(repeating: "a-very-long-folder-name/", count: 5) + "pg"
        let embedded = EmbeddedPostgres(dataDirectory: folder, logger: logger)
        defer { try? embedded.stop() }
        let endpoint = try await embedded.start()
        #expect((endpoint.socketDirectory + "/.s.PGSQL.5432").utf8.count <= 107)
        let reply = try await answer(endpoint)
        #expect(reply == 42)
        try await embedded.stop()
    }

    @Test func theServerDatabaseIsCreatedAndMigrated() async throws {
        let folder = "/tmp/vke." + UUID().uuidString.prefix(8).lowercased()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = Configuration(dataDirectory: folder, sqlDirectory: RepositoryFolder.sql)
        let database = try await Database.open(settings, logger: logger)
        defer { database.stop(logger: logger) }
        #expect(database.configuration.database == "veerkracht")
        try await TestDatabase.withClient(configuration: database.configuration) { client in
            let migrator = try DatabaseMigrator(directory: RepositoryFolder.migrations, logger: logger)
            try await migrator.migrate(client)
            let applied = try await client.query("SELECT count(*) FROM schema_migrations")
            #expect(try applied[0].decode(0, as: Int.self) == migrator.migrations.count)
        }
    }
}
