import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("GET /v1/me")
struct CurrentUserTests {
    @Test func answersTheTokensUserWithAnETag() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(app.adminToken))
                #expect(response.status == .ok)
                #expect(response.body.json["email"] as? String == "admin@example.org")
                #expect(response.body.json["roles"] as? [String] == ["admin"])
                let etag = try #require(response.headers[.eTag])
                #expect(etag.hasPrefix("\""))
                let again = try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer \(app.adminToken)", .ifNoneMatch: etag])
                #expect(again.status == .notModified)
            }
        }
    }

    @Test func withoutATokenIs401WithAProblem() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/me", method: .get)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(response.body.json["type"] as? String == "urn:problem-type:belgif:noAccessToken")
                let traceID = try #require(response.headers[.init("BelGov-Trace-Id")!])
                #expect(response.body.json["instance"] as? String == "urn:uuid:\(traceID)")
            }
        }
    }
}
