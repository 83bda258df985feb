import Foundation
import Logging
import PostgresLibPQ
import Synchronization

/// The throwaway server that `make test` starts, and a fresh database per test on it.
public enum TestDatabase {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String {
            "VEERKRACHT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL"
        }
    }

    public static var serverConfiguration: PostgresConfiguration {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["VEERKRACHT_TEST_DATABASE_URL"] else {
                throw NotConfigured()
            }
            return try PostgresConfiguration(url: url)
        }
    }

    public static let logger = Logger(label: "test")

    /// Creates an empty database with a unique name and returns how to reach it.
    public static func makeDatabase() async throws -> PostgresConfiguration {
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
    @discardableResult
    public static func withClient<Result>(
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
public final class Counter: Sendable {
    private let value = Mutex(0)
    public init() {}
    @discardableResult
    public func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    public var current: Int { value.withLock { $0 } }
}

/// A log handler that remembers what it was given.
public final class LogCapture: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    public init() {}
    public var messages: [String] { lines.withLock { $0 } }
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    public func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}
