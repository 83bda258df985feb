import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Users")
struct UserTests {
    @Test func createAnswers201WithLocationAndETag() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (entity, _) = try await app.createEntity(client, code: "DEP-HR", name: "Human resources")
                let entityID = try #require(entity["id"] as? String)
                let response = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                    body: .json(["email": "Olga.Officer@Example.org", "displayName": "Olga", "roles": ["officer", "hr"], "entityIds": [entityID]]))
                #expect(response.status == .created, "\(response.body.text)")
                let id = try #require(response.json["id"] as? String)
                let location = try #require(response.headers[.location])
                #expect(location.hasSuffix("/v1/users/\(id)"))
                #expect(response.json["href"] as? String == "/v1/users/\(id)")
                let etag = try #require(response.headers[.eTag])
                #expect(response.json["email"] as? String == "Olga.Officer@Example.org")
                #expect(response.json["displayName"] as? String == "Olga")
                #expect(Set(response.json["roles"] as? [String] ?? []) == ["officer", "hr"])
                #expect(response.json["active"] as? Bool == true)
                let entities = response.json["entities"] as? [[String: Any]] ?? []
                #expect(entities.count == 1)
                #expect(entities.first?["id"] as? String == entityID)
                #expect(entities.first?["code"] as? String == "DEP-HR")
                #expect(entities.first?["href"] as? String == "/v1/entities/\(entityID)")

                let fetched = try await client.execute(uri: TestApp.relative(location), method: .get, headers: .bearer(app.adminToken))
                #expect(fetched.status == .ok)
                #expect(fetched.headers[.eTag] == etag)
                #expect(fetched.json["email"] as? String == "Olga.Officer@Example.org")
                let notModified = try await client.execute(uri: TestApp.relative(location), method: .get, headers: .bearer(app.adminToken, [.ifNoneMatch: etag]))
                #expect(notModified.status == .notModified)
                let missing = try await client.execute(uri: "/v1/users/\(UUID())", method: .get, headers: .bearer(app.adminToken))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
            }
        }
    }

    @Test func aDuplicateEmailIs409WhateverItsCase() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                _ = try await app.createUser(client, email: "sam@example.org", roles: ["hr"])
                for email in ["sam@example.org", "SAM@EXAMPLE.ORG", "Sam@Example.Org", "admin@EXAMPLE.org"] {
                    let response = try await client.execute(
                        uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                        body: .json(["email": email, "displayName": "Another", "roles": ["officer"]]))
                    expectProblem(response, .conflict, type: ProblemURN.conflict)
                }
                let count = try await app.count("users")
                #expect(count == 2)
            }
        }
    }

    @Test func anUnknownEntityIs400AndNothingIsWritten() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (entity, _) = try await app.createEntity(client, code: "DEP-A")
                let known = try #require(entity["id"] as? String)
                let unknown = UUID().uuidString.lowercased()
                let response = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                    body: .json(["email": "new@example.org", "displayName": "New", "roles": ["officer"], "entityIds": [known, unknown]]))
                let issues = expectBadRequest(response, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "entityIds[1]")
                #expect(issues.count == 1, "only the unknown one: \(issues)")
                let users = try await app.count("users")
                let links = try await app.count("user_entities")
                #expect(users == 1)
                #expect(links == 0)
                let (all, _) = try await app.collectAll(client, "/v1/users")
                #expect(all.compactMap { $0["email"] as? String } == ["admin@example.org"])
            }
        }
    }

    @Test func invalidInputListsOneIssuePerField() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                    body: .json(["email": "not-an-address", "displayName": "  ", "roles": ["admin"], "entityIds": ["nope"]]))
                let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "body", name: "email")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["email", "displayName", "entityIds[0]"], "\(issues)")
                let badRole = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                    body: .json(["email": "x@example.org", "displayName": "X", "roles": ["superuser"]]))
                expectBadRequest(badRole, issue: ProblemURN.schemaViolation, in: "body")
                let noRoles = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken), body: .json(["email": "x@example.org", "displayName": "X"]))
                expectBadRequest(noRoles, issue: ProblemURN.schemaViolation, in: "body", name: "roles")
                let count = try await app.count("users")
                #expect(count == 1)
            }
        }
    }

    @Test func listFiltersCombineWithAndAndRepeatedValuesWithOr() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (a, _) = try await app.createEntity(client, code: "DEP-A")
                let (b, _) = try await app.createEntity(client, code: "DEP-B")
                let entityA = try #require(a["id"] as? String)
                let entityB = try #require(b["id"] as? String)
                _ = try await app.createUser(client, email: "hr.a@example.org", roles: ["hr"], entityIDs: [entityA])
                _ = try await app.createUser(client, email: "officer.a@example.org", roles: ["officer"], entityIDs: [entityA])
                _ = try await app.createUser(client, email: "officer.b@example.org", roles: ["officer"], entityIDs: [entityB])
                let (panel, panelETag) = try await app.createUser(client, email: "panel.ab@example.org", roles: ["panel", "hr"], entityIDs: [entityA, entityB])
                let panelID = try #require(panel["id"] as? String)
                let deactivated = try await client.execute(
                    uri: "/v1/users/\(panelID)", method: .patch, headers: .json(app.adminToken, [.ifMatch: panelETag]), body: .json(["active": false]))
                try #require(deactivated.status == .ok)

                func emails(_ query: String) async throws -> [String] {
                    let (items, _) = try await app.collectAll(client, "/v1/users?pageSize=1" + query)
                    for item in items { #expect(item["href"] as? String == "/v1/users/\(item["id"] as? String ?? "?")") }
                    return items.compactMap { $0["email"] as? String }
                }
                let all = try await emails("")
                #expect(all == ["admin@example.org", "hr.a@example.org", "officer.a@example.org", "officer.b@example.org", "panel.ab@example.org"])
                let officers = try await emails("&role=officer")
                #expect(officers == ["officer.a@example.org", "officer.b@example.org"])
                let officersOrHR = try await emails("&role=officer&role=hr")
                #expect(officersOrHR == ["hr.a@example.org", "officer.a@example.org", "officer.b@example.org", "panel.ab@example.org"])
                let inA = try await emails("&entity=\(entityA)")
                #expect(inA == ["hr.a@example.org", "officer.a@example.org", "panel.ab@example.org"])
                let hrInB = try await emails("&entity=\(entityB)&role=hr")
                #expect(hrInB == ["panel.ab@example.org"])
                let activeHRInB = try await emails("&entity=\(entityB)&role=hr&active=true")
                #expect(activeHRInB == [])
                let inactive = try await emails("&active=false")
                #expect(inactive == ["panel.ab@example.org"])
                let activeInA = try await emails("&active=true&entity=\(entityA)")
                #expect(activeInA == ["hr.a@example.org", "officer.a@example.org"])
                let auditors = try await emails("&role=auditor")
                #expect(auditors == [])

                let badRole = try await client.execute(uri: "/v1/users?role=wizard", method: .get, headers: .bearer(app.adminToken))
                #expect(badRole.status == .badRequest)
                expectProblem(badRole, .badRequest, type: ProblemURN.badRequest)
                let badEntity = try await client.execute(uri: "/v1/users?entity=42", method: .get, headers: .bearer(app.adminToken))
                expectBadRequest(badEntity, issue: ProblemURN.schemaViolation, in: "query", name: "entity")
            }
        }
    }

    @Test func paginationKeepsTheFiltersInNext() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                for index in 0..<5 {
                    _ = try await app.createUser(client, email: "officer\(index)@example.org", roles: ["officer"])
                    _ = try await app.createUser(client, email: "hr\(index)@example.org", roles: ["hr"])
                }
                let first = try await client.execute(uri: "/v1/users?role=hr&pageSize=2", method: .get, headers: .bearer(app.adminToken))
                let next = try #require(first.json["next"] as? String)
                #expect(next.contains("role=hr"))
                let (items, pages) = try await app.collectAll(client, "/v1/users?role=hr&pageSize=2")
                #expect(pages == 3)
                #expect(items.compactMap { $0["email"] as? String } == (0..<5).map { "hr\($0)@example.org" })
            }
        }
    }

    @Test func patchReplacesRolesAndEntitiesWithIfMatch() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (a, _) = try await app.createEntity(client, code: "DEP-A")
                let (b, _) = try await app.createEntity(client, code: "DEP-B")
                let entityA = try #require(a["id"] as? String)
                let entityB = try #require(b["id"] as? String)
                let (user, etag) = try await app.createUser(client, email: "u@example.org", roles: ["officer", "hr"], entityIDs: [entityA])
                let uri = "/v1/users/\(try #require(user["id"] as? String))"

                let without = try await client.execute(uri: uri, method: .patch, headers: .json(app.adminToken), body: .json(["roles": ["panel"]]))
                expectProblem(without, .preconditionRequired, type: ProblemURN.preconditionRequired)

                let patched = try await client.execute(
                    uri: uri, method: .patch,
                    headers: [.authorization: "Bearer \(app.adminToken)", .contentType: "application/merge-patch+json", .ifMatch: etag],
                    body: .json(["roles": ["panel"], "entityIds": [entityB], "displayName": "Renamed"]))
                #expect(patched.status == .ok, "\(patched.body.text)")
                #expect(patched.json["roles"] as? [String] == ["panel"])
                #expect((patched.json["entities"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [entityB])
                #expect(patched.json["displayName"] as? String == "Renamed")
                #expect(patched.json["email"] as? String == "u@example.org")
                let newETag = try #require(patched.headers[.eTag])
                #expect(newETag != etag)

                let stale = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["displayName": "Lost"]))
                expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)

                let email = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: newETag]), body: .json(["email": "other@example.org"]))
                expectBadRequest(email, issue: ProblemURN.unknownInput, in: "body")
                let nullRoles = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: newETag]), body: ByteBuffer(string: #"{"roles": null}"#))
                expectBadRequest(nullRoles, issue: ProblemURN.schemaViolation, in: "body", name: "roles")
                let unknownEntity = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: newETag]),
                    body: .json(["entityIds": [UUID().uuidString.lowercased()]]))
                expectBadRequest(unknownEntity, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "entityIds[0]")

                let fetched = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                #expect(fetched.headers[.eTag] == newETag)
                #expect(fetched.json["displayName"] as? String == "Renamed")
                #expect((fetched.json["entities"] as? [[String: Any]])?.count == 1)
            }
        }
    }

    @Test func deactivatingAUserStopsTheirTokenAtOnce() async throws {
        try await TestApp.with { app in
            let (user, token) = try await app.user("leaving@example.org", roles: [.officer])
            try await app.test { client in
                let before = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(before.status == .ok)
                let uri = "/v1/users/\(user.id.uuidString.lowercased())"
                let current = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                let etag = try #require(current.headers[.eTag])
                let deactivated = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["active": false]))
                #expect(deactivated.status == .ok)
                #expect(deactivated.json["active"] as? Bool == false)

                let after = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                expectProblem(after, .unauthorized, type: ProblemURN.invalidAccessToken)
                #expect(after.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

                // Reactivated, the same token works again.
                let reactivated = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: try #require(deactivated.headers[.eTag])]),
                    body: .json(["active": true]))
                #expect(reactivated.status == .ok)
                let again = try await client.execute(uri: "/v1/me", method: .get, headers: .bearer(token))
                #expect(again.status == .ok)
            }
        }
    }

    @Test func theLastActiveAdministratorStays() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let uri = "/v1/users/\(app.admin.id.uuidString.lowercased())"
                let current = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                let etag = try #require(current.headers[.eTag])
                let demote = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["roles": ["auditor"]]))
                expectProblem(demote, .conflict, type: ProblemURN.conflict)
                let deactivate = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["active": false]))
                expectProblem(deactivate, .conflict, type: ProblemURN.conflict)
                let still = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                #expect(still.headers[.eTag] == etag)
                #expect(still.json["roles"] as? [String] == ["admin"])
                #expect(still.json["active"] as? Bool == true)

                // An inactive second administrator does not count.
                let (other, otherETag) = try await app.createUser(client, email: "second.admin@example.org", roles: ["admin"])
                let otherURI = "/v1/users/\(try #require(other["id"] as? String))"
                let otherOff = try await client.execute(
                    uri: otherURI, method: .patch, headers: .json(app.adminToken, [.ifMatch: otherETag]), body: .json(["active": false]))
                #expect(otherOff.status == .ok)
                let stillRefused = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["roles": ["auditor"]]))
                expectProblem(stillRefused, .conflict, type: ProblemURN.conflict)

                // With another active administrator, the first may step down.
                let otherOn = try await client.execute(
                    uri: otherURI, method: .patch, headers: .json(app.adminToken, [.ifMatch: try #require(otherOff.headers[.eTag])]),
                    body: .json(["active": true]))
                #expect(otherOn.status == .ok)
                let stepDown = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["roles": ["auditor", "admin"]]))
                #expect(stepDown.status == .ok, "keeping admin among other roles is no demotion")
                let demoted = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: try #require(stepDown.headers[.eTag])]),
                    body: .json(["roles": ["auditor"]]))
                #expect(demoted.status == .ok, "\(demoted.body.text)")
                #expect(demoted.json["roles"] as? [String] == ["auditor"])
                // The former administrator's token now lacks the permission.
                let refused = try await client.execute(uri: "/v1/users", method: .get, headers: .bearer(app.adminToken))
                expectProblem(refused, .forbidden, type: ProblemURN.missingPermission)
            }
        }
    }

    @Test func anIdempotentCreateAnswersTheFirstResponseAgain() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let key = "create-user-\(UUID())"
                let body: [String: Any] = ["email": "once@example.org", "displayName": "Once", "roles": ["officer"]]
                let first = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]), body: .json(body))
                #expect(first.status == .created)
                let again = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]), body: .json(body))
                #expect(again.status == .created, "a replay, not a 409 for the taken address: \(again.body.text)")
                #expect(again.json["id"] as? String == first.json["id"] as? String)
                #expect(again.headers[.location] == first.headers[.location])
                #expect(again.headers[.eTag] == first.headers[.eTag])

                var changed = body
                changed["displayName"] = "Twice"
                let other = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]), body: .json(changed))
                expectProblem(other, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("users")
                #expect(count == 2)

                // The key belongs to the operation too: the same key on another create is reused.
                let entity = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]),
                    body: .json(["code": "DEP-A", "name": "A"]))
                expectProblem(entity, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let entities = try await app.count("entities")
                #expect(entities == 0)

                // Another user's key space is their own.
                let (_, otherAdmin) = try await app.user("other.admin@example.org", roles: [.admin])
                let theirs = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(otherAdmin, [.idempotencyKey: key]),
                    body: .json(["email": "theirs@example.org", "displayName": "Theirs", "roles": ["hr"]]))
                #expect(theirs.status == .created)
                #expect(theirs.json["id"] as? String != first.json["id"] as? String)

                let tooLong = try await client.execute(
                    uri: "/v1/users", method: .post, headers: .json(app.adminToken, [.idempotencyKey: String(repeating: "k", count: 256)]),
                    body: .json(["email": "long@example.org", "displayName": "Long", "roles": ["hr"]]))
                expectBadRequest(tooLong, issue: ProblemURN.schemaViolation, in: "header")
                let total = try await app.count("users")
                #expect(total == 4)
            }
        }
    }
}
