import Foundation
import Logging
import PostgresLibPQ

/// The database the server uses: the configured one, or the embedded cluster, which is
/// started (and its database created) here and stopped by `stop()`.
public struct Database: Sendable {
    public var configuration: PostgresConfiguration
    /// The embedded cluster, when this process started it: a command run beside a serving
    /// instance uses that instance's cluster and must leave it running.
    public var embedded: EmbeddedPostgres?

    static let embeddedDatabaseName = "veerkracht"

    public static func open(_ settings: Configuration, logger: Logger) async throws -> Database {
        if let url = settings.databaseURL {
            return Database(configuration: try PostgresConfiguration(url: url), embedded: nil)
        }
        let embedded = EmbeddedPostgres(dataDirectory: settings.dataDirectory + "/pg", logger: logger)
        logger.info("no VEERKRACHT_DATABASE_URL: using the embedded PostgreSQL", metadata: ["dataDirectory": "\(embedded.dataDirectory)"])
        let startsIt = !embedded.isRunning
        let endpoint = try await embedded.start()
        var configuration = PostgresConfiguration(
            host: endpoint.socketDirectory, port: endpoint.port, database: "postgres", user: endpoint.user, sslMode: .disable)
        let admin = PostgresClient(configuration: .init(connection: configuration, maximumConnections: 1), logger: logger)
        do {
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = \(embeddedDatabaseName)")
            if exists.isEmpty { try await admin.query("CREATE DATABASE veerkracht") }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        configuration.database = embeddedDatabaseName
        return Database(configuration: configuration, embedded: startsIt ? embedded : nil)
    }

    /// A pool that acts as the application role (`VEERKRACHT_DB_ROLE`), or as the owner for
    /// migrations.
    public func makeClient(_ settings: Configuration, logger: Logger, asOwner: Bool = false) -> PostgresClient {
        var connection = configuration
        connection.role = asOwner ? nil : settings.databaseRole
        return PostgresClient(
            configuration: .init(
                connection: connection, maximumConnections: asOwner ? 2 : settings.databasePoolSize,
                acquireTimeout: settings.databaseAcquireTimeout),
            logger: logger)
    }

    /// Stops the embedded cluster, if this process started one.
    public func stop(logger: Logger) {
        guard let embedded else { return }
        do {
            try embedded.stop()
        } catch {
            logger.error("could not stop the embedded PostgreSQL", metadata: LoggedError(error).metadata)
        }
    }
}
