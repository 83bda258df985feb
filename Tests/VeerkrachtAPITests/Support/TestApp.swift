import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Prometheus
@testable import Veerkracht

/// A migrated database per test, cloned from a template that is migrated once per run.
enum MigratedDatabase {
    private static let template: Task<String, any Error> = Task {
        let name = "vk_template_\(ProcessInfo.processInfo.processIdentifier)"
        var configuration = try TestDatabase.serverConfiguration
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { admin in
            try await admin.query("DROP DATABASE IF EXISTS \(unsafeRaw: name)")
            try await admin.query("CREATE DATABASE \(unsafeRaw: name)")
        }
        configuration.database = name
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { client in
            try await DatabaseMigrator(directory: RepositoryFolder.migrations, logger: TestDatabase.logger).migrate(client)
        }
        return name
    }

    /// A fresh copy of the migrated template.
    static func make() async throws -> PostgresConfiguration {
        let template = try await template.value
        var configuration = try TestDatabase.serverConfiguration
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { admin in
            // Names made by code from hex digits; identifiers cannot be bound.
            try await admin.query("CREATE DATABASE \(unsafeRaw: name) TEMPLATE \(unsafeRaw: template)")
        }
        configuration.database = name
        return configuration
    }
}

/// The application on a fresh database, with an administrator and their token ready.
struct TestApp: Sendable {
    let client: PostgresClient
    let responder: RouterResponder<BasicRequestContext>
    let admin: User
    let adminToken: String
    let metrics: PrometheusCollectorRegistry

    var administration: IdentityAdministration { IdentityAdministration(database: client) }

    /// Runs `body` against a new app and closes its pool afterwards.
    static func with<Result>(
        maximumBodySize: Int = 1 << 20, principalCache: PrincipalCache? = nil, now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "test"), mobility: MobilitySettings = MobilitySettings(), _ body: (TestApp) async throws -> Result
    ) async throws -> Result {
        var database = try await MigratedDatabase.make()
        // As the server connects: the application role, with its limited grants.
        database.role = "veerkracht_app"
        let client = PostgresClient(configuration: .init(connection: database, maximumConnections: 4), logger: TestDatabase.logger)
        do {
            let metrics = PrometheusCollectorRegistry()
            var configuration = Configuration(sqlDirectory: RepositoryFolder.sql)
            configuration.maximumBodySize = maximumBodySize
            configuration.mobility = mobility
            let router = try buildRouter(configuration, database: client, metrics: metrics, logger: logger, principalCache: principalCache, now: now)
            let administration = IdentityAdministration(database: client)
            let admin = try await administration.createUser(email: "admin@example.org", name: "Ada Admin", roles: [.admin], entities: [])
            let (_, token) = try await administration.createToken(user: admin.email, name: "test", expiresInDays: 30)
            let app = TestApp(client: client, responder: router.buildResponder(), admin: admin, adminToken: token.bearerValue, metrics: metrics)
            let result = try await body(app)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// A pool on the same database as the owner of its tables, which the server's role is not:
    /// for tests that break the schema on purpose.
    @discardableResult
    func asOwner<Result>(_ body: (PostgresClient) async throws -> Result) async throws -> Result {
        var owner = client.configuration.connection
        owner.role = nil
        return try await TestDatabase.withClient(maximumConnections: 1, configuration: owner, body)
    }

    /// A user with these roles and entities, and a token for them.
    func user(_ email: String, roles: [Role], entities: [String] = []) async throws -> (user: User, token: String) {
        let user = try await administration.createUser(email: email, name: email, roles: roles, entities: entities)
        let (_, token) = try await administration.createToken(user: email, name: "test", expiresInDays: 30)
        return (user, token.bearerValue)
    }

    /// Sends requests through the router, as the server would, without a socket.
    func test<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await Application(responder: responder).test(.router, body)
    }
}

extension HTTPFields {
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
    static func json(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
}

extension ByteBuffer {
    /// The body as a JSON object, for assertions.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(readableBytesView)) as? [String: Any]) ?? [:]
    }
}
