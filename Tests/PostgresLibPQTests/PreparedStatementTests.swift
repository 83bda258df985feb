import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

@Suite("Prepared statements per connection")
struct PreparedStatementTests {
    private func prepared(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT name FROM pg_prepared_statements ORDER BY name").map { try $0.decode(0, as: String.self) }
    }

    @Test func aRepeatedStatementIsPreparedOnceAndStillBindsFreshValues() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                for value in 1...5 {
                    let rows = try await connection.query("SELECT \(value) * 2 AS doubled")
                    #expect(try rows[0].decode(0, as: Int.self) == value * 2)
                }
                let names = try await prepared(connection)
                #expect(names.count == 2)  // ours, and the query on pg_prepared_statements
            }
        }
    }

    @Test func differentParameterTypesGetTheirOwnStatement() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                let wide = try await connection.query("SELECT pg_typeof(\(Int64(1)))::text")
                let narrow = try await connection.query("SELECT pg_typeof(\(Int32(1)))::text")
                #expect(try wide[0].decode(0, as: String.self) == "bigint")
                #expect(try narrow[0].decode(0, as: String.self) == "integer")
                let names = try await prepared(connection)
                #expect(names.count >= 2)
            }
        }
    }

    @Test func aFullCacheFallsBackToUnnamedStatements() async throws {
        var configuration = try await TestDatabase.makeDatabase()
        configuration.preparedStatementCacheSize = 2
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { client in
            try await client.withConnection { connection in
                for index in 0..<6 {
                    let rows = try await connection.query("SELECT \(index) AS v, \(unsafeRaw: String(index)) AS fixed")
                    #expect(try rows[0].decode((Int, Int).self) == (index, index))
                }
                let names = try await prepared(connection)
                #expect(names.count == 2)
            }
        }
    }

    @Test func theCacheCanBeTurnedOff() async throws {
        var configuration = try await TestDatabase.makeDatabase()
        configuration.preparedStatementCacheSize = 0
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { client in
            try await client.withConnection { connection in
                try await connection.query("SELECT \(1)")
                let names = try await prepared(connection)
                #expect(names.isEmpty)
            }
        }
    }

    @Test func aStatementThatFailsToPrepareIsAnErrorAndNotCached() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                await #expect(throws: PostgresError.self) { try await connection.query("SELECT \(1) FROM nowhere") }
                try await connection.query("CREATE TABLE nowhere (id int)")
                let rows = try await connection.query("SELECT \(1) FROM nowhere")
                #expect(rows.isEmpty)
            }
        }
    }
}
