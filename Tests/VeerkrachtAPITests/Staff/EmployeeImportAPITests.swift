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

    /// Saved by Excel (nl-BE) as "CSV UTF-8": `;`, a byte order mark, CRLF, and a bare LF where a
    /// cell has a line break (Alt+Enter). `{{entityId}}` stands for the entity.
    private static let excelExport = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/excel-nl-BE.csv")

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

    @Test func anExcelExportWithSemicolonsABOMAndCRLFIsReadAsExcelWroteIt() async throws {
        let bytes = try [UInt8](Data(contentsOf: Self.excelExport))
        // The fixture is still what Excel wrote, not what an editor or Git made of it.
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(zip(bytes, bytes.dropFirst()).filter { $0 == (0x0D, 0x0A) }.count == 5)
        #expect(bytes.filter { $0 == 0x0A }.count == 6)
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let text = String(decoding: bytes, as: UTF8.self).replacing("{{entityId}}", with: world.service)
                // A job title has no line breaks: the cell is refused on the line its record starts on.
                let refused = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                let issues = expectBadRequest(refused, issue: ProblemURN.schemaViolation, in: "body", name: "line 4: jobTitle")
                #expect(issues.compactMap { $0["name"] as? String } == ["line 4: jobTitle"])
                let none = try await app.count("employees")
                #expect(none == 0)

                let oneLine = text.replacing("onthaal\nLoket", with: "onthaal, loket")
                let response = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: oneLine))
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.json["created"] as? Int == 4)
                let all = try await app.collectAll(client, "/v1/employees", token: world.officer.token).items
                let byNumber = Dictionary(uniqueKeysWithValues: all.map { ($0["personnelNumber"] as! String, $0) })
                let names = byNumber.mapValues { "\($0["givenName"] as? String ?? "") \($0["familyName"] as? String ?? "")" }
                #expect(names == ["P-0001": "Jürgen Müller", "P-0002": "Émilie Dubois-Léonard", "P-0003": "Noël Van den Broeck", "P-0004": "Ayşe Çelik"])
                #expect(byNumber["P-0002"]?["jobTitle"] as? String == "Conseillère RH; mobilité")
                #expect(byNumber["P-0002"]?["weeklyHours"] as? Double == 19.5, "a decimal comma, as Excel writes it here")
                #expect(byNumber["P-0003"]?["jobTitle"] as? String == "Medewerker onthaal, loket; Brussel")
                #expect(byNumber["P-0004"]?["jobTitle"] as? String == "Analist \"data\"")
                #expect(byNumber["P-0004"]?["workEmail"] as? String == "ayse.celik@example.be")
                #expect(byNumber["P-0002"]?["managerId"] as? String == byNumber["P-0001"]?["id"] as? String)
                #expect(byNumber["P-0004"]?["managerId"] as? String == byNumber["P-0002"]?["id"] as? String)
            }
        }
    }

    @Test func theHeaderLineDecidesTheSeparatorUnlessTheDelimiterParameterSays() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let header = "personnelNumber;givenName;familyName;entityId;weeklyHours"
                let text = "\(header)\r\nP1;An;Claes;\(world.service);38\r\n"
                let asComma = try await client.execute(
                    uri: "/v1/employees/import?delimiter=comma", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                expectBadRequest(asComma, issue: ProblemURN.unknownInput, in: "body", name: "line 1: \(header)")
                let unknown = try await client.execute(
                    uri: "/v1/employees/import?delimiter=tab", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                expectBadRequest(unknown, issue: ProblemURN.schemaViolation, in: "query", name: "delimiter")
                let none = try await app.count("employees")
                #expect(none == 0)

                let asSemicolon = try await client.execute(
                    uri: "/v1/employees/import?delimiter=semicolon", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: text))
                #expect(asSemicolon.status == .ok, "\(asSemicolon.body.text)")
                // Without the parameter only the header counts: a `;` in a value of a comma file is text.
                let commas = "personnelNumber,givenName,familyName,entityId,weeklyHours,jobTitle\nP2,Bo,Aerts,\(world.service),38,Adviseur; HR\n"
                let detected = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(string: commas))
                #expect(detected.status == .ok, "\(detected.body.text)")
                let all = try await app.collectAll(client, "/v1/employees", token: world.officer.token).items
                #expect(Set(all.compactMap { $0["personnelNumber"] as? String }) == ["P1", "P2"])
                #expect(all.first { $0["personnelNumber"] as? String == "P2" }?["jobTitle"] as? String == "Adviseur; HR")
            }
        }
    }

    @Test func aWindows1252ExportIsRefusedNamingItsFirstLineThatIsNotUTF8() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                // Excel's plain "CSV" in Belgium: É and é are the single bytes 0xC9 and 0xE9.
                let bytes = Array("personnelNumber;givenName;familyName;entityId;weeklyHours\r\nP1;An;Claes;\(world.service);38\r\nP2;".utf8)
                    + [0xC9] + Array("milie;Dubois-L".utf8) + [0xE9] + Array("onard;\(world.service);19\r\n".utf8)
                let response = try await client.execute(
                    uri: "/v1/employees/import", method: .post, headers: csv(world.officer.token), body: ByteBuffer(bytes: bytes))
                let issues = expectBadRequest(response, issue: ProblemURN.schemaViolation, in: "body", name: "line 3")
                #expect(issues.count == 1)
                #expect((issues.first?["detail"] as? String)?.contains("UTF-8") == true, "\(issues)")
                let count = try await app.count("employees")
                #expect(count == 0)
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

    /// LF, CR only (old Mac Excel) and CRLF, the same inside quotes as between records.
    @Test(arguments: ["\n", "\r", "\r\n"])
    func oneBadCSVRowWritesNothingAndIssuesNameTheLines(lineEnd: String) async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let text = "personnelNumber,givenName,familyName,entityId,weeklyHours,jobTitle\(lineEnd)"
                    // A line break inside quotes: the record spans lines 2 and 3 (and a job title has no line breaks).
                    + "P1,An,Claes,\(world.service),38,\"Two\(lineEnd)lines\"\(lineEnd)"
                    + "P2,Bo,Aerts,\(world.service),lots,\(lineEnd)"
                    + "P3,Cor,Maes,\(world.service)\(lineEnd)"
                    + "P1,Dirk,Peeters,\(world.service),38,\(lineEnd)"
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
                expectBadRequest(notUTF8, issue: ProblemURN.schemaViolation, in: "body", name: "line 1")
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
                // Naming the separator the header uses reads the same rows: the same request.
                let named = try await client.execute(
                    uri: "/v1/employees/import?delimiter=comma", method: .post, headers: headers, body: ByteBuffer(string: text))
                #expect(named.status == .ok && named.json["created"] as? Int == 1, "\(named.body.text)")
                let count = try await app.count("employees")
                #expect(count == 1)
            }
        }
    }
}
