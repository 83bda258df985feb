import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// Belgif problem types and issue types, spelled out here rather than taken from the
/// server's enum, so that a renamed type fails a test.
enum ProblemURN {
    static let badRequest = "urn:problem-type:belgif:badRequest"
    static let noAccessToken = "urn:problem-type:belgif:noAccessToken"
    static let invalidAccessToken = "urn:problem-type:belgif:invalidAccessToken"
    static let expiredAccessToken = "urn:problem-type:belgif:expiredAccessToken"
    static let missingPermission = "urn:problem-type:belgif:missingPermission"
    static let resourceNotFound = "urn:problem-type:belgif:resourceNotFound"
    static let payloadTooLarge = "urn:problem-type:belgif:payloadTooLarge"
    static let conflict = "urn:problem-type:veerkracht:conflict"
    static let unsupportedMediaType = "urn:problem-type:veerkracht:unsupportedMediaType"
    static let preconditionFailed = "urn:problem-type:veerkracht:preconditionFailed"
    static let preconditionRequired = "urn:problem-type:veerkracht:preconditionRequired"
    static let idempotencyKeyReused = "urn:problem-type:veerkracht:idempotencyKeyReused"
    static let illegalTransition = "urn:problem-type:veerkracht:illegalTransition"
    static let noPositionLeft = "urn:problem-type:veerkracht:noPositionLeft"

    static let unknownInput = "urn:problem-type:belgif:input-validation:unknownInput"
    static let schemaViolation = "urn:problem-type:belgif:input-validation:schemaViolation"
    static let invalidInput = "urn:problem-type:belgif:input-validation:invalidInput"
    static let referencedResourceNotFound = "urn:problem-type:belgif:input-validation:referencedResourceNotFound"
}

extension HTTPField.Name {
    static let traceID = HTTPField.Name("BelGov-Trace-Id")!
    static let relatedTraceID = HTTPField.Name("BelGov-Related-Trace-Id")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

extension HTTPFields {
    /// Bearer token and a JSON body, plus the given extra fields.
    static func json(_ token: String, _ extra: [HTTPField.Name: String]) -> HTTPFields {
        var fields = HTTPFields.json(token)
        for (name, value) in extra { fields[name] = value }
        return fields
    }

    static func bearer(_ token: String, _ extra: [HTTPField.Name: String]) -> HTTPFields {
        var fields = HTTPFields.bearer(token)
        for (name, value) in extra { fields[name] = value }
        return fields
    }
}

extension ByteBuffer {
    /// A body from a JSON value built with Foundation types.
    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    var text: String { String(buffer: self) }
}

extension TestResponse {
    var json: [String: Any] { body.json }
    var items: [[String: Any]] { body.json["items"] as? [[String: Any]] ?? [] }
    var issues: [[String: Any]] { body.json["issues"] as? [[String: Any]] ?? [] }
}

/// Checks that `response` is a problem document of `type` with `status`, with
/// `instance` naming the request's trace id, and returns its JSON.
@discardableResult
func expectProblem(
    _ response: TestResponse, _ status: HTTPResponse.Status, type: String,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [String: Any] {
    let body = response.json
    #expect(response.status == status, "status \(response.status.code), body \(response.body.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    #expect(body["type"] as? String == type, "body \(response.body.text)", sourceLocation: sourceLocation)
    #expect(body["status"] as? Int == status.code, sourceLocation: sourceLocation)
    let title = body["title"] as? String
    #expect(title != nil && title?.isEmpty == false, "a problem has a title", sourceLocation: sourceLocation)
    let traceID = response.headers[.traceID]
    #expect(traceID != nil && traceID!.utf8.count <= 36, "BelGov-Trace-Id of at most 36 characters", sourceLocation: sourceLocation)
    if let traceID { #expect(body["instance"] as? String == "urn:uuid:\(traceID)", sourceLocation: sourceLocation) }
    return body
}

/// Checks a 400 badRequest problem and that one of its issues has `issueType` (and, when
/// given, `in` and `name`); returns the issues.
@discardableResult
func expectBadRequest(
    _ response: TestResponse, issue issueType: String, in location: String? = nil, name: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [[String: Any]] {
    expectProblem(response, .badRequest, type: ProblemURN.badRequest, sourceLocation: sourceLocation)
    let issues = response.issues
    let matching = issues.filter { issue in
        issue["type"] as? String == issueType
            && (location == nil || issue["in"] as? String == location)
            && (name == nil || issue["name"] as? String == name)
    }
    #expect(!matching.isEmpty, "no \(issueType) issue in \(location ?? "any")/\(name ?? "any") among \(issues)", sourceLocation: sourceLocation)
    for issue in issues {
        #expect(issue["title"] is String, "every issue has a title", sourceLocation: sourceLocation)
    }
    return issues
}

/// Admin requests used by several suites.
extension TestApp {
    /// Creates an entity through the API and returns its JSON (with `id`) and ETag.
    func createEntity(
        _ client: any TestClientProtocol, code: String, name: String? = nil, parent: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], etag: String) {
        var body: [String: Any] = ["code": code, "name": name ?? "Entity \(code)"]
        if let parent { body["parentId"] = parent }
        let response = try await client.execute(uri: "/v1/entities", method: .post, headers: .json(adminToken), body: .json(body))
        try #require(response.status == .created, "creating \(code): \(response.body.text)", sourceLocation: sourceLocation)
        return (response.json, try #require(response.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// Creates a user through the API and returns its JSON and ETag.
    func createUser(
        _ client: any TestClientProtocol, email: String, roles: [String], entityIDs: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (json: [String: Any], etag: String) {
        let body: [String: Any] = ["email": email, "displayName": "Name of \(email)", "roles": roles, "entityIds": entityIDs]
        let response = try await client.execute(uri: "/v1/users", method: .post, headers: .json(adminToken), body: .json(body))
        try #require(response.status == .created, "creating \(email): \(response.body.text)", sourceLocation: sourceLocation)
        return (response.json, try #require(response.headers[.eTag], sourceLocation: sourceLocation))
    }

    /// Every item of a collection, following `next` links page by page.
    func collectAll(
        _ client: any TestClientProtocol, _ uri: String, token: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (items: [[String: Any]], pages: Int) {
        var items: [[String: Any]] = []
        var pages = 0
        var next: String? = uri
        while let current = next {
            pages += 1
            try #require(pages <= 100, "pagination does not end", sourceLocation: sourceLocation)
            let response = try await client.execute(uri: current, method: .get, headers: .bearer(token ?? adminToken))
            try #require(response.status == .ok, "\(current): \(response.body.text)", sourceLocation: sourceLocation)
            let json = response.json
            try #require(json["items"] is [Any], "a collection has items", sourceLocation: sourceLocation)
            items += response.items
            next = (json["next"] as? String).map(Self.relative)
        }
        return (items, pages)
    }

    /// The path and query of an absolute `next` link, which the test clients send as the URI.
    static func relative(_ link: String) -> String {
        guard let components = URLComponents(string: link) else { return link }
        return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// Rows in a table, straight from the database.
    func count(_ table: String) async throws -> Int {
        try await client.query("SELECT count(*) FROM \(unsafeRaw: table)")[0].decode(0, as: Int.self)
    }
}

/// "This request was refused and nothing changed", in one call: what every refusal test of
/// a write should check.
extension TestApp {
    /// Every row of `tables` as JSON text, in a fixed order: equal snapshots mean nothing in
    /// them was written. (Not the audit log: a refusal is recorded there on purpose.)
    func snapshot(_ tables: [String]) async throws -> [String] {
        var rows: [String] = []
        for table in tables {
            // Table names come from the test's own code; identifiers cannot be bound.
            rows.append(try await client.query("""
                SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n' ORDER BY row_to_json(t)::text), '') FROM \(unsafeRaw: table) t
                """)[0].decode(0, as: String.self))
        }
        return rows
    }

    /// Sends `request`, checks that it is refused with `status` and problem `type` (and, for a
    /// 400, an issue named `name`), and that none of `tables` changed. Returns the answer.
    @discardableResult
    func expectRefused(
        _ status: HTTPResponse.Status, type: String, issue name: String? = nil, in location: String? = nil,
        unchanged tables: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ request: () async throws -> TestResponse
    ) async throws -> TestResponse {
        let before = try await snapshot(tables)
        let response = try await request()
        if status == .badRequest {
            expectBadRequest(response, issue: type, in: location, name: name, sourceLocation: sourceLocation)
        } else {
            expectProblem(response, status, type: type, sourceLocation: sourceLocation)
        }
        let after = try await snapshot(tables)
        for (index, table) in tables.enumerated() where before[index] != after[index] {
            Issue.record("\(table) changed although the request was refused", sourceLocation: sourceLocation)
        }
        return response
    }
}
