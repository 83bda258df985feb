import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Staff: employees")
struct EmployeeAPITests {
    @Test func addThenGetWithETagAndNotModified() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let body: [String: Any] = [
                    "personnelNumber": "P000123", "givenName": "Anne-Marie", "familyName": "De Smet", "workEmail": "am.desmet@example.be",
                    "entityId": world.service, "jobTitle": "Payroll clerk", "grade": "B1", "weeklyHours": 30.4,
                ]
                let response = try await client.execute(uri: "/v1/employees", method: .post, headers: .json(world.hr.token), body: .json(body))
                #expect(response.status == .created, "\(response.body.text)")
                let id = try #require(response.json["id"] as? String)
                let location = try #require(response.headers[.location])
                #expect(location.hasSuffix("/v1/employees/\(id)"))
                #expect(response.json["href"] as? String == "/v1/employees/\(id)")
                let etag = try #require(response.headers[.eTag])
                #expect(response.json["weeklyHours"] as? Double == 30.4)
                #expect(response.json["active"] as? Bool == true)
                #expect(response.json["managerId"] == nil, "nulls are left out")
                #expect(response.json["entityId"] as? String == world.service)

                let fetched = try await client.execute(uri: "/v1/employees/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(fetched.status == .ok)
                #expect(fetched.headers[.eTag] == etag)
                #expect(fetched.json["familyName"] as? String == "De Smet")
                #expect(fetched.json["workEmail"] as? String == "am.desmet@example.be")
                let notModified = try await client.execute(
                    uri: "/v1/employees/\(id)", method: .get, headers: .bearer(world.officer.token, [.ifNoneMatch: etag]))
                #expect(notModified.status == .notModified)
                let auditRows = try await app.count("audit_log")
                #expect(auditRows == 0, "employees are not case data")
            }
        }
    }

    @Test func anIdempotentReplayReturnsTheFirstAnswerAndAnotherBodyIs422() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let body: [String: Any] = ["personnelNumber": "P1", "givenName": "Jan", "familyName": "Peeters", "entityId": world.service, "weeklyHours": 38]
                let headers = HTTPFields.json(world.officer.token, [.idempotencyKey: "add-jan"])
                let first = try await client.execute(uri: "/v1/employees", method: .post, headers: headers, body: .json(body))
                let again = try await client.execute(uri: "/v1/employees", method: .post, headers: headers, body: .json(body))
                #expect(first.status == .created)
                #expect(again.status == .created)
                #expect(again.headers[.location] == first.headers[.location])
                #expect(again.headers[.eTag] == first.headers[.eTag])
                #expect(again.json["id"] as? String == first.json["id"] as? String)
                var other = body
                other["givenName"] = "Piet"
                let reused = try await client.execute(uri: "/v1/employees", method: .post, headers: headers, body: .json(other))
                expectProblem(reused, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("employees")
                #expect(count == 1)
            }
        }
    }

    @Test func badInputListsEveryFieldAndWritesNothing() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let response = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json([
                        "personnelNumber": "P 1", "givenName": " ", "familyName": "Peeters", "workEmail": "not-an-address",
                        "entityId": world.agency, "weeklyHours": 0, "managerId": "nope",
                    ]))
                let issues = expectBadRequest(response, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "entityId")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["personnelNumber", "givenName", "workEmail", "weeklyHours", "entityId", "managerId"])
                let unknownProperty = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json(["personnelNumber": "P1", "givenName": "A", "familyName": "B", "entityId": world.service, "weeklyHours": 38, "diagnosis": "x"]))
                expectBadRequest(unknownProperty, issue: ProblemURN.unknownInput, in: "body")
                let hiddenManager = try await world.employee(client, "X1", entity: world.agency, token: world.outsider.token)
                let managerOutOfScope = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json(["personnelNumber": "P2", "givenName": "A", "familyName": "B", "entityId": world.service, "weeklyHours": 38,
                                 "managerId": hiddenManager.json["id"] as! String]))
                expectBadRequest(managerOutOfScope, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "managerId")
                let count = try await app.count("employees")
                #expect(count == 1, "only the agency's employee")
            }
        }
    }

    @Test func aTakenPersonnelNumberOrWorkEmailIs409() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                _ = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json(["personnelNumber": "P1", "givenName": "A", "familyName": "B", "entityId": world.service, "weeklyHours": 38,
                                 "workEmail": "a.b@example.be"]))
                // Out of scope for the agency's officer, but a personnel number is unique in the deployment.
                let sameNumber = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.outsider.token),
                    body: .json(["personnelNumber": "P1", "givenName": "C", "familyName": "D", "entityId": world.agency, "weeklyHours": 38]))
                let numberProblem = expectProblem(sameNumber, .conflict, type: ProblemURN.conflict)
                #expect((numberProblem["detail"] as? String)?.contains("personnel number") == true)
                let sameEmail = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json(["personnelNumber": "P2", "givenName": "C", "familyName": "D", "entityId": world.service, "weeklyHours": 38,
                                 "workEmail": "A.B@EXAMPLE.BE"]))
                expectProblem(sameEmail, .conflict, type: ProblemURN.conflict)
                let count = try await app.count("employees")
                #expect(count == 1)
            }
        }
    }

    @Test func outOfScopeIs404AndOtherRolesAre403() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let (employee, etag) = try await world.employee(client, "P1")
                let id = try #require(employee["id"] as? String)
                for token in [world.outsider.token, world.auditor.token, app.adminToken] {
                    let get = try await client.execute(uri: "/v1/employees/\(id)", method: .get, headers: .bearer(token))
                    expectProblem(get, .notFound, type: ProblemURN.resourceNotFound)
                    let patch = try await client.execute(
                        uri: "/v1/employees/\(id)", method: .patch, headers: .json(token, [.ifMatch: etag]), body: .json(["grade": "A1"]))
                    expectProblem(patch, .notFound, type: ProblemURN.resourceNotFound)
                }
                let unknown = try await client.execute(uri: "/v1/employees/\(UUID())", method: .get, headers: .bearer(world.officer.token))
                expectProblem(unknown, .notFound, type: ProblemURN.resourceNotFound)
                for token in [world.auditor.token, app.adminToken] {
                    let list = try await client.execute(uri: "/v1/employees", method: .get, headers: .bearer(token))
                    expectProblem(list, .forbidden, type: ProblemURN.missingPermission)
                    let create = try await client.execute(
                        uri: "/v1/employees", method: .post, headers: .json(token),
                        body: .json(["personnelNumber": "P9", "givenName": "A", "familyName": "B", "entityId": world.service, "weeklyHours": 38]))
                    expectProblem(create, .forbidden, type: ProblemURN.missingPermission)
                }
                let outsiderList = try await client.execute(uri: "/v1/employees", method: .get, headers: .bearer(world.outsider.token))
                #expect(outsiderList.status == .ok)
                #expect(outsiderList.items.isEmpty)
                let count = try await app.count("employees")
                #expect(count == 1)
            }
        }
    }

    @Test func theListIsSortedByNameFilteredInScopeAndPaged() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let boss = try await world.employee(client, "B1", family: "Aerts", given: "Bo", entity: world.department)
                let bossID = try #require(boss.json["id"] as? String)
                let names = [("Peeters", "Jan"), ("Peeters", "An"), ("Claes", "Zoë"), ("peeters", "Eva"), ("Maes", "Tom")]
                for (index, (family, given)) in names.enumerated() {
                    _ = try await world.employee(client, "P\(index)", family: family, given: given, manager: index < 2 ? bossID : nil)
                }
                _ = try await world.employee(client, "X1", family: "Aa", entity: world.agency, token: world.outsider.token)

                let (all, pages) = try await app.collectAll(client, "/v1/employees?pageSize=2", token: world.officer.token)
                #expect(pages == 3)
                let listed = all.map { "\($0["familyName"] as! String) \($0["givenName"] as! String)" }
                #expect(listed.count == 6, "the agency's employee is not listed: \(listed)")
                #expect(listed.first == "Aerts Bo")
                #expect(Set(listed) == Set(["Aerts Bo"] + names.map { "\($0.0) \($0.1)" }))
                let peeters = listed.filter { $0.hasPrefix("Peeters") }
                #expect(peeters == ["Peeters An", "Peeters Jan"], "given name breaks a tie")

                let inService = try await app.collectAll(client, "/v1/employees?entity=\(world.service)", token: world.officer.token).items
                #expect(inService.count == 5)
                let managed = try await app.collectAll(client, "/v1/employees?manager=\(bossID)", token: world.officer.token).items
                #expect(Set(managed.compactMap { $0["personnelNumber"] as? String }) == ["P0", "P1"])
                let byName = try await app.collectAll(client, "/v1/employees?q=PEE", token: world.officer.token).items
                #expect(byName.count == 3, "family names starting with pee, in any case")
                let byNumber = try await app.collectAll(client, "/v1/employees?q=b1", token: world.officer.token).items
                #expect(byNumber.compactMap { $0["personnelNumber"] as? String } == ["B1"])
                let wildcard = try await app.collectAll(client, "/v1/employees?q=%25", token: world.officer.token).items
                #expect(wildcard.isEmpty, "% is a character, not a wildcard")
                let active = try await app.collectAll(client, "/v1/employees?active=false", token: world.officer.token).items
                #expect(active.isEmpty)
                let byHR = try await app.collectAll(client, "/v1/employees", token: world.hr.token).items
                #expect(byHR.count == 6)

                let badFilter = try await client.execute(uri: "/v1/employees?entity=nope&pageSize=0", method: .get, headers: .bearer(world.officer.token))
                let issues = expectBadRequest(badFilter, issue: ProblemURN.schemaViolation, in: "query", name: "entity")
                #expect(issues.count == 2)
            }
        }
    }

    @Test func patchNeedsIfMatchAndChangesWhatItNames() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let created = try await client.execute(
                    uri: "/v1/employees", method: .post, headers: .json(world.officer.token),
                    body: .json(["personnelNumber": "P1", "givenName": "Jan", "familyName": "Peeters", "entityId": world.service,
                                 "weeklyHours": 38, "jobTitle": "Clerk", "grade": "C1"]))
                let id = try #require(created.json["id"] as? String)
                let etag = try #require(created.headers[.eTag])
                let uri = "/v1/employees/\(id)"

                let missing = try await client.execute(uri: uri, method: .patch, headers: .json(world.hr.token), body: .json(["grade": "B2"]))
                expectProblem(missing, .preconditionRequired, type: ProblemURN.preconditionRequired)
                let stale = try await client.execute(uri: uri, method: .patch, headers: .json(world.hr.token, [.ifMatch: "\"other-1\""]), body: .json(["grade": "B2"]))
                expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)

                var headers = HTTPFields.json(world.hr.token, [.ifMatch: etag])
                headers[.contentType] = "application/merge-patch+json"
                let changed = try await client.execute(
                    uri: uri, method: .patch, headers: headers,
                    body: .json(["grade": "B2", "jobTitle": NSNull(), "weeklyHours": 19, "entityId": world.department, "active": false]))
                #expect(changed.status == .ok, "\(changed.body.text)")
                #expect(changed.json["grade"] as? String == "B2")
                #expect(changed.json["jobTitle"] == nil)
                #expect(changed.json["weeklyHours"] as? Double == 19)
                #expect(changed.json["entityId"] as? String == world.department)
                #expect(changed.json["active"] as? Bool == false)
                #expect(changed.json["givenName"] as? String == "Jan")
                let newETag = try #require(changed.headers[.eTag])
                #expect(newETag != etag)
                let again = try await client.execute(uri: uri, method: .patch, headers: .json(world.hr.token, [.ifMatch: etag]), body: .json(["grade": "A1"]))
                expectProblem(again, .preconditionFailed, type: ProblemURN.preconditionFailed)

                let bad = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.hr.token, [.ifMatch: newETag]),
                    body: .json(["givenName": NSNull(), "weeklyHours": 61, "entityId": world.agency, "managerId": id]))
                let issues = expectBadRequest(bad, issue: ProblemURN.invalidInput, in: "body", name: "managerId")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["givenName", "weeklyHours", "entityId", "managerId"])
                let unchanged = try await client.execute(uri: uri, method: .get, headers: .bearer(world.hr.token))
                #expect(unchanged.headers[.eTag] == newETag)
            }
        }
    }

    @Test func aManagerCycleIsRefusedAndAManagerCanBeRemoved() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let top = try await world.employee(client, "P1")
                let topID = try #require(top.json["id"] as? String)
                let middle = try await world.employee(client, "P2", manager: topID)
                let middleID = try #require(middle.json["id"] as? String)
                let bottom = try await world.employee(client, "P3", manager: middleID)
                let bottomID = try #require(bottom.json["id"] as? String)

                let cycle = try await client.execute(
                    uri: "/v1/employees/\(topID)", method: .patch, headers: .json(world.officer.token, [.ifMatch: top.etag]),
                    body: .json(["managerId": bottomID]))
                let problem = expectProblem(cycle, .conflict, type: ProblemURN.conflict)
                #expect((problem["detail"] as? String)?.contains("reports") == true)

                let removed = try await client.execute(
                    uri: "/v1/employees/\(middleID)", method: .patch, headers: .json(world.officer.token, [.ifMatch: middle.etag]),
                    body: .json(["managerId": NSNull()]))
                #expect(removed.status == .ok)
                #expect(removed.json["managerId"] == nil)
                let nowAllowed = try await client.execute(
                    uri: "/v1/employees/\(topID)", method: .patch, headers: .json(world.officer.token, [.ifMatch: top.etag]),
                    body: .json(["managerId": bottomID]))
                #expect(nowAllowed.status == .ok, "\(nowAllowed.body.text)")
                #expect(nowAllowed.json["managerId"] as? String == bottomID)
            }
        }
    }
}
