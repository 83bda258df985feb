import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import Veerkracht

/// A clock the test moves forward.
final class TestClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }
    func advance(days: Double) { current.withLock { $0 = $0.addingTimeInterval(days * 86_400) } }
}

@Suite("Access tokens")
struct TokenTests {
    private func tokensURI(_ user: User) -> String { "/v1/users/\(user.id.uuidString.lowercased())/tokens" }

    @Test func aCreatedTokenIsShownOnceAndWorks() async throws {
        try await TestApp.with { app in
            let (user, _) = try await app.user("integration@example.org", roles: [.hr])
            try await app.test { client in
                let key = UUID().uuidString
                let created = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]),
                    body: .json(["name": "payroll integration", "expiresIn": 30]))
                #expect(created.status == .created, "\(created.body.text)")
                let secret = try #require(created.json["secret"] as? String)
                let id = try #require(created.json["id"] as? String)
                let location = try #require(created.headers[.location])
                #expect(location.hasSuffix("\(tokensURI(user))/\(id)"))
                #expect(created.json["href"] as? String == "\(tokensURI(user))/\(id)")
                #expect(created.json["status"] as? String == "active")
                #expect(created.json["userId"] as? String == user.id.uuidString.lowercased())
                let prefix = try #require(created.json["prefix"] as? String)
                #expect(secret.contains(prefix))
                #expect(created.headers[.eTag] != nil)

                // The secret authenticates as its user.
                let me = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(secret))
                #expect(me.status == .ok)
                #expect(me.json["email"] as? String == "integration@example.org")
                #expect(me.json["roles"] as? [String] == ["hr"])

                // A replay answers the same token without its secret.
                let replay = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]),
                    body: .json(["name": "payroll integration", "expiresIn": 30]))
                #expect(replay.status == .created)
                #expect(replay.json["id"] as? String == id)
                #expect(replay.json["secret"] == nil)
                #expect(!replay.body.text.contains(secret))
                #expect(replay.headers[.location] == location)
                let reused = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]),
                    body: .json(["name": "another", "expiresIn": 30]))
                expectProblem(reused, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("api_tokens")
                #expect(count == 3, "the admin's, the helper's and one created here")

                // Nothing in the database holds the secret itself.
                let rows = try await app.client.query("SELECT prefix, encode(secret_hash, 'hex') AS hash FROM api_tokens")
                for row in rows {
                    let stored = try row.decode("hash", as: String.self)
                    #expect(!secret.contains(stored))
                }
            }
        }
    }

    @Test func createValidatesItsInput() async throws {
        try await TestApp.with { app in
            let (user, _) = try await app.user("u@example.org", roles: [.officer])
            try await app.test { client in
                let both = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken),
                    body: .json(["name": "x", "expiresIn": 5, "expiresOn": "2099-01-01"]))
                expectBadRequest(both, issue: ProblemURN.invalidInput, in: "body")
                let tooLong = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": "x", "expiresIn": 731]))
                expectBadRequest(tooLong, issue: ProblemURN.schemaViolation, in: "body", name: "expiresIn")
                let badDate = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": "x", "expiresOn": "2026-02-30"]))
                expectBadRequest(badDate, issue: ProblemURN.schemaViolation, in: "body", name: "expiresOn")
                let noName = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": ""]))
                expectBadRequest(noName, issue: ProblemURN.schemaViolation, in: "body", name: "name")
                let nobody = try await client.execute(
                    uri: "/v1/users/\(UUID())/tokens", method: .post, headers: .json(app.adminToken), body: .json(["name": "x"]))
                expectProblem(nobody, .notFound, type: ProblemURN.resourceNotFound)
                let count = try await app.count("api_tokens")
                #expect(count == 2)
            }
        }
    }

    @Test func theListNeverShowsTheSecretOrItsHash() async throws {
        try await TestApp.with { app in
            let (user, helperToken) = try await app.user("u@example.org", roles: [.officer])
            try await app.test { client in
                var secrets = [helperToken]
                for name in ["first", "second", "third"] {
                    let created = try await client.execute(
                        uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": name]))
                    secrets.append(try #require(created.json["secret"] as? String))
                }
                let hashes = try await app.client.query("SELECT encode(secret_hash, 'hex') AS hex, encode(secret_hash, 'base64') AS b64 FROM api_tokens")
                    .map { [try $0.decode("hex", as: String.self), try $0.decode("b64", as: String.self)] }.flatMap { $0 }

                let (items, pages) = try await app.collectAll(client, tokensURI(user) + "?pageSize=2")
                #expect(pages == 2)
                #expect(items.count == 4)
                #expect(items.compactMap { $0["name"] as? String }.prefix(3) == ["third", "second", "first"], "newest first")
                for item in items {
                    #expect(Set(item.keys).isSubset(of: ["id", "href", "userId", "name", "prefix", "status", "createdAt", "expiresAt", "lastUsedAt", "revokedAt"]), "\(item.keys)")
                    #expect(item["href"] as? String == "\(tokensURI(user))/\(item["id"] as? String ?? "?")")
                }
                let page = try await client.execute(uri: tokensURI(user) + "?pageSize=100", method: .get, headers: .bearer(app.adminToken))
                for secret in secrets {
                    // vk_<16 hex digits>_<43 characters>: the part after the prefix.
                    let secretPart = String(secret.dropFirst(20))
                    #expect(secretPart.count == 43)
                    #expect(!page.body.text.contains(secretPart))
                }
                for hash in hashes { #expect(!page.body.text.contains(hash)) }
                let missing = try await client.execute(uri: "/v1/users/\(UUID())/tokens", method: .get, headers: .bearer(app.adminToken))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
            }
        }
    }

    @Test func aRevokedTokenIsInvalidAtOnce() async throws {
        try await TestApp.with { app in
            let (user, token) = try await app.user("u@example.org", roles: [.officer])
            let (other, otherToken) = try await app.user("v@example.org", roles: [.officer])
            try await app.test { client in
                let (items, _) = try await app.collectAll(client, tokensURI(user))
                let id = try #require(items.first?["id"] as? String)
                let before = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(before.status == .ok)

                // Through another user's path: not theirs, so 404, and nothing happens.
                let wrongUser = try await client.execute(uri: "\(tokensURI(other))/\(id)", method: .delete, headers: .bearer(app.adminToken))
                expectProblem(wrongUser, .notFound, type: ProblemURN.resourceNotFound)
                let stillWorks = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(stillWorks.status == .ok)

                let revoked = try await client.execute(uri: "\(tokensURI(user))/\(id)", method: .delete, headers: .bearer(app.adminToken))
                #expect(revoked.status == .noContent)
                #expect(revoked.body.readableBytes == 0)
                let after = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                expectProblem(after, .unauthorized, type: ProblemURN.invalidAccessToken)
                #expect(after.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

                let twice = try await client.execute(uri: "\(tokensURI(user))/\(id)", method: .delete, headers: .bearer(app.adminToken))
                #expect(twice.status == .noContent)
                let unknown = try await client.execute(uri: "\(tokensURI(user))/\(UUID())", method: .delete, headers: .bearer(app.adminToken))
                expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)

                let (listed, _) = try await app.collectAll(client, tokensURI(user))
                #expect(listed.first?["status"] as? String == "revoked")
                #expect(listed.first?["revokedAt"] is String)
                // The other user's token is untouched.
                let theirs = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(otherToken))
                #expect(theirs.status == .ok)
                // A non-administrator cannot revoke, not even their own token.
                let (_, mine) = try await app.user("w@example.org", roles: [.officer])
                let (otherItems, _) = try await app.collectAll(client, tokensURI(other))
                let otherID = try #require(otherItems.first?["id"] as? String)
                let refused = try await client.execute(uri: "\(tokensURI(other))/\(otherID)", method: .delete, headers: .bearer(mine))
                expectProblem(refused, .forbidden, type: ProblemURN.missingPermission)
            }
        }
    }

    @Test func anExpiredTokenIs401ExpiredAccessToken() async throws {
        let clock = TestClock()
        try await TestApp.with(now: { clock.now }) { app in
            let (user, _) = try await app.user("u@example.org", roles: [.officer])
            try await app.test { client in
                let created = try await client.execute(
                    uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": "short", "expiresIn": 1]))
                let secret = try #require(created.json["secret"] as? String)
                let id = try #require(created.json["id"] as? String)
                let fresh = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(secret))
                #expect(fresh.status == .ok)

                clock.advance(days: 2)
                let expired = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(secret))
                expectProblem(expired, .unauthorized, type: ProblemURN.expiredAccessToken)
                #expect(expired.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                // The administrator's token (30 days) still works, and lists the token as expired.
                let (items, _) = try await app.collectAll(client, tokensURI(user))
                let listed = try #require(items.first { $0["id"] as? String == id })
                #expect(listed["status"] as? String == "expired")
            }
        }
    }

    @Test func aTokenExpiredInTheDatabaseIs401() async throws {
        try await TestApp.with { app in
            let (user, token) = try await app.user("u@example.org", roles: [.officer])
            try await app.client.query("""
                UPDATE api_tokens SET created_at = now() - interval '10 days', expires_at = now() - interval '1 second'
                WHERE user_id = \(user.id)
                """)
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                expectProblem(response, .unauthorized, type: ProblemURN.expiredAccessToken)
            }
        }
    }

    @Test func aDeactivatedUsersTokenIsInvalid() async throws {
        try await TestApp.with { app in
            let (user, token) = try await app.user("u@example.org", roles: [.officer])
            try await app.test { client in
                let uri = "/v1/users/\(user.id.uuidString.lowercased())"
                let current = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                let off = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: try #require(current.headers[.eTag])]),
                    body: .json(["active": false]))
                #expect(off.status == .ok)
                let response = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                expectProblem(response, .unauthorized, type: ProblemURN.invalidAccessToken)
                // No new token for a deactivated user.
                let create = try await client.execute(uri: tokensURI(user), method: .post, headers: .json(app.adminToken), body: .json(["name": "x"]))
                expectProblem(create, .conflict, type: ProblemURN.conflict)
                let count = try await app.count("api_tokens")
                #expect(count == 2)
            }
        }
    }
}
