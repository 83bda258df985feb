import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Entities")
struct EntityTests {
    @Test func createWithAParentThenGetIt() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let root = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-FIN", "name": "Finance"]))
                #expect(root.status == .created)
                let rootID = try #require(root.json["id"] as? String)
                #expect(UUID(uuidString: rootID) != nil)
                #expect(root.json["parentId"] == nil, "nulls are left out")
                let location = try #require(root.headers[.location])
                #expect(location == "/v1/entities/\(rootID)" || location.hasSuffix("/v1/entities/\(rootID)"))
                #expect(root.json["href"] as? String == location)
                let rootETag = try #require(root.headers[.eTag])

                let child = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "AG-TAX", "name": "Tax agency", "parentId": rootID]))
                #expect(child.status == .created)
                #expect(child.json["parentId"] as? String == rootID)
                #expect(child.json["code"] as? String == "AG-TAX")
                #expect(child.json["name"] as? String == "Tax agency")
                #expect(child.json["createdAt"] is String)

                let fetched = try await client.execute(uri: TestApp.relative(location), method: .get, headers: .bearer(app.adminToken))
                #expect(fetched.status == .ok)
                #expect(fetched.json["code"] as? String == "DEP-FIN")
                #expect(fetched.json["name"] as? String == "Finance")
                #expect(fetched.headers[.eTag] == rootETag)
                let unchanged = try await client.execute(
                    uri: TestApp.relative(location), method: .get, headers: .bearer(app.adminToken, [.ifNoneMatch: rootETag]))
                #expect(unchanged.status == .notModified)
                #expect(unchanged.body.readableBytes == 0)
                let stale = try await client.execute(
                    uri: TestApp.relative(location), method: .get, headers: .bearer(app.adminToken, [.ifNoneMatch: "\"other-1\""]))
                #expect(stale.status == .ok)
            }
        }
    }

    @Test func anEmptyListIsItemsEmptyWith200() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let response = try await client.execute(uri: "/v1/entities", method: .get, headers: .bearer(app.adminToken))
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let items = try #require(response.json["items"] as? [Any])
                #expect(items.isEmpty)
                #expect(response.json["next"] == nil)
                #expect(response.json["pageSize"] as? Int == 20)
                #expect(response.body.text.contains(#""items":[]"#))
            }
        }
    }

    @Test func listsPageByPageFollowingNext() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let root = try await app.createEntity(client, code: "DEP-A")
                let rootID = try #require(root.json["id"] as? String)
                var created: [String] = ["DEP-A"]
                for code in ["AG-C", "AG-B", "AG-D"] {
                    _ = try await app.createEntity(client, code: code, parent: rootID)
                    created.append(code)
                }
                _ = try await app.createEntity(client, code: "DEP-Z")
                created.append("DEP-Z")

                let first = try await client.execute(uri: "/v1/entities?pageSize=1", method: .get, headers: .bearer(app.adminToken))
                #expect(first.items.count == 1)
                #expect(first.json["pageSize"] as? Int == 1)
                let next = try #require(first.json["next"] as? String)
                #expect(next.hasPrefix("http://") || next.hasPrefix("https://"), "next is an absolute URL: \(next)")
                #expect(next.contains("pageSize=1"))

                let (items, pages) = try await app.collectAll(client, "/v1/entities?pageSize=1")
                #expect(pages == created.count, "one page per entity and none empty at the end")
                let codes = items.compactMap { $0["code"] as? String }
                #expect(codes == created.sorted(), "ordered by code, each exactly once")
                for item in items {
                    let href = try #require(item["href"] as? String)
                    #expect(href == "/v1/entities/\(item["id"] as? String ?? "?")")
                }
                let (children, _) = try await app.collectAll(client, "/v1/entities?pageSize=2&parent=\(rootID)")
                #expect(children.compactMap { $0["code"] as? String } == ["AG-B", "AG-C", "AG-D"])
                let (leafChildren, _) = try await app.collectAll(client, "/v1/entities?parent=\(UUID().uuidString.lowercased())")
                #expect(leafChildren.isEmpty)
                // Every authenticated user reads the tree.
                let (_, officer) = try await app.user("officer@example.org", roles: [.officer])
                let (asOfficer, _) = try await app.collectAll(client, "/v1/entities?pageSize=3", token: officer)
                #expect(asOfficer.count == created.count)
            }
        }
    }

    @Test func patchNeedsTheCurrentETag() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (entity, etag) = try await app.createEntity(client, code: "DEP-A", name: "Before")
                let uri = "/v1/entities/\(try #require(entity["id"] as? String))"
                let mergePatch: HTTPFields = [.authorization: "Bearer \(app.adminToken)", .contentType: "application/merge-patch+json"]

                let without = try await client.execute(uri: uri, method: .patch, headers: mergePatch, body: .json(["name": "After"]))
                expectProblem(without, .preconditionRequired, type: ProblemURN.preconditionRequired)

                var withETag = mergePatch
                withETag[.ifMatch] = etag
                let updated = try await client.execute(uri: uri, method: .patch, headers: withETag, body: .json(["name": "After"]))
                #expect(updated.status == .ok, "\(updated.body.text)")
                #expect(updated.json["name"] as? String == "After")
                #expect(updated.json["code"] as? String == "DEP-A")
                let newETag = try #require(updated.headers[.eTag])
                #expect(newETag != etag)

                // The old ETag is stale now.
                let stale = try await client.execute(uri: uri, method: .patch, headers: withETag, body: .json(["name": "Lost update"]))
                expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)
                let fetched = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                #expect(fetched.json["name"] as? String == "After")
                #expect(fetched.headers[.eTag] == newETag)

                // Plain JSON is accepted too.
                let plain = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: newETag]), body: .json(["name": "Plain"]))
                #expect(plain.status == .ok)
                #expect(plain.json["name"] as? String == "Plain")
            }
        }
    }

    @Test func patchValidatesAndKeepsTheName() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (entity, etag) = try await app.createEntity(client, code: "DEP-A", name: "Kept")
                let uri = "/v1/entities/\(try #require(entity["id"] as? String))"
                let nullName = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: ByteBuffer(string: #"{"name": null}"#))
                expectBadRequest(nullName, issue: ProblemURN.schemaViolation, in: "body", name: "name")
                let blank = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["name": "   "]))
                expectBadRequest(blank, issue: ProblemURN.schemaViolation, in: "body", name: "name")
                let code = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["code": "DEP-B"]))
                expectBadRequest(code, issue: ProblemURN.unknownInput, in: "body")
                let unknownParent = try await client.execute(
                    uri: uri, method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["parentId": UUID().uuidString]))
                expectBadRequest(unknownParent, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "parentId")
                let missing = try await client.execute(
                    uri: "/v1/entities/\(UUID())", method: .patch, headers: .json(app.adminToken, [.ifMatch: etag]), body: .json(["name": "X"]))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
                // None of these changed anything.
                let fetched = try await client.execute(uri: uri, method: .get, headers: .bearer(app.adminToken))
                #expect(fetched.json["name"] as? String == "Kept")
                #expect(fetched.json["code"] as? String == "DEP-A")
                #expect(fetched.headers[.eTag] == etag)
            }
        }
    }

    @Test func aNullParentMakesARootAndAMoveBelowItselfIs409() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let (top, topETag) = try await app.createEntity(client, code: "DEP-TOP")
                let topID = try #require(top["id"] as? String)
                let (middle, middleETag) = try await app.createEntity(client, code: "AG-MID", parent: topID)
                let middleID = try #require(middle["id"] as? String)
                let (bottom, _) = try await app.createEntity(client, code: "SVC-LOW", parent: middleID)
                let bottomID = try #require(bottom["id"] as? String)

                // The top below its own grandchild, or below itself: a cycle.
                for target in [bottomID, middleID, topID] {
                    let cycle = try await client.execute(
                        uri: "/v1/entities/\(topID)", method: .patch, headers: .json(app.adminToken, [.ifMatch: topETag]),
                        body: .json(["parentId": target]))
                    expectProblem(cycle, .conflict, type: ProblemURN.conflict)
                }
                let unchanged = try await client.execute(uri: "/v1/entities/\(topID)", method: .get, headers: .bearer(app.adminToken))
                #expect(unchanged.json["parentId"] == nil)
                #expect(unchanged.headers[.eTag] == topETag)

                // parentId: null through a merge patch makes the middle a root.
                let root = try await client.execute(
                    uri: "/v1/entities/\(middleID)", method: .patch,
                    headers: [.authorization: "Bearer \(app.adminToken)", .contentType: "application/merge-patch+json", .ifMatch: middleETag],
                    body: ByteBuffer(string: #"{"parentId": null}"#))
                #expect(root.status == .ok, "\(root.body.text)")
                #expect(root.json["parentId"] == nil)
                #expect(root.json["name"] as? String == "Entity AG-MID", "a merge patch leaves other properties alone")
                let (topChildren, _) = try await app.collectAll(client, "/v1/entities?parent=\(topID)")
                #expect(topChildren.isEmpty)

                // Now the top may go below the bottom, which is no longer below it.
                let moved = try await client.execute(
                    uri: "/v1/entities/\(topID)", method: .patch, headers: .json(app.adminToken, [.ifMatch: topETag]),
                    body: .json(["parentId": bottomID]))
                #expect(moved.status == .ok, "\(moved.body.text)")
                #expect(moved.json["parentId"] as? String == bottomID)
                // And the middle, an ancestor of the top again, may not go below it.
                let newMiddleETag = try #require(root.headers[.eTag])
                let cycle = try await client.execute(
                    uri: "/v1/entities/\(middleID)", method: .patch, headers: .json(app.adminToken, [.ifMatch: newMiddleETag]),
                    body: .json(["parentId": topID]))
                expectProblem(cycle, .conflict, type: ProblemURN.conflict)
            }
        }
    }

    @Test func createRefusesBadInputAndWritesNothing() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let unknownParent = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "DEP-A", "name": "A", "parentId": UUID().uuidString]))
                expectBadRequest(unknownParent, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "parentId")

                let twoBad = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "lower case", "name": " "]))
                let issues = expectBadRequest(twoBad, issue: ProblemURN.schemaViolation, in: "body", name: "code")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["code", "name"], "one issue per bad field: \(issues)")

                let notAUUID = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "DEP-A", "name": "A", "parentId": "xyz"]))
                expectBadRequest(notAUUID, issue: ProblemURN.schemaViolation, in: "body", name: "parentId")

                let missing = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-A"]))
                expectBadRequest(missing, issue: ProblemURN.schemaViolation, in: "body", name: "name")

                let count = try await app.count("entities")
                #expect(count == 0)

                _ = try await app.createEntity(client, code: "DEP-A")
                let duplicate = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(["code": "DEP-A", "name": "Other"]))
                expectProblem(duplicate, .conflict, type: ProblemURN.conflict)
                let after = try await app.count("entities")
                #expect(after == 1)
            }
        }
    }

    @Test func anIdempotentCreateAnswersTheFirstResponseAgain() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let key = UUID().uuidString
                let body = ["code": "DEP-A", "name": "A"]
                let first = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]), body: .json(body))
                #expect(first.status == .created)
                let again = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]), body: .json(body))
                #expect(again.status == .created)
                #expect(again.json["id"] as? String == first.json["id"] as? String)
                #expect(again.headers[.location] == first.headers[.location])
                #expect(again.headers[.eTag] == first.headers[.eTag])
                #expect(NSDictionary(dictionary: again.json) == NSDictionary(dictionary: first.json), "the same document (member order is free)")

                let other = try await client.execute(
                    uri: "/v1/entities", method: .post, headers: .json(app.adminToken, [.idempotencyKey: key]),
                    body: .json(["code": "DEP-B", "name": "B"]))
                expectProblem(other, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("entities")
                #expect(count == 1)

                // Without a key, the same body is a second create (and here a duplicate code).
                let unkeyed = try await client.execute(uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: .json(body))
                expectProblem(unkeyed, .conflict, type: ProblemURN.conflict)
            }
        }
    }

    @Test func onlyAdministratorsChangeTheTree() async throws {
        try await TestApp.with { app in
            let (_, token) = try await app.user("hr@example.org", roles: [.hr])
            try await app.test { client in
                let (entity, etag) = try await app.createEntity(client, code: "DEP-A", name: "A")
                let id = try #require(entity["id"] as? String)
                let patch = try await client.execute(
                    uri: "/v1/entities/\(id)", method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["name": "Mine"]))
                expectProblem(patch, .forbidden, type: ProblemURN.missingPermission)
                let get = try await client.execute(uri: "/v1/entities/\(id)", method: .get, headers: .bearer(token))
                #expect(get.status == .ok)
                #expect(get.json["name"] as? String == "A")
            }
        }
    }
}
