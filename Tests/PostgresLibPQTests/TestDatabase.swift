import Foundation
import Logging
import PostgresLibPQ
import Synchronization
import Testing

/// The throwaway server that `make test` starts, and a fresh database per test on it.
enum TestDatabase {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "VEERKRACHT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL"
        }
    }

    static var serverConfiguration: PostgresConfiguration {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["VEERKRACHT_TEST_DATABASE_URL"] else {
                throw NotConfigured()
            }
            return try PostgresConfiguration(url: url)
        }
    }

    static let logger = Logger(label: "test")

    /// Creates an empty database with a unique name and returns how to reach it.
    static func makeDatabase() async throws -> PostgresConfiguration {
        var configuration = try serverConfiguration
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withClient(maximumConnections: 1, configuration: configuration) { admin in
            // A name made just above from hex digits; identifiers cannot be bound.
            try await admin.query("CREATE DATABASE \(unsafeRaw: name)")
        }
        configuration.database = name
        return configuration
    }

    /// A pool on a fresh database, closed when `body` ends.
    static func withClient<Result>(
        maximumConnections: Int = 4, acquireTimeout: Duration = .seconds(5),
        configuration: PostgresConfiguration? = nil,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let connection: PostgresConfiguration
        if let configuration {
            connection = configuration
        } else {
            connection = try await makeDatabase()
        }
        let client = PostgresClient(
            configuration: .init(connection: connection, maximumConnections: maximumConnections, acquireTimeout: acquireTimeout),
            logger: logger)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

/// A counter that concurrent tasks can share.
final class Counter: Sendable {
    private let value = Mutex(0)
    @discardableResult
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    var current: Int { value.withLock { $0 } }
}
