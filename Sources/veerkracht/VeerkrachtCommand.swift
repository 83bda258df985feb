import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PostgresLibPQ
import Prometheus
import Veerkracht

@main
struct VeerkrachtCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veerkracht",
        abstract: "Case management for reintegration and temporary mobility.",
        discussion: "Settings come from VEERKRACHT_* environment variables; see the README.",
        subcommands: [Serve.self, Migrate.self, Sweep.self, Users.self, Tokens.self],
        defaultSubcommand: Serve.self)
}

/// Logging and metrics are set up once per process, before anything logs or counts.
enum Bootstrap {
    static func logging(_ configuration: Configuration) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configuration.logLevel) }
        return Logger(label: "veerkracht")
    }

    static func metrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Runs `body` with a pool on the configured (or embedded) database, then closes both.
    /// `asOwner` connects as the database owner (migrations) instead of the application role.
    static func withDatabase<Result>(
        asOwner: Bool = false, _ body: (PostgresClient, Configuration, Logger) async throws -> Result
    ) async throws -> Result {
        let settings = try Configuration()
        let logger = logging(settings)
        let database = try await Database.open(settings, logger: logger)
        defer { database.stop(logger: logger) }
        let client = database.makeClient(settings, logger: logger, asOwner: asOwner)
        do {
            let result = try await body(client, settings, logger)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the API (on the embedded PostgreSQL when VEERKRACHT_DATABASE_URL is not set).")

    func run() async throws {
        let settings = try Configuration()
        let logger = Bootstrap.logging(settings)
        let app = try await buildApplication(settings, metrics: Bootstrap.metrics(), logger: logger)
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the pending SQL migrations (to the embedded PostgreSQL when no database is configured).")

    func run() async throws {
        try await Bootstrap.withDatabase(asOwner: true) { client, settings, logger in
            let migrator = try DatabaseMigrator(directory: settings.sqlDirectory.appendingPathComponent("migrations"), logger: logger)
            let applied = try await migrator.migrate(client)
            logger.info("migrations done", metadata: ["applied": "\(applied.count)", "known": "\(migrator.migrations.count)"])
            try await ProcessTemplateStore().load(from: settings.sqlDirectory.appendingPathComponent("templates"), into: client, logger: logger)
        }
    }
}

struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark the deadlines whose day is over as missed and expire open offers whose start passed with no placement agreed, once, and print how many (serve also does this periodically).")

    func run() async throws {
        let (marked, expired) = try await Bootstrap.withDatabase { client, settings, _ in
            let marked = try await DeadlineSweeper().sweep(client, today: CalendarDate.today(at: Date()))
            let offers = Offers(context: MobilityContext(
                database: client, auditWriter: AuditWriter(database: client), settings: settings.mobility, now: { Date() }))
            return (marked, try await offers.expireStale())
        }
        print("marked \(marked) deadline\(marked == 1 ? "" : "s") missed, expired \(expired) offer\(expired == 1 ? "" : "s")")
    }
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage users.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user (the first administrator, for instance).")

        @Option(help: "E-mail address; unique.") var email: String
        @Option(help: "Display name.") var name: String
        @Option(help: "A role: officer, hr, panel, physician, admin or auditor. Repeat for several.") var role: [String] = []
        @Option(help: "Code or id of an entity the user works for. Repeat for several.") var entity: [String] = []

        func validate() throws {
            guard !role.isEmpty else { throw ValidationError("give at least one --role") }
            for role in role where Role(rawValue: role) == nil {
                throw ValidationError("unknown role '\(role)'; one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let user = try await Bootstrap.withDatabase { client, _, _ in
                try await IdentityAdministration(database: client)
                    .createUser(email: email, name: name, roles: role.compactMap(Role.init(rawValue:)), entities: entity)
            }
            print("created user \(user.id.lowercasedString)")
        }
    }
}

struct Tokens: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage access tokens.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an access token and print its secret, once.")

        @Option(help: "The user's e-mail address or id.") var user: String
        @Option(help: "A label for the token.") var name: String = "command line"
        @Option(help: "Lifetime in days, e.g. 90d or 30.") var expiresIn: String = "90d"

        func run() async throws {
            guard let days = Int(expiresIn.hasSuffix("d") ? String(expiresIn.dropLast()) : expiresIn) else {
                throw ValidationError("--expires-in takes days, like 90d")
            }
            let (record, token) = try await Bootstrap.withDatabase { client, _, _ in
                try await IdentityAdministration(database: client).createToken(user: user, name: name, expiresInDays: days)
            }
            print("token \(record.id.lowercasedString) expires \(record.expiresAt.formatted(.iso8601)); it is shown only now:")
            print(token.bearerValue)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an access token at once.")

        @Argument(help: "The token's id, its prefix, or the token itself.") var token: String

        func run() async throws {
            try await Bootstrap.withDatabase { client, _, _ in try await IdentityAdministration(database: client).revokeToken(token) }
            print("revoked")
        }
    }
}
