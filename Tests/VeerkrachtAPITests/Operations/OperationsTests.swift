import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VeerkrachtAPI
import Yams
@testable import Veerkracht

@Suite("Health, metrics and the specification")
struct OperationsTests {
    @Test(arguments: ["/health", "/health/live", "/health/ready"])
    func healthAnswersUpWithoutAToken(path: String) async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let status = response.json["status"] as? String
                if path == "/health/live" {
                    #expect(status == "UP")
                } else {
                    let database = (response.json["checks"] as? [String: Any])?["database"] as? [String: Any]
                    let latency = try #require(database?["latencyMs"] as? Int, "the database was checked: \(response.body.text)")
                    #expect(database?["status"] as? String == status)
                    // DEGRADED only when the database was slow (over 500 ms, on a loaded test machine).
                    #expect(status == "UP" || (status == "DEGRADED" && latency > 500), "\(response.body.text)")
                }
            }
        }
    }

    @Test func healthIsDownWhenTheDatabaseIsGone() async throws {
        try await TestApp.with { app in
            await app.client.close()
            try await app.test { client in
                let health = try await client.execute(uri: "/health", method: .get)
                #expect(health.status == .serviceUnavailable, "\(health.body.text)")
                #expect(health.json["status"] as? String == "DOWN")
                let ready = try await client.execute(uri: "/health/ready", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.json["status"] as? String == "DOWN")
                let live = try await client.execute(uri: "/health/live", method: .get)
                #expect(live.status == .ok, "liveness does not depend on the database")
            }
        }
    }

    @Test func metricsAreTextFromTheRegistry() async throws {
        try await TestApp.with { app in
            app.metrics.makeCounter(descriptor: .init(namespace: "veerkracht", metricName: "test_marker", unitName: "total", helpText: "A counter the test sets")).increment(by: Int64(3))
            try await app.test { client in
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(response.body.text.contains("veerkracht_test_marker_total 3"), "\(response.body.text)")
            }
        }
    }

    @Test func theSpecificationIsServedAndParses() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/openapi.yaml", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/yaml") == true)
                let served = Data(response.body.readableBytesView)
                #expect(served == (try OpenAPIDocument.yaml))
                let specification = try APISpecification(yaml: served)
                #expect(specification.routes.contains("GET /v1/me"))
                #expect(specification.routes.contains("DELETE /v1/users/{userId}/tokens/{tokenId}"))
                #expect(specification.publicOperations == ["getHealth", "getLiveness", "getReadiness", "getMetrics", "getOpenAPISpec"])
                #expect(specification.queryParameters["listUsers"] == ["pageSize", "cursor", "role", "entity", "active"])
            }
        }
    }

    /// Each route the document defines is registered on the router: without a token an
    /// operation answers 401 (or, if public, 200), never the router's 404.
    @Test func everyRouteOfTheDocumentIsRegistered() async throws {
        let specification = try APISpecification.load()
        // Counted in the document's text, apart from how APISpecification reads it.
        let operations = String(decoding: specification.yaml, as: UTF8.self).split(separator: "\n")
            .filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("operationId:") }.count
        #expect(operations > 50)
        #expect(specification.routes.count == operations)
        try await TestApp.with { app in
            try await app.test { client in
                // The control: what an unregistered route answers.
                let unknown = try await client.execute(uri: "/v1/unregistered", method: .get)
                #expect(unknown.status == .notFound)
                let wrongMethod = try await client.execute(uri: "/v1/me", method: .delete)
                #expect(wrongMethod.status == .methodNotAllowed)
                #expect(wrongMethod.headers[.allow] == "GET")

                for route in specification.routes.sorted() {
                    let parts = route.split(separator: " ", maxSplits: 1)
                    let method = try #require(HTTPRequest.Method(String(parts[0])))
                    let path = String(parts[1]).replacing(/\{[A-Za-z]+\}/, with: { _ in UUID().uuidString.lowercased() })
                    let response = try await client.execute(uri: path, method: method)
                    #expect(response.status != .notFound && response.status != .methodNotAllowed, "\(route) is not registered")
                    if path.hasPrefix("/v1/") {
                        #expect(response.status == .unauthorized, "\(route): \(response.status)")
                        #expect(response.json["type"] as? String == ProblemURN.noAccessToken)
                    } else {
                        #expect(response.status == .ok, "\(route): \(response.status)")
                    }
                }
            }
        }
    }

    /// PRODUCT.md: every operation has a lowerCamelCase operationId, one tag, a summary and
    /// a default problem response.
    @Test func everyOperationIsDocumentedByTheConventions() throws {
        let text = String(decoding: try OpenAPIDocument.yaml, as: UTF8.self)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let declaredTags = Set((document["tags"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        let paths = try #require(document["paths"] as? [String: Any])
        var operationIDs: [String] = []
        var routes = Set<String>()
        for (path, item) in paths {
            #expect(path == "/" || !path.hasSuffix("/"), "no trailing slash: \(path)")
            let item = try #require(item as? [String: Any])
            for method in ["get", "put", "post", "delete", "patch", "head", "options", "trace"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let name = "\(method.uppercased()) \(path)"
                routes.insert(name)
                let operationID = operation["operationId"] as? String ?? ""
                #expect(operationID.wholeMatch(of: /[a-z][a-zA-Z0-9]*/) != nil, "\(name): operationId '\(operationID)'")
                operationIDs.append(operationID)
                let tags = operation["tags"] as? [String] ?? []
                #expect(tags.count == 1, "\(name): one tag, not \(tags)")
                #expect(tags.allSatisfy(declaredTags.contains), "\(name): tag \(tags) is declared at the top")
                let summary = operation["summary"] as? String ?? ""
                #expect(!summary.trimmingCharacters(in: .whitespaces).isEmpty, "\(name): summary")
                let responses = operation["responses"] as? [String: Any] ?? [:]
                let fallback = responses["default"] as? [String: Any]
                #expect(fallback?["$ref"] as? String == "#/components/responses/Problem", "\(name): default problem response")
                // Every operation that reads path or query input documents a 400.
                if path.contains("{") {
                    #expect(responses["400"] != nil || responses["404"] != nil, "\(name): bad or unknown ids are documented")
                }
            }
        }
        #expect(Set(operationIDs).count == operationIDs.count, "operationIds are unique: \(operationIDs.sorted())")
        #expect(routes == (try APISpecification.load()).routes, "the server reads the same operations")
        // The Problem response it points to is application/problem+json.
        let problem = ((document["components"] as? [String: Any])?["responses"] as? [String: Any])?["Problem"] as? [String: Any]
        let content = problem?["content"] as? [String: Any]
        #expect(content?["application/problem+json"] != nil)
    }
}
