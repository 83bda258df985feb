import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresLibPQ
import Testing
@testable import Veerkracht

/// The defects that testing from outside found (issue 15), each pinned by the test that
/// failed before its fix.
@Suite("Hardening")
struct HardeningTests {
    /// Yesterday at 09:00 UTC: a contact moment in the past and after the absence started.
    private static var yesterday: String {
        "\(CalendarDate.today(at: Date()).adding(days: -1))T09:00:00Z"
    }

    private static func contact(occurredAt: String) -> [String: Any] {
        ["occurredAt": occurredAt, "channel": "phone", "initiative": "employer", "madeBy": "officer", "summary": "A call"]
    }

    @Test func aMalformedTimestampInABodyIs400NamingIt() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            let day = CalendarDate.today(at: Date()).adding(days: -1)
            for text in ["", "x", "\(day) 09:00:00Z", "\(day)T09:00:00", "\(day)T09:00Z", "\(day)T24:00:00Z", "2026-02-30T09:00:00Z",
                         "\(day)T09:00:00+1:00", "\(day)T09:00:00.Z", " \(day)T09:00:00Z"] {
                let response = try await client.execute(
                    uri: uri + "/contactMoments", method: .post, headers: .json(world.officer.token),
                    body: .json(Self.contact(occurredAt: text)))
                let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "body", name: "occurredAt")
                #expect(issues.count == 1, "\(text): \(issues)")
            }
            #expect(try await app.count("contact_moments") == 0)
            // RFC 3339's ABNF is case-insensitive: a lower-case t and z are the same instant.
            let lower = try await client.execute(
                uri: uri + "/contactMoments", method: .post, headers: .json(world.officer.token),
                body: .json(Self.contact(occurredAt: "\(day)t09:00:00.25+01:00")))
            #expect(lower.status == .created, "\(lower.body.text)")
            #expect(lower.json["occurredAt"] as? String == "\(day)T08:00:00.250000Z")

            let (_, actionURI, etag) = try await world.addAction(client, to: uri)
            let done = try await client.execute(
                uri: actionURI, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["doneAt": ""]))
            expectBadRequest(done, issue: ProblemURN.schemaViolation, in: "body", name: "doneAt")
            let after = try await client.execute(uri: actionURI, method: .get, headers: .bearer(world.officer.token))
            #expect(after.headers[.eTag] == etag, "the action is unchanged")
        }
    }

    @Test func aMalformedTimestampInAQueryIs400ForTheAuditorAnd403ForOthers() async throws {
        try await CaseWorld.with { app, client, world in
            for (query, name) in [("to=", "to"), ("from=x", "from"), ("from=2026-12-01", "from"),
                                  ("from=2026-12-01T00:00:00Z&to=2026-12-01T10:00", "to")] {
                let auditor = try await client.execute(uri: "/v1/audit?\(query)", method: .get, headers: .bearer(world.auditor.token))
                let issues = expectBadRequest(auditor, issue: ProblemURN.schemaViolation, in: "query", name: name)
                #expect(issues.count == 1, "\(query): \(issues)")
                // Who may call the operation at all is settled before its input is read.
                let officer = try await client.execute(uri: "/v1/audit?\(query)", method: .get, headers: .bearer(world.officer.token))
                expectProblem(officer, .forbidden, type: ProblemURN.missingPermission)
            }
            let fine = try await client.execute(
                uri: "/v1/audit?from=2026-12-01T00:00:00%2B01:00", method: .get, headers: .bearer(world.auditor.token))
            #expect(fine.status == .ok, "\(fine.body.text)")
        }
    }

    /// A body is judged only for a caller who may send it: 401 and 403 come first.
    @Test func aBodyIsNotJudgedForACallerWhoMayNotSendIt() async throws {
        try await CaseWorld.with { app, client, world in
            let body = ByteBuffer.json(["email": NSNull(), "displayName": "a\u{0}b", "roles": ["auditor"]])
            let anonymous = try await client.execute(uri: "/v1/users", method: .post, headers: [.contentType: "application/json"], body: body)
            expectProblem(anonymous, .unauthorized, type: ProblemURN.noAccessToken)
            let officer = try await client.execute(uri: "/v1/users", method: .post, headers: .json(world.officer.token), body: body)
            expectProblem(officer, .forbidden, type: ProblemURN.missingPermission)
            let admin = try await client.execute(uri: "/v1/users", method: .post, headers: .json(app.adminToken), body: body)
            let issues = expectBadRequest(admin, issue: ProblemURN.schemaViolation, in: "body", name: "email")
            #expect(issues.contains { $0["name"] as? String == "displayName" })
        }
    }

    @Test func aWrongMethodIs405WithAllow() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                for (method, uri, allow) in [
                    (HTTPRequest.Method("TRACE")!, "/v1/me", "GET"), (.delete, "/v1/me", "GET"), (.put, "/v1/trajectories", "GET, POST"),
                    (.delete, "/v1/trajectories/\(UUID().uuidString.lowercased())", "GET, PATCH"), (.post, "/health", "GET"),
                ] {
                    let response = try await client.execute(uri: uri, method: method, headers: .bearer(app.adminToken))
                    expectProblem(response, .methodNotAllowed, type: "urn:problem-type:veerkracht:methodNotAllowed")
                    #expect(response.headers[.allow] == allow, "\(method) \(uri)")
                }
                let unknown = try await client.execute(uri: "/v1/nothing/here", method: .delete, headers: .bearer(app.adminToken))
                expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)
                #expect(unknown.headers[.allow] == nil)
            }
        }
    }

    @Test func declaredParameterLimitsAreEnforcedAtTheLimitAndOnePast() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, etag) = try await world.openCase(client)
            let token = world.officer.token
            let padded = etag + ", \"" + String(repeating: "x", count: 1024 - etag.count - 4) + "\""
            #expect(padded.count == 1024)
            let atLimit = try await client.execute(uri: uri, method: .get, headers: .bearer(token, [.ifNoneMatch: padded]))
            #expect(atLimit.status != .badRequest, "\(atLimit.body.text)")
            let noneMatch = try await client.execute(
                uri: uri, method: .get, headers: .bearer(token, [.ifNoneMatch: String(repeating: "x", count: 1025)]))
            expectBadRequest(noneMatch, issue: ProblemURN.schemaViolation, in: "header", name: "If-None-Match")
            let ifMatch = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: String(repeating: "x", count: 1025)]),
                body: .json(["goal": "adaptedOwnJob"]))
            expectBadRequest(ifMatch, issue: ProblemURN.schemaViolation, in: "header", name: "If-Match")
            let unchanged = try await client.execute(uri: uri, method: .get, headers: .bearer(token))
            #expect(unchanged.headers[.eTag] == etag)
            let language = try await client.execute(
                uri: "/v1/processTemplates", method: .get,
                headers: .bearer(token, [.acceptLanguage: String(repeating: "nl,", count: 86)]))
            expectBadRequest(language, issue: ProblemURN.schemaViolation, in: "header", name: "Accept-Language")
            let languageAtLimit = try await client.execute(
                uri: "/v1/processTemplates", method: .get,
                headers: .bearer(token, [.acceptLanguage: "nl" + String(repeating: ",fr", count: 84) + ",x"]))
            #expect(languageAtLimit.status == .ok, "\(languageAtLimit.body.text)")
            let roles = Array(repeating: "role=officer", count: 7).joined(separator: "&")
            let tooMany = try await client.execute(uri: "/v1/users?\(roles)", method: .get, headers: .bearer(app.adminToken))
            expectBadRequest(tooMany, issue: ProblemURN.schemaViolation, in: "query", name: "role")
            let six = Array(repeating: "role=officer", count: 6).joined(separator: "&")
            let enough = try await client.execute(uri: "/v1/users?\(six)", method: .get, headers: .bearer(app.adminToken))
            #expect(enough.status == .ok, "\(enough.body.text)")
            let officer = try await client.execute(uri: "/v1/trajectories?officer=someone", method: .get, headers: .bearer(token))
            expectBadRequest(officer, issue: ProblemURN.schemaViolation, in: "query", name: "officer")
        }
    }

    @Test func aReplayedCreateIsAuditedAsARead() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            let headers = HTTPFields.json(world.officer.token, [.idempotencyKey: "action-1"])
            let body = ByteBuffer.json(["title": "Workplace visit", "kind": "workplaceAdaptation", "owner": "manager"])
            let first = try await client.execute(uri: uri + "/actions", method: .post, headers: headers, body: body)
            let replay = try await client.execute(uri: uri + "/actions", method: .post, headers: headers, body: body)
            #expect(first.status == .created && replay.status == .created)
            #expect(replay.headers[.location] == first.headers[.location])
            let entries = try await app.client.query("""
                SELECT action FROM audit_log WHERE resource_type = 'action' AND actor_id = \(world.officer.user.id) ORDER BY id
                """).map { try $0.decode(0, as: String.self) }
            #expect(entries == ["create", "read"])
            #expect(try await app.count("trajectory_actions") == 1)
        }
    }

    @Test func oneActionIsReadAloneWithTheETagItsUpdateNeeds() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            let (_, actionURI, addedETag) = try await world.addAction(client, to: uri)
            let read = try await client.execute(uri: actionURI, method: .get, headers: .bearer(world.officer.token))
            #expect(read.status == .ok)
            #expect(read.json["title"] as? String == "Workplace visit")
            let etag = try #require(read.headers[.eTag])
            #expect(etag == addedETag)
            let cached = try await client.execute(uri: actionURI, method: .get, headers: .bearer(world.officer.token, [.ifNoneMatch: etag]))
            #expect(cached.status == .notModified)
            let changed = try await client.execute(
                uri: actionURI, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["note": "Booked"]))
            #expect(changed.status == .ok, "\(changed.body.text)")
            let outsider = try await client.execute(uri: actionURI, method: .get, headers: .bearer(world.otherOfficer.token))
            expectProblem(outsider, .notFound, type: ProblemURN.resourceNotFound)
            #expect(try await world.audit(outcome: "denied", resource: "action") == 1)
            let unknown = try await client.execute(
                uri: uri + "/actions/\(UUID().uuidString.lowercased())", method: .get, headers: .bearer(world.officer.token))
            expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)
            let malformed = try await client.execute(uri: uri + "/actions/42", method: .get, headers: .bearer(world.officer.token))
            expectBadRequest(malformed, issue: ProblemURN.schemaViolation, in: "path", name: "actionId")
        }
    }

    @Test func whatTheFuzzerFoundIs400NamingTheInputAndWritesNothing() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, etag) = try await world.openCase(client)
            let token = world.officer.token
            // A NUL character: PostgreSQL cannot keep one in text.
            let nul = try await client.execute(
                uri: uri + "/actions", method: .post, headers: .json(token),
                body: ByteBuffer(string: #"{"title": "a\u0000b", "kind": "other", "owner": "employee"}"#))
            expectBadRequest(nul, issue: ProblemURN.schemaViolation, in: "body", name: "title")
            let nulInQuery = try await client.execute(uri: "/v1/employees?q=a%00b", method: .get, headers: .bearer(token))
            expectBadRequest(nulInQuery, issue: ProblemURN.schemaViolation, in: "query", name: "q")
            // An empty note is no note: the schema says so now, and the answer names it.
            let emptyNote = try await client.execute(
                uri: uri + "/actions", method: .post, headers: .json(token),
                body: .json(["title": "Call", "kind": "other", "owner": "employee", "note": ""]))
            expectBadRequest(emptyNote, issue: ProblemURN.schemaViolation, in: "body", name: "note")
            #expect(try await app.count("trajectory_actions") == 0)

            // A block reason one past its limit, and at it.
            let tooLong = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: etag]),
                body: .json(["blocked": ["reason": String(repeating: "x", count: BlockedFlag.maximumReasonLength + 1)]]))
            expectBadRequest(tooLong, issue: ProblemURN.schemaViolation, in: "body", name: "blocked.reason")
            let notABlock = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["blocked": ["reason": [String: Any]()]]))
            expectBadRequest(notABlock, issue: ProblemURN.schemaViolation, in: "body", name: "blocked")
            let notAnObject = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["blocked": 42]))
            expectBadRequest(notAnObject, issue: ProblemURN.schemaViolation, in: "body", name: "blocked")
            // In a merge patch only a top-level property can be removed; a consent flag cannot be.
            let nestedNull = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["consent": ["contactByExperienceExpert": NSNull()]]))
            expectBadRequest(nestedNull, issue: ProblemURN.schemaViolation, in: "body", name: "consent.contactByExperienceExpert")
            let unchanged = try await client.execute(uri: uri, method: .get, headers: .bearer(token))
            #expect(unchanged.headers[.eTag] == etag)
            let atLimit = try await client.execute(
                uri: uri, method: .patch, headers: .json(token, [.ifMatch: etag]),
                body: .json(["blocked": ["reason": String(repeating: "é", count: BlockedFlag.maximumReasonLength)]]))
            #expect(atLimit.status == .ok, "\(atLimit.body.text)")
            let current = try #require(atLimit.headers[.eTag])

            // A null where the schema has none: not "left out".
            let preferences = try await client.execute(
                uri: uri + "/contactPreferences", method: .put, headers: .json(token),
                body: .json(["channel": "phone", "everyDays": NSNull()]))
            expectBadRequest(preferences, issue: ProblemURN.schemaViolation, in: "body", name: "everyDays")
            #expect(try await app.count("contact_preferences") == 0)

            // The officer already responsible: a conflict with the data, not bad input.
            let same = try await client.execute(
                uri: uri + "/reassignment", method: .post, headers: .json(token, [.ifMatch: current]),
                body: .json(["officerId": world.officer.user.id.uuidString]))
            expectProblem(same, .conflict, type: ProblemURN.conflict)

            // Query values of the wrong type are named before the generated layer reads them.
            let notANumber = try await client.execute(uri: uri + "/timeline?pageSize=many", method: .get, headers: .bearer(token))
            expectBadRequest(notANumber, issue: ProblemURN.schemaViolation, in: "query", name: "pageSize")
        }
    }

    /// The generated layer reads header values URI-encoded: `%41` would become `A`, and a lone
    /// `%` an empty key. So a key is visible ASCII without `%`, up to 255 characters.
    @Test func anIdempotencyKeyIsVisibleASCIIUpTo255() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            let body = ByteBuffer.json(["title": "Call", "kind": "other", "owner": "employee"])
            let atLimit = try await client.execute(
                uri: uri + "/actions", method: .post,
                headers: .json(world.officer.token, [.idempotencyKey: String(repeating: "k", count: 255)]), body: body)
            #expect(atLimit.status == .created, "\(atLimit.body.text)")
            for key in [String(repeating: "k", count: 256), "100%", "%41", "clé"] {
                try await app.expectRefused(
                    .badRequest, type: ProblemURN.schemaViolation, issue: "Idempotency-Key", in: "header", unchanged: ["trajectory_actions"]
                ) {
                    try await client.execute(uri: uri + "/actions", method: .post, headers: .json(world.officer.token, [.idempotencyKey: key]), body: body)
                }
            }
        }
    }

    @Test func allowNamesTheMethodsOfTheMostSpecificPath() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/employees/import", method: .get, headers: .bearer(app.adminToken))
                expectProblem(response, .methodNotAllowed, type: "urn:problem-type:veerkracht:methodNotAllowed")
                #expect(response.headers[.allow] == "POST")
            }
        }
    }

    @Test func aLostDatabaseIsRetriedAfterASecond() {
        for error in [
            PostgresError(kind: .connectionClosed, message: "server closed the connection unexpectedly"),
            PostgresError(kind: .connectionFailed, message: "could not connect"),
            PostgresError(kind: .server, sqlState: .adminShutdown, severity: "FATAL", message: "terminating connection"),
        ] {
            let (problem, _) = Problem.from(error)
            #expect(problem.status == .serviceUnavailable)
            #expect(problem.headers[.retryAfter] == "1")
        }
    }
}
