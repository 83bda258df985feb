import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

/// The same router behind a real HTTP server on a socket: what goes over the wire.
@Suite("Through a live socket")
struct LiveServerTests {
    private func live<Value: Sendable>(_ app: TestApp, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await Application(responder: app.responder).test(.live, body)
    }

    @Test func currentUserOverTheWire() async throws {
        try await TestApp.with { app in
            try await live(app) { client in
                let response = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(app.adminToken))
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(response.json["email"] as? String == "admin@example.org")
                let etag = try #require(response.headers[.eTag])
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""), "ETag sent as a quoted string, not percent-encoded: \(etag)")
                #expect(response.headers[.traceID] != nil)
                let again = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(app.adminToken, [.ifNoneMatch: etag]))
                #expect(again.status == .notModified)
            }
        }
    }

    @Test func problemsOverTheWire() async throws {
        try await TestApp.with { app in
            try await live(app) { client in
                let unauthenticated = try await client.execute(uri: "/v1/me", method: .get)
                expectProblem(unauthenticated, .unauthorized, type: ProblemURN.noAccessToken)
                #expect(unauthenticated.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                let unknown = try await client.execute(uri: "/v1/unknown", method: .get, headers: .bearer(app.adminToken))
                expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)
                let malformed = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: ByteBuffer(string: "{not json"))
                expectProblem(malformed, .badRequest, type: ProblemURN.badRequest)
            }
        }
    }

    @Test func createAndFollowLinksOverTheWire() async throws {
        try await TestApp.with { app in
            try await live(app) { client in
                for code in ["DEP-A", "DEP-B", "DEP-C"] {
                    let created = try await client.execute(
                        uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": code, "name": code]))
                    #expect(created.status == .created)
                    let id = try #require(created.json["id"] as? String)
                    #expect(created.headers[.location] == "/v1/entities/\(id)", "Location is not percent-encoded")
                    #expect(created.headers[.eTag]?.hasPrefix("\"") == true)
                }
                let first = try await client.execute(uri: "/v1/entities?pageSize=2", method: .get, headers: .bearer(app.adminToken))
                let next = try #require(first.json["next"] as? String)
                #expect(next.hasPrefix("http://localhost"), "an absolute link from the request's Host: \(next)")
                let second = try await client.execute(uri: TestApp.relative(next), method: .get, headers: .bearer(app.adminToken))
                #expect(second.items.compactMap { $0["code"] as? String } == ["DEP-C"])
            }
        }
    }

    /// A chunked body has no Content-Length to refuse up front: it is counted as it arrives.
    @Test func aChunkedBodyOverTheLimitIs413() async throws {
        try await TestApp.with(maximumBodySize: 1024) { app in
            try await live(app) { client in
                let port = try #require(client.port)
                let connection = try RawHTTPConnection(port: port)
                let chunk = String(repeating: "x", count: 600)
                try connection.transmit("""
                    POST /v1/entities HTTP/1.1\r
                    Host: localhost\r
                    Authorization: Bearer \(app.adminToken)\r
                    Content-Type: application/json\r
                    Transfer-Encoding: chunked\r
                    \r
                    258\r
                    \(chunk)\r
                    258\r
                    \(chunk)\r
                    0\r
                    \r

                    """)
                let response = try connection.readResponse()
                #expect(response.status == 413, "\(response.status) \(response.body)")
                #expect(response.headers["content-type"] == "application/problem+json")
                let body = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
                #expect(body?["type"] as? String == ProblemURN.payloadTooLarge)
                let traceID = try #require(response.headers["belgov-trace-id"])
                #expect(body?["instance"] as? String == "urn:uuid:\(traceID)")
                let count = try await app.count("entities")
                #expect(count == 0)
            }
        }
    }
}
