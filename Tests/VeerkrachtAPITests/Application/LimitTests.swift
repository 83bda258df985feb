import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

/// Every limit the API states, at its maximum (accepted) and one past it (refused, nothing written).
@Suite("Limits at both edges, through the API")
struct LimitTests {
    @Test func anImportTakesAtMost5000Rows() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                func rows(_ count: Int) -> ByteBuffer {
                    var text = "personnelNumber;givenName;familyName;entityId;weeklyHours\r\n"
                    for index in 0..<count { text += "P\(index);Zoë;Müller;\(world.service);38\r\n" }
                    return ByteBuffer(string: text)
                }
                let headers: HTTPFields = [.authorization: "Bearer \(world.officer.token)", .contentType: "text/csv"]
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "line \(EmployeeImport.maximumRows + 2)",
                                            unchanged: ["employees"]) {
                    try await client.execute(uri: "/v1/employees/import", method: .post, headers: headers, body: rows(EmployeeImport.maximumRows + 1))
                }
                let atLimit = try await client.execute(uri: "/v1/employees/import", method: .post, headers: headers, body: rows(EmployeeImport.maximumRows))
                #expect(atLimit.status == .created || atLimit.status == .ok, "\(atLimit.body.text.prefix(300))")
                #expect(try await app.count("employees") == EmployeeImport.maximumRows)
            }
        }
    }

    @Test func aStatusChangeReasonTakes2000Characters() async throws {
        try await CaseWorld.with { app, client, world in
            let (uri, _) = try await world.openCase(client)
            for status in ["planning", "active"] {
                _ = try await client.execute(uri: uri + "/statusChanges", method: .post,
                                             headers: .json(world.officer.token, [.ifMatch: try await currentETag(client, uri, world)]),
                                             body: .json(["status": status]))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.invalidInput, issue: "reason", in: "body", unchanged: ["trajectories"]) {
                try await client.execute(
                    uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: try await currentETag(client, uri, world)]),
                    body: .json(["status": "onHold", "reason": String(repeating: "é", count: TrajectoryStatusChange.maximumReasonLength + 1)]))
            }
            let atLimit = try await client.execute(
                uri: uri + "/statusChanges", method: .post, headers: .json(world.officer.token, [.ifMatch: try await currentETag(client, uri, world)]),
                body: .json(["status": "onHold", "reason": String(repeating: "é", count: TrajectoryStatusChange.maximumReasonLength)]))
            #expect(atLimit.status == .ok, "\(atLimit.body.text.prefix(300))")
        }
    }

    private func currentETag(_ client: any TestClientProtocol, _ uri: String, _ world: CaseWorld) async throws -> String {
        try #require(try await client.execute(uri: uri, method: .get, headers: .bearer(world.officer.token)).headers[.eTag])
    }

    @Test func anEmailAddressTakes254Characters() async throws {
        try await TestApp.with { app in
            try await app.test { client in
                let domain = "@example.org"
                let longest = String(repeating: "a", count: 254 - domain.count) + domain
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "email", in: "body", unchanged: ["users"]) {
                    try await client.execute(uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                                             body: .json(["email": "a" + longest, "displayName": "Long", "roles": ["auditor"]]))
                }
                let created = try await client.execute(uri: "/v1/users", method: .post, headers: .json(app.adminToken),
                                                       body: .json(["email": longest, "displayName": "Long", "roles": ["auditor"]]))
                #expect(created.status == .created, "\(created.body.text)")
                #expect(created.json["email"] as? String == longest)
            }
        }
    }

    @Test func aBodyOfExactlyTheLimitIsReadAndOneByteMoreIs413() async throws {
        let limit = 512
        try await TestApp.with(maximumBodySize: limit) { app in
            try await app.test { client in
                func body(_ size: Int) -> ByteBuffer {
                    let empty = #"{"code": "DEP-A", "name": ""}"#
                    let name = String(repeating: "n", count: size - empty.utf8.count)
                    let text = #"{"code": "DEP-A", "name": "\#(name)"}"#
                    precondition(text.utf8.count == size)
                    return ByteBuffer(string: text)
                }
                try await app.expectRefused(.contentTooLarge, type: ProblemURN.payloadTooLarge, unchanged: ["entities"]) {
                    try await client.execute(uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: body(limit + 1))
                }
                // Exactly the limit is read, and then judged on its content: a name over 100 characters.
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "name", in: "body", unchanged: ["entities"]) {
                    try await client.execute(uri: "/v1/entities", method: .post, headers: .json(app.adminToken), body: body(limit))
                }
            }
        }
    }

    @Test func contactMomentLimits() async throws {
        try await TestApp.withContactScene { app, client, scene in
            let token = scene.world.officerToken
            func contact(_ changes: [String: Any]) -> ByteBuffer {
                var body: [String: Any] = [
                    "occurredAt": ContactClock.at(0, hour: 9), "channel": "phone", "initiative": "employer", "madeBy": "officer", "summary": "A call",
                ]
                body.merge(changes) { $1 }
                return .json(body)
            }
            let post = { (body: ByteBuffer) in
                try await client.execute(uri: scene.trajectory.contactMoments, method: .post, headers: .json(token), body: body)
            }
            let skew = ContactClock.now.addingTimeInterval(ContactMoment.allowedClockSkew)
            let encoder = RFC3339DateTranscoder()
            try await app.expectRefused(.badRequest, type: ProblemURN.invalidInput, issue: "occurredAt", in: "body", unchanged: ["contact_moments"]) {
                try await post(contact(["occurredAt": try encoder.encode(skew.addingTimeInterval(1))]))
            }
            for wellbeing in [0, 6] {
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "wellbeing", in: "body", unchanged: ["contact_moments"]) {
                    try await post(contact(["wellbeing": wellbeing]))
                }
            }
            let combined = String(repeating: "u\u{308}", count: ContactMoment.maximumSummaryLength / 2)
            for summary in [String(repeating: "ü", count: ContactMoment.maximumSummaryLength + 1), combined + "x"] {
                try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, issue: "summary", in: "body", unchanged: ["contact_moments"]) {
                    try await post(contact(["summary": summary]))
                }
            }
            var accepted = 0
            for changes: [String: Any] in [
                ["occurredAt": try encoder.encode(skew)], ["wellbeing": 1], ["wellbeing": 5],
                ["summary": String(repeating: "ü", count: ContactMoment.maximumSummaryLength)], ["summary": combined],
            ] {
                let response = try await post(contact(changes))
                #expect(response.status == .created, "\(changes.keys): \(response.body.text.prefix(300))")
                accepted += 1
            }
            #expect(try await app.count("contact_moments") == accepted)
        }
    }
}
