import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Staff: employee import")
struct EmployeeImportAPITests {
    private func csv(_ token: String, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields = HTTPFields.bearer(token, extra)
        fields[.contentType] = "text/csv"
        return fields
    }

    @Test func aJSONBatchIsAddedWithManagersFromTheBatchAndExistingStaff() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let boss = try await world.employee(client, "BOSS", entity: world.department)
                let rows: [[String: Any]] = [
                    ["personnelNumber": "P2", "givenName": "An", "familyName": "Claes", "entityId": world.service, "weeklyHours": 38, "managerPersonnelNumber": "P1"],
                    ["personnelNumber": "P1", "givenName": "Bo", "familyName": "Aerts", "entityId": world.department, "weeklyHours": 36,
                     "managerPersonnelNumber": "BOSS", "workEmail": "bo@example.be", "jobTitle": "Head of payroll", "grade": "A2"],
                    ["personnelNumber": "P3", "givenName": "Cor", "familyName": "Maes", "entityId": world.service, "weeklyHours": 19, "active": false],
                ]
                let response = try await client.execute(uri: "/v1/employees/import", method: .post, headers: .json(world.hr.token), body: .json(rows))
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.json["created"] as? Int == 3)

                let all = try await app.collectAll(client, "/v1/employees", token: world.officer.token).items
                let byNumber = Dictionary(uniqueKeysWithValues: all.map { ($0["personnelNumber"] as! String, $0) })
                #expect(byNumber.count == 4)
                #expect(byNumber["P2"]?["managerId"] as? String == byNumber["P1"]?["id"] as? String)
                #expect(byNumber["P1"]?["managerId"] as? String == boss.json["id"] as? String)
                #expect(byNumber["P1"]?["workEmail"] as? String == "bo@example.be")
                #expect(byNumber["P3"]?["active"] as? Bool == false)
                #expect(byNumber["P3"]?["weeklyHours"] as? Double == 19)
            }
        }
    }

    @Test func aCSVBatchWithQuotesLineBreaksCRLFAndABOMIsAdded() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let text = "\u{FEFF}personnelNumber,familyName,givenName,entityId,weeklyHours,jobTitle,managerPersonnelNumber,active\r\n"
                    + "P1,\"Van den Broeck, jr.\",\"Jan \"\"Johnny\"\"\",\(world.service),38,\"Lead, payroll\",,\r\n"
                    + "P2,Janssens,Els,\(world.service),30.5,,P1,FALSE\r\n"
                let response = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.json["created"] as? Int == 2)
                let all = try await app.collectAll(client, "/v1/employees", token: world.officer.token).items
                let first = try #require(all.first { $0["personnelNumber"] as? String == "P1" })
                #expect(first["familyName"] as? String == "Van den Broeck, jr.")
                #expect(first["givenName"] as? String == "Jan \"Johnny\"")
                let second = try #require(all.first { $0["personnelNumber"] as? String == "P2" })
                #expect(second["managerId"] as? String == first["id"] as? String)
                #expect(second["active"] as? Bool == false)
                #expect(second["weeklyHours"] as? Double == 30.5)
            }
        }
    }

    @Test func oneBadJSONRowWritesNothingAndEveryBadRowIsListed() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                _ = try await world.employee(client, "TAKEN")
                let good: [String: Any] = ["personnelNumber": "P1", "givenName": "An", "familyName": "Claes", "entityId": world.service, "weeklyHours": 38]
                var rows = [good]
                rows.append(["personnelNumber": "P 2", "givenName": "Bo", "familyName": "Aerts", "entityId": world.service, "weeklyHours": 61])
                rows.append(["personnelNumber": "TAKEN", "givenName": "Cor", "familyName": "Maes", "entityId": world.agency, "weeklyHours": 38])
                rows.append(["personnelNumber": "P1", "givenName": "Dirk", "familyName": "Aerts", "entityId": world.service, "weeklyHours": 38,
                             "managerPersonnelNumber": "NOBODY"])
                rows.append(good.merging(["personnelNumber": "P5", "managerPersonnelNumber": "P6"]) { $1 })
                rows.append(good.merging(["personnelNumber": "P6", "managerPersonnelNumber": "P5"]) { $1 })
                let response = try await client.execute(uri: "/v1/employees/import", method: .post, headers: .json(world.officer.token), body: .json(rows))
                let issues = expectBadRequest(response, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "[2].entityId")
                #expect(issues.compactMap { $0["name"] as? String } == [
                    "[1].personnelNumber", "[1].weeklyHours",
                    "[2].entityId", "[2].personnelNumber",
                    "[3].personnelNumber", "[3].managerPersonnelNumber",
                    "[4].managerPersonnelNumber", "[5].managerPersonnelNumber",
                ])
                let count = try await app.count("employees")
                #expect(count == 1, "nothing of the batch was written")
            }
        }
    }

    @Test func oneBadCSVRowWritesNothingAndIssuesNameTheLines() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let text = "personnelNumber,givenName,familyName,entityId,weeklyHours,jobTitle\n"
                    // A line break inside quotes: the record spans lines 2 and 3 (and a job title has no line breaks).
                    + "P1,An,Claes,\(world.service),38,\"Two\nlines\"\n"
                    + "P2,Bo,Aerts,\(world.service),lots,\n"
                    + "P3,Cor,Maes,\(world.service)\n"
                    + "P1,Dirk,Peeters,\(world.service),38,\n"
                let response = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "body", name: "line 4: weeklyHours")
                #expect(issues.compactMap { $0["name"] as? String } == ["line 2: jobTitle", "line 4: weeklyHours", "line 5", "line 6: personnelNumber"])
                #expect((issues.last?["detail"] as? String)?.contains("line 2") == true)
                let count = try await app.count("employees")
                #expect(count == 0)
            }
        }
    }

    @Test func unreadableCSVIsRefusedWithItsLine() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let cases: [(String, String)] = [
                    ("personnelNumber,givenName\nP1,\"open\nP2,x\n", "line 2"),
                    ("personnelNumber,givenName,familyName,entityId,weeklyHours,nickname\n", "line 1: nickname"),
                    ("", "line 1"),
                    ("personnelNumber,givenName,familyName,entityId,weeklyHours\n", ""),
                ]
                for (text, name) in cases {
                    let response = try await client.execute(
                        uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                    expectProblem(response, .badRequest, type: ProblemURN.badRequest)
                    #expect(response.issues.first?["name"] as? String == name, "\(text): \(response.body.text)")
                }
                let notUTF8 = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(bytes: [0x50, 0xFF, 0x0A]))
                expectProblem(notUTF8, .badRequest, type: ProblemURN.badRequest)
                let count = try await app.count("employees")
                #expect(count == 0)
            }
        }
    }

    @Test func moreThanTheRowLimitIsRefused() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                var text = "personnelNumber,givenName,familyName,entityId,weeklyHours\n"
                for index in 0...EmployeeImport.maximumRows { text += "P\(index),A,B,\(world.service),38\n" }
                let response = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                expectProblem(response, .badRequest, type: ProblemURN.badRequest)
                #expect(response.issues.first?["name"] as? String == "line \(EmployeeImport.maximumRows + 2)")
                let count = try await app.count("employees")
                #expect(count == 0)
            }
        }
    }

    @Test func otherRolesAre403AndOtherMediaTypes415() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let rows: [[String: Any]] = [["personnelNumber": "P1", "givenName": "A", "familyName": "B", "entityId": world.service, "weeklyHours": 38]]
                let auditor = try await client.execute(uri: "/v1/employees/import", method: .post, headers: .json(world.auditor.token), body: .json(rows))
                expectProblem(auditor, .forbidden, type: ProblemURN.missingPermission)
                var plain = HTTPFields.bearer(world.officer.token)
                plain[.contentType] = "text/plain"
                let wrongType = try await client.execute(uri: "/v1/employees/import", method: .post, headers: plain, body: ByteBuffer(string: "x"))
                expectProblem(wrongType, .unsupportedMediaType, type: ProblemURN.unsupportedMediaType)
                // An entity of another officer's scope is simply unknown.
                let outsider = try await client.execute(uri: "/v1/employees/import", method: .post, headers: .json(world.outsider.token), body: .json(rows))
                expectBadRequest(outsider, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "[0].entityId")
                let count = try await app.count("employees")
                #expect(count == 0)
            }
        }
    }

    @Test func anImportIsIdempotent() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let text = "personnelNumber,givenName,familyName,entityId,weeklyHours\nP1,A,B,\(world.service),38\n"
                let headers = csv(world.officer.token, [.idempotencyKey: "nightly-2025-03-01"])
                let first = try await client.execute(uri: "/v1/employees/import", method: .post, headers: headers, body: ByteBuffer(string: text))
                let again = try await client.execute(uri: "/v1/employees/import", method: .post, headers: headers, body: ByteBuffer(string: text))
                #expect(first.status == .ok && again.status == .ok)
                #expect(again.json["created"] as? Int == 1)
                let other = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: headers, body: ByteBuffer(string: text + "P2,C,D,\(world.service),38\n"))
                expectProblem(other, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let count = try await app.count("employees")
                #expect(count == 1)
            }
        }
    }
}
