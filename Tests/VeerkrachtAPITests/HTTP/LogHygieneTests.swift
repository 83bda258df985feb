import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresTestSupport
import Testing
@testable import Veerkracht

/// Requests that fail in every way we know of, carrying a token and a personal value in
/// path, query and body: the log says what failed, never what was sent.
@Suite("Nothing secret or personal in the log")
struct LogHygieneTests {
    /// A national register number and a name: what must never reach a log.
    static let personal = "85.07.30-033.61"
    /// The same number as digits only: unreserved characters stay as they are in a path or
    /// query, so a logged path or query would hold exactly this.
    static let registerNumber = "85073003361"
    static let name = "Marijke Vandenbroucke"

    private func withLoggedScene(_ body: @Sendable (TestApp, any TestClientProtocol, ContactScene, LogCapture) async throws -> Void) async throws {
        let capture = LogCapture()
        try await TestApp.withContactScene(logger: Logger(label: "test") { _ in capture }) { app, client, scene in
            try await body(app, client, scene, capture)
        }
    }

    /// Every captured line, checked for the token (whole and its secret part) and the personal values.
    private func expectClean(_ capture: LogCapture, token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let secret = String(token.split(separator: "_").last ?? "")
        for line in capture.messages {
            #expect(!line.contains(token), "token in the log: \(line)", sourceLocation: sourceLocation)
            #expect(secret.count < 16 || !line.contains(secret), "token secret in the log: \(line)", sourceLocation: sourceLocation)
            #expect(!line.lowercased().contains("bearer"), "authorization in the log: \(line)", sourceLocation: sourceLocation)
            #expect(!line.contains(Self.personal), "personal value in the log: \(line)", sourceLocation: sourceLocation)
            #expect(!line.contains(Self.registerNumber), "personal value in the log: \(line)", sourceLocation: sourceLocation)
            #expect(!line.contains(Self.name), "a name in the log: \(line)", sourceLocation: sourceLocation)
        }
    }

    private func failures(_ capture: LogCapture) -> [String] {
        capture.messages.filter { $0.contains("request failed") }
    }

    private var contactBody: [String: Any] {
        ["occurredAt": ContactClock.at(0), "channel": "phone", "initiative": "employer", "madeBy": "officer",
         "summary": "Spoke with \(Self.name), \(Self.personal)"]
    }

    @Test func decodingFailuresLogNoInput() async throws {
        try await withLoggedScene { _, client, scene, capture in
            let token = scene.world.officerToken
            // A personal value where an id belongs, in a query value, and in a body that does not decode.
            let path = try await client.execute(uri: "/v1/trajectories/\(Self.registerNumber)", method: .get, headers: .bearer(token))
            expectProblem(path, .badRequest, type: ProblemURN.badRequest)
            let query = try await client.execute(uri: "/v1/contacts/due?horizon=\(Self.registerNumber)", method: .get, headers: .bearer(token))
            expectProblem(query, .badRequest, type: ProblemURN.badRequest)
            var body = contactBody
            body["occurredAt"] = Self.personal
            let decoding = try await client.execute(
                uri: scene.trajectory.contactMoments, method: .post, headers: .json(token), body: .json(body))
            expectBadRequest(decoding, issue: ProblemURN.schemaViolation, in: "body", name: "occurredAt")
            let json = try await client.execute(
                uri: scene.trajectory.contactMoments, method: .post, headers: .json(token), body: ByteBuffer(string: "{\"summary\": \"\(Self.name)"))
            expectProblem(json, .badRequest, type: ProblemURN.badRequest)
            #expect(capture.messages.filter { $0.contains("request") }.count >= 4, "each request has its access-log line")
            expectClean(capture, token: token)
        }
    }

    @Test func databaseFailuresLogTheirCodesOnly() async throws {
        try await withLoggedScene { app, client, scene, capture in
            let token = scene.world.officerToken
            // The table the write needs is gone: an SQL error under a request full of personal data.
            try await app.asOwner { owner in try await owner.query("ALTER TABLE contact_moments RENAME TO contact_moments_gone") }
            let response = try await client.execute(
                uri: scene.trajectory.contactMoments + "?pageSize=5", method: .get, headers: .bearer(token, [.init("X-Note")!: Self.name]))
            expectProblem(response, .internalServerError, type: "urn:problem-type:belgif:internalServerError")
            let write = try await client.execute(
                uri: scene.trajectory.contactMoments, method: .post, headers: .json(token), body: .json(contactBody))
            expectProblem(write, .internalServerError, type: "urn:problem-type:belgif:internalServerError")
            let logged = failures(capture)
            #expect(logged.count == 2, "\(capture.messages)")
            for line in logged {
                #expect(line.contains("42P01"), "the log says which SQL error: \(line)")
                #expect(line.contains("operationId"), "and which operation: \(line)")
            }
            expectClean(capture, token: token)
        }
    }

    @Test func internalFailuresLogTheErrorTypeOnly() async throws {
        try await withLoggedScene { app, client, scene, capture in
            let token = scene.world.officerToken
            // A column the server cannot decode any more: an internal error, not a database one.
            try await app.asOwner { owner in
                try await owner.query("ALTER TABLE employees ALTER COLUMN given_name TYPE bytea USING convert_to(given_name, 'UTF8')")
                try await owner.query("UPDATE employees SET given_name = convert_to(\(Self.name), 'UTF8')")
            }
            let response = try await client.execute(
                uri: "/v1/employees/\(scene.trajectory.employeeID.uuidString.lowercased())", method: .get, headers: .bearer(token))
            expectProblem(response, .internalServerError, type: "urn:problem-type:belgif:internalServerError")
            #expect(!response.body.text.contains(Self.name))
            let logged = failures(capture)
            #expect(logged.count == 1, "\(capture.messages)")
            #expect(logged.first?.contains("errorType") == true)
            expectClean(capture, token: token)
        }
    }
}
