import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

/// Every class of error answers its status with a Belgif problem document.
@Suite("Problem documents")
struct ErrorTests {
    @Test func malformedJSONIs400() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: ByteBuffer(string: #"{"code": "DEP-A", "name": "#))
                let body = expectProblem(response, .badRequest, type: ProblemURN.badRequest)
                #expect(!(body["issues"] as? [Any] ?? []).isEmpty, "a badRequest lists its issues")
                let count = try await app.count("entities")
                #expect(count == 0)
            }
        }
    }

    @Test func aWrongContentTypeIs415() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: [.authorization: "Bearer \(app.adminToken)", .contentType: "text/plain"],
                    body: ByteBuffer(string: #"{"code": "DEP-A", "name": "A"}"#))
                expectProblem(response, .unsupportedMediaType, type: ProblemURN.unsupportedMediaType)
                let count = try await app.count("entities")
                #expect(count == 0)
                // On an update as well: merge patch or JSON only.
                let (entity, etag) = try await app.createEntity(client, code: "DEP-A", name: "A")
                let patch = try await client.execute(
                    uri: "/v1/entities/\(entity["id"] as? String ?? "")", method: .patch,
                    headers: [.authorization: "Bearer \(app.adminToken)", .contentType: "text/plain", .ifMatch: etag],
                    body: ByteBuffer(string: #"{"name": "B"}"#))
                expectProblem(patch, .unsupportedMediaType, type: ProblemURN.unsupportedMediaType)
            }
        }
    }

    @Test func anUnacceptableAcceptIs406() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(
                    uri: "/v1/me", method: .get, headers: .bearer(app.adminToken, [.accept: "application/xml"]))
                expectProblem(response, .notAcceptable, type: "urn:problem-type:veerkracht:notAcceptable")
                let json = try await client.execute(
                    uri: "/v1/me", method: .get, headers: .bearer(app.adminToken, [.accept: "application/json"]))
                #expect(json.status == .ok)
            }
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await TestApp.with(maximumBodySize: 256) { app in
            try await app.test { client in
                let name = String(repeating: "n", count: 400)
                let response = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-A", "name": name]))
                expectProblem(response, .contentTooLarge, type: ProblemURN.payloadTooLarge)
                // Just under the limit goes through to validation.
                let small = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-A", "name": "A"]))
                #expect(small.status == .created)
            }
        }
    }

    @Test func aBadUUIDInAPathIs400() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                for uri in ["/v1/entities/not-a-uuid", "/v1/users/12345", "/v1/users/zzz/tokens"] {
                    let response = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                    let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "path")
                    #expect(issues.count == 1, "\(uri): \(issues)")
                }
                let response = try await client.execute(uri: "/v1/entities/not-a-uuid", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "path", name: "entityId")
            }
        }
    }

    @Test func anUnknownBodyPropertyIs400UnknownInput() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "DEP-A", "name": "A", "colour": "blue"]))
                expectBadRequest(response, issue: ProblemURN.unknownInput, in: "body")
                let user = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                    body: .json(["email": "x@example.org", "displayName": "X", "roles": ["hr"], "password": "secret"]))
                expectBadRequest(user, issue: ProblemURN.unknownInput, in: "body")
                let entities = try await app.count("entities")
                let users = try await app.count("users")
                #expect(entities == 0)
                #expect(users == 1)
            }
        }
    }

    @Test func anUnknownQueryParameterIs400UnknownInput() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/entities?pageSize=5&colour=blue", method: .get, headers: .bearer(app.adminToken))
                let issues = expectBadRequest(response, issue: ProblemURN.unknownInput, in: "query", name: "colour")
                #expect(issues.count == 1, "pageSize is known: \(issues)")
                // Also on an operation with no query parameters at all, and on a public one.
                let me = try await client.execute(uri: "/v1/me?debug=1", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(me, issue: ProblemURN.unknownInput, in: "query", name: "debug")
                let health = try await client.execute(uri: "/health?verbose=true", method: .get)
                expectBadRequest(health, issue: ProblemURN.unknownInput, in: "query", name: "verbose")
                // The known ones are accepted.
                let known = try await client.execute(uri: "/v1/users?role=admin&active=true&pageSize=5", method: .get, headers: .bearer(app.adminToken))
                #expect(known.status == .ok)
            }
        }
    }

    @Test func aBadQueryValueIs400() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let size = try await client.execute(uri: "/v1/entities?pageSize=1000", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(size, issue: ProblemURN.schemaViolation, in: "query", name: "pageSize")
                let cursor = try await client.execute(uri: "/v1/entities?cursor=nonsense", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(cursor, issue: ProblemURN.schemaViolation, in: "query", name: "cursor")
                let parent = try await client.execute(uri: "/v1/entities?parent=nope", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(parent, issue: ProblemURN.schemaViolation, in: "query", name: "parent")
            }
        }
    }

    @Test func withoutATokenIs401NoAccessToken() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                for (uri, method) in [("/v1/me", HTTPRequest.Method.get), ("/v1/entities", .get), ("/v1/users", .get)] {
                    let response = try await client.execute(uri: uri, method: method)
                    expectProblem(response, .unauthorized, type: ProblemURN.noAccessToken)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
                let posted = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: [.contentType: "application/json"], body: .json(["code": "DEP-A", "name": "A"]))
                expectProblem(posted, .unauthorized, type: ProblemURN.noAccessToken)
                let count = try await app.count("entities")
                #expect(count == 0)
            }
        }
    }

    @Test func aMalformedOrUnknownTokenIs401InvalidAccessToken() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let unknown = AccessToken.generate().bearerValue
                let tampered = String(app.adminToken.dropLast()) + (app.adminToken.hasSuffix("A") ? "B" : "A")
                let values = [
                    "Bearer nonsense", "Bearer vk_123_456", "Bearer \(unknown)", "Bearer \(tampered)",
                    "Basic \(Data("admin:admin".utf8).base64EncodedString())", "Bearer", app.adminToken,
                ]
                for value in values {
                    let response = try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: value])
                    expectProblem(response, .unauthorized, type: ProblemURN.invalidAccessToken)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(value)")
                }
                // The real one works, in any case of the scheme.
                let ok = try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "bearer \(app.adminToken)"])
                #expect(ok.status == .ok)
            }
        }
    }

    @Test func anUnknownRouteIs404ResourceNotFound() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                // No trailing slashes (Belgif): the collection is only at its own path.
                for uri in ["/v1/nothing", "/v2/entities", "/v1/entities/", "/v1/me/", "/"] {
                    let response = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                    expectProblem(response, .notFound, type: ProblemURN.resourceNotFound)
                }
                let missing = try await client.execute(uri: "/v1/entities/\(UUID())", method: .get, headers: .bearer(app.adminToken))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
            }
        }
    }

    @Test func aNonAdministratorOnUsersIs403MissingPermission() async throws {
        try await TestApp.with { app in
            let (officer, token) = try await app.user("officer@example.org", roles: [.officer, .hr, .panel, .physician, .auditor])
            try await app.test { client in
                let list = try await client.execute(uri: "/v1/users", method: .get, headers: .bearer(token))
                expectProblem(list, .forbidden, type: ProblemURN.missingPermission)
                let get = try await client.execute(uri: "/v1/users/\(officer.id.uuidString.lowercased())", method: .get, headers: .bearer(token))
                expectProblem(get, .forbidden, type: ProblemURN.missingPermission)
                let create = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(token),
                    body: .json(["email": "new@example.org", "displayName": "New", "roles": ["admin"]]))
                expectProblem(create, .forbidden, type: ProblemURN.missingPermission)
                let tokens = try await client.execute(
                    uri: "/v1/users/\(officer.id.uuidString.lowercased())/tokens", method: .post, headers: .json(token), body: .json(["name": "mine"]))
                expectProblem(tokens, .forbidden, type: ProblemURN.missingPermission)
                let entity = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(token), body: .json(["code": "DEP-A", "name": "A"]))
                expectProblem(entity, .forbidden, type: ProblemURN.missingPermission)
                // Nothing was written, and reading the tree is allowed.
                let users = try await app.count("users")
                let entities = try await app.count("entities")
                let apiTokens = try await app.count("api_tokens")
                #expect(users == 2)
                #expect(entities == 0)
                #expect(apiTokens == 2)
                let read = try await client.execute(uri: "/v1/entities", method: .get, headers: .bearer(token))
                #expect(read.status == .ok)
            }
        }
    }

    @Test func traceIDsAreMadeAndTheCallersIsEchoed() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let first = try await client.execute(uri: "/health/live", method: .get)
                let second = try await client.execute(uri: "/health/live", method: .get)
                let firstID = try #require(first.headers[.traceID])
                #expect(firstID != second.headers[.traceID])
                #expect(first.headers[.relatedTraceID] == nil)
                let mine = "my-trace-42"
                let echoed = try await client.execute(uri: "/v1/me", method: .get, headers: [.traceID: mine])
                #expect(echoed.headers[.relatedTraceID] == mine)
                let body = expectProblem(echoed, .unauthorized, type: ProblemURN.noAccessToken)
                #expect(body["instance"] as? String != "urn:uuid:\(mine)", "instance names the server's trace id")
                let viaRequestID = try await client.execute(uri: "/health/live", method: .get, headers: [.init("X-Request-Id")!: "req-7"])
                #expect(viaRequestID.headers[.relatedTraceID] == "req-7")
            }
        }
    }

    @Test func problemsCarryNothingInternal() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                // A duplicate code reaches the database's unique constraint.
                _ = try await app.createEntity(client, code: "DEP-A")
                let response = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-A", "name": "Again"]))
                expectProblem(response, .conflict, type: ProblemURN.conflict)
                let text = response.body.text.lowercased()
                for leak in ["entities_code_key", "duplicate key", "sql", "postgres", "swift", "localhost"] {
                    #expect(!text.contains(leak), "\(leak) in \(text)")
                }
            }
        }
    }
}
