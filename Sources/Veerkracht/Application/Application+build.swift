import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PostgresLibPQ
import Prometheus
import ServiceLifecycle

/// The one composition root: the database (embedded or configured), migrations, the router
/// and the background services. Shutdown stops the HTTP server first, then the background
/// work, then the pool, then the embedded PostgreSQL.
public func buildApplication(
    _ configuration: Configuration, metrics: PrometheusCollectorRegistry, logger: Logger
) async throws -> some ApplicationProtocol {
    let database = try await Database.open(configuration, logger: logger)
    let client = database.makeClient(configuration, logger: logger)
    do {
        if configuration.migrateOnStart {
            let migrator = try DatabaseMigrator(directory: configuration.sqlDirectory.appendingPathComponent("migrations"), logger: logger)
            let owner = database.makeClient(configuration, logger: logger, asOwner: true)
            do {
                try await migrator.migrate(owner)
                await owner.close()
            } catch {
                await owner.close()
                throw error
            }
        }
        try await ProcessTemplateStore().load(from: configuration.sqlDirectory.appendingPathComponent("templates"), into: client, logger: logger)
        if try await client.withConnection({ try await IdentityStore().countUsers(on: $0) }) == 0 {
            logger.notice("the database has no users yet; create the first administrator and a token: veerkracht users create --email you@example.org --name 'Your Name' --role admin, then veerkracht tokens create --user you@example.org")
        }
    } catch {
        await client.close()
        database.stop(logger: logger)
        throw error
    }
    let principalCache = configuration.authenticationCacheLifetime > .zero
        ? PrincipalCache(lifetime: configuration.authenticationCacheLifetime) : nil
    let router = try buildRouter(configuration, database: client, metrics: metrics, logger: logger, principalCache: principalCache)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: "veerkracht"),
        logger: logger)
    app.addServices(
        EmbeddedPostgresService(database: database, logger: logger), client,
        IdempotencyPruneService(database: client, logger: logger),
        DeadlineSweepService(
            database: client, interval: configuration.sweepInterval, logger: logger,
            offers: Offers(context: MobilityContext(
                database: client, auditWriter: AuditWriter(database: client), settings: configuration.mobility, now: { Date() }))))
    if let principalCache {
        app.addServices(PrincipalCacheService(cache: principalCache, configuration: client.configuration.connection, logger: logger))
    }
    return app
}

/// The HTTP surface: middlewares first (they wrap only routes added after them), then the
/// generated operations.
public func buildRouter(
    _ configuration: Configuration, database: PostgresClient, metrics: PrometheusCollectorRegistry, logger: Logger,
    principalCache: PrincipalCache? = nil, now: @escaping @Sendable () -> Date = { Date() }
) throws -> Router<BasicRequestContext> {
    let specification = try APISpecification.load()
    let router = Router()
    router.add(middleware: TraceMiddleware(logger: logger, publicBaseURL: configuration.publicBaseURL, routes: RouteMethods(specification)))
    router.add(middleware: BodyLimitMiddleware(maximumBytes: configuration.maximumBodySize))
    router.add(middleware: TimestampIssueMiddleware())
    let service = VeerkrachtAPIService(
        database: database, auditWriter: AuditWriter(database: database), specification: specification,
        mobilitySettings: configuration.mobility, metrics: metrics, logger: logger, now: now)
    try service.registerHandlers(
        on: router,
        configuration: .init(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.withoutEscapingSlashes]),
        middlewares: [AuthenticationMiddleware(database: database, identity: service.identity, specification: specification, cache: principalCache, now: now)])
    return router
}

/// Stops the embedded PostgreSQL once everything that uses it has stopped.
struct EmbeddedPostgresService: Service {
    let database: Database
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        database.stop(logger: logger)
    }
}

/// Forgets idempotency keys after their 24 hours, hourly; safe in any number of instances.
struct IdempotencyPruneService: Service {
    let database: PostgresClient
    let logger: Logger

    func run() async throws {
        let store = IdempotencyStore()
        while !Task.isShuttingDownGracefully {
            do {
                let removed = try await database.withConnection { try await store.prune(on: $0) }
                if removed > 0 { logger.info("pruned idempotency keys", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("could not prune idempotency keys", metadata: LoggedError(error).metadata)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
