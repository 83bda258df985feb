import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresLibPQ
import ServiceLifecycle
import Testing
@testable import Veerkracht

/// The cache with its real listener: answers come from memory, and any change to who a
/// token belongs to reaches every request at once.
@Suite("Authentication cache")
struct PrincipalCacheAPITests {
    /// Runs `body` with the cache fed by `PrincipalCacheService`, once it listens.
    private func withListeningCache(_ body: @escaping @Sendable (TestApp, PrincipalCache) async throws -> Void) async throws {
        let cache = PrincipalCache(lifetime: .seconds(60))
        try await TestApp.with(principalCache: cache) { app in
            let service = PrincipalCacheService(cache: cache, configuration: app.client.configuration.connection, logger: Logger(label: "test"))
            let listening = Task { try await service.run() }
            defer { listening.cancel() }
            try await eventually("the listener to connect") { if case .miss(.some) = cache.lookup(prefix: "x", now: Date()) { true } else { false } }
            try await body(app, cache)
        }
    }

    private func eventually(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(25)) }
        #expect(condition(), "waited 5 s for \(what)")
    }

    /// The count of invalidations the cache has seen.
    private func generation(_ cache: PrincipalCache) -> UInt64? {
        if case .miss(let generation) = cache.lookup(prefix: "no-such-prefix", now: Date()) { generation } else { nil }
    }

    /// Puts the token's answer in memory once every notification sent so far has been handled:
    /// creating or changing a user notifies too, and one still on its way would empty the cache
    /// later. Notifications arrive in order, so once a sentinel sent now has been seen, none is
    /// left. Then a later empty cache can only be the change's doing.
    private func cached(_ app: TestApp, _ client: any TestClientProtocol, _ token: String, _ cache: PrincipalCache) async throws {
        let before = try #require(generation(cache))
        try await app.client.query("SELECT pg_notify(\(PrincipalCache.channel), 'test sentinel')")
        try await eventually("the sentinel") { (generation(cache) ?? 0) > before }
        let response = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
        #expect(response.status == .ok)
        try #require(cache.count == 1, "the answer for the token is in memory")
    }

    @Test func answersFromMemoryUntilTheTokenIsRevoked() async throws {
        try await withListeningCache { app, cache in
            let (_, token) = try await app.user("cached@example.org", roles: [.officer])
            try await app.test { client in
                try await cached(app, client, token, cache)
                // Recording the use within the minute does not empty the cache.
                let second = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(second.status == .ok)
                #expect(cache.count == 1)
                // From memory, and only from there: the server's role may no longer read tokens
                // (a change no notification reports), so an answer that asked the database would fail.
                try await app.asOwner { try await $0.query("REVOKE SELECT ON api_tokens FROM veerkracht_app") }
                let remembered: TestResponse, refused: TestResponse
                do {
                    remembered = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                    // A wrong secret with a cached prefix is refused from memory as well.
                    let forged = String(token.dropLast(4)) + (token.hasSuffix("AAAA") ? "BBBB" : "AAAA")
                    refused = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(forged))
                } catch {
                    try await app.asOwner { try await $0.query("GRANT SELECT ON api_tokens TO veerkracht_app") }
                    throw error
                }
                try await app.asOwner { try await $0.query("GRANT SELECT ON api_tokens TO veerkracht_app") }
                #expect(remembered.status == .ok, "\(remembered.body.text)")
                expectProblem(refused, .unauthorized, type: ProblemURN.invalidAccessToken)
                #expect(cache.count == 1, "still cached before the change")

                try await app.client.query("UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND prefix <> ''")
                try await eventually("the notification") { cache.count == 0 }
                let revoked = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(revoked.status == .unauthorized)
            }
        }
    }

    @Test func roleAndScopeChangesShowAtOnce() async throws {
        try await withListeningCache { app, cache in
            let (user, token) = try await app.user("moving@example.org", roles: [.officer])
            try await app.test { client in
                let before = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(before.json["roles"] as? [String] == ["officer"])
                try await cached(app, client, token, cache)
                try await app.client.query("UPDATE users SET roles = '{officer,physician}', version = version + 1 WHERE id = \(user.id)")
                try await eventually("the notification") { cache.count == 0 }
                let after = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(after.json["roles"] as? [String] == ["officer", "physician"])

                try await cached(app, client, token, cache)
                try await app.client.query("UPDATE users SET active = false WHERE id = \(user.id)")
                try await eventually("the notification") { cache.count == 0 }
                let deactivated = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(deactivated.status == .unauthorized)
            }
        }
    }
}
