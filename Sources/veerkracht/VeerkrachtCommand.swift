import ArgumentParser
import Logging
import Veerkracht

@main
struct VeerkrachtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veerkracht",
        abstract: "Case management for reintegration and temporary mobility.",
        discussion: "Settings come from VEERKRACHT_* environment variables; see the README.",
        subcommands: [Migrate.self])
}

/// Logging is set up once per process, before anything logs.
enum Bootstrap {
    static func logging(_ configuration: Configuration) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configuration.logLevel) }
        return Logger(label: "veerkracht")
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the pending SQL migrations (to the embedded PostgreSQL when no database is configured).")

    func run() async throws {
        let settings = try Configuration()
        let logger = Bootstrap.logging(settings)
        let database = try await Database.open(settings, logger: logger)
        defer { database.stop(logger: logger) }
        let client = database.makeClient(settings, logger: logger)
        do {
            let migrator = try DatabaseMigrator(directory: settings.sqlDirectory.appendingPathComponent("migrations"), logger: logger)
            let applied = try await migrator.migrate(client)
            logger.info("migrations done", metadata: ["applied": "\(applied.count)", "known": "\(migrator.migrations.count)"])
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }
}
