import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Prometheus
import Testing
@testable import Veerkracht

@Suite("Process templates")
struct ProcessTemplateAPITests {
    static let templates = RepositoryFolder.sql.appendingPathComponent("templates")
    let logger = Logger(label: "test")

    @Test func listAndGetForAnyAuthenticatedUser() async throws {
        try await DeadlineWorld.with { world in
            try await world.app.test { client in
                let (items, pages) = try await world.app.collectAll(client, "/v1/processTemplates?pageSize=2", token: world.hrToken)
                #expect(pages == 2)
                #expect(items.map { $0["id"] as? String } == ["active-presence", "be-reintegration-2022", "nl-wet-verbetering-poortwachter"])

                let response = try await client.execute(
                    uri: "/v1/processTemplates/be-reintegration-2022", method: .get, headers: .bearer(world.app.adminToken))
                #expect(response.status == .ok, "\(response.body.text)")
                #expect(response.json["href"] as? String == "/v1/processTemplates/be-reintegration-2022")
                #expect(response.json["jurisdiction"] as? String == "BE")
                #expect(response.json["loadedAt"] is String)
                let milestones = try #require(response.json["milestones"] as? [[String: Any]])
                #expect(milestones.count == 7)
                let assessment = try #require(milestones.first { $0["code"] as? String == "reintegrationAssessment" })
                #expect(assessment["trigger"] as? String == "requestReceived")
                #expect(assessment["metBy"] as? String == "assessmentDone")
                let offset = try #require(assessment["offset"] as? [String: Any])
                #expect(offset["amount"] as? Int == 49 && offset["unit"] as? String == "days")
                #expect(assessment["responsible"] as? String == "occupationalPhysician")
                #expect(assessment["parameter"] as? Bool == true)
                let source = try #require(assessment["source"] as? [String: String])
                #expect(source["url"]?.hasPrefix("https://") == true && source["law"]?.isEmpty == false)
                #expect((assessment["label"] as? [String: String])?.keys.sorted() == ["de", "en", "fr", "nl"])
                let policy = try #require(response.json["contactPolicy"] as? [String: Any])
                #expect(policy["firstContactWithinDays"] as? Int == 7)

                let etag = try #require(response.headers[.eTag])
                let same = try await client.execute(
                    uri: "/v1/processTemplates/be-reintegration-2022", method: .get, headers: .bearer(world.officerToken, [.ifNoneMatch: etag]))
                #expect(same.status == .notModified)
                let french = try await client.execute(
                    uri: "/v1/processTemplates/be-reintegration-2022", method: .get,
                    headers: .bearer(world.officerToken, [.acceptLanguage: "fr-BE, nl;q=0.9", .ifNoneMatch: etag]))
                #expect(french.status == .ok, "another language is another representation")
                #expect(french.headers[.contentLanguage] == "fr")
                #expect(french.headers[.eTag] != etag)
                #expect(french.json["name"] as? [String: String] == ["fr": "Trajet de réintégration (Belgique, depuis le 1er octobre 2022)"])

                let missing = try await client.execute(uri: "/v1/processTemplates/no-such-template", method: .get, headers: .bearer(world.hrToken))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
                let malformed = try await client.execute(uri: "/v1/processTemplates/BE_2022", method: .get, headers: .bearer(world.hrToken))
                expectBadRequest(malformed, issue: ProblemURN.schemaViolation, in: "path", name: "templateId")
                let anonymous = try await client.execute(uri: "/v1/processTemplates", method: .get)
                expectProblem(anonymous, .unauthorized, type: ProblemURN.noAccessToken)
            }
        }
    }

    @Test func loadingAgainChangesNothingAndAChangedFileReplacesItsTemplate() async throws {
        try await TestApp.with { app in
            let loaded = try await ProcessTemplateStore().load(from: Self.templates, into: app.client, logger: logger)
            #expect(loaded.count == 3)
            let before = try await rows(app.client)
            try await ProcessTemplateStore().load(from: Self.templates, into: app.client, logger: logger)
            let again = try await rows(app.client)
            #expect(again == before, "the same files write nothing")

            // A reformatted file with one changed label: only that template is replaced.
            let folder = try copyOfTheTemplates()
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("active-presence.json")
            var template = try ProcessTemplate.decode(from: try Data(contentsOf: file), name: "active-presence.json")
            template.milestones[0].label.en = "Review after three months"
            try JSONEncoder().encode(template).write(to: file)
            try await ProcessTemplateStore().load(from: folder, into: app.client, logger: logger)
            let changed = try await rows(app.client)
            #expect(changed["be-reintegration-2022"] == before["be-reintegration-2022"])
            #expect(changed["active-presence"]?.checksum != before["active-presence"]?.checksum)
            let stored = try await app.client.withConnection { try await ProcessTemplateStore().template(id: "active-presence", on: $0) }
            #expect(stored?.template.milestones[0].label.en == "Review after three months")
        }
    }

    @Test func anInvalidTemplateStopsTheLoadBeforeAnythingIsWritten() async throws {
        try await TestApp.with { app in
            let folder = try copyOfTheTemplates()
            defer { try? FileManager.default.removeItem(at: folder) }
            let broken = folder.appendingPathComponent("nl-wet-verbetering-poortwachter.json")
            let text = try String(contentsOf: broken, encoding: .utf8)
                .replacingOccurrences(of: #""offset": { "weeks": 6 }"#, with: #""offset": { "weeks": 6, "days": 2 }"#)
                .replacingOccurrences(of: #""jurisdiction": "NL""#, with: #""jurisdiction": "Netherlands""#)
            try text.write(to: broken, atomically: true, encoding: .utf8)
            let error = await #expect(throws: ProcessTemplateError.self) {
                try await ProcessTemplateStore().load(from: folder, into: app.client, logger: logger)
            }
            #expect(error?.template == "nl-wet-verbetering-poortwachter.json")
            #expect(error?.description.contains("milestones[0].offset") == true, "\(error?.description ?? "")")
            let count = try await app.count("process_templates")
            #expect(count == 0)

            // A file whose content is fine but whose checks fail names every problem.
            try String(contentsOf: Self.templates.appendingPathComponent("nl-wet-verbetering-poortwachter.json"), encoding: .utf8)
                .replacingOccurrences(of: #""jurisdiction": "NL""#, with: #""jurisdiction": "Netherlands""#)
                .replacingOccurrences(of: #""trigger": "absenceStart""#, with: #""trigger": "absence1Start""#)
                .write(to: broken, atomically: true, encoding: .utf8)
            let problems = await #expect(throws: ProcessTemplateError.self) {
                try await ProcessTemplateStore().load(from: folder, into: app.client, logger: logger)
            }
            #expect(problems?.template == "nl-wet-verbetering-poortwachter.json")
            #expect(problems?.problems.first?.contains("jurisdiction") == true, "\(problems?.problems ?? [])")
            #expect(problems?.problems.dropFirst().allSatisfy { $0.contains("letters only") } == true, "\(problems?.problems ?? [])")

            let missing = await #expect(throws: ProcessTemplateError.self) {
                try await ProcessTemplateStore().load(from: folder.appendingPathComponent("nowhere"), into: app.client, logger: logger)
            }
            #expect(missing?.description.contains("cannot be read") == true)
        }
    }

    @Test func theServerDoesNotStartWithAnInvalidTemplate() async throws {
        let database = try await MigratedDatabase.make()
        let folder = try copyOfTheTemplates()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let sql = folder.deletingLastPathComponent()
        try FileManager.default.createSymbolicLink(at: sql.appendingPathComponent("migrations"), withDestinationURL: RepositoryFolder.migrations)
        try #"{"id": "half-a-template"}"#.write(to: folder.appendingPathComponent("half-a-template.json"), atomically: true, encoding: .utf8)
        let configuration = Configuration(databaseURL: try ServerProcessTests.databaseURL(for: database), sqlDirectory: sql)
        let error = await #expect(throws: ProcessTemplateError.self) {
            _ = try await buildApplication(configuration, metrics: PrometheusCollectorRegistry(), logger: logger)
        }
        #expect(error?.template == "half-a-template.json")
        #expect(error?.description.contains("missing name") == true, "\(error?.description ?? "")")
        let count = try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
            try await client.query("SELECT count(*) FROM process_templates")[0].decode(0, as: Int.self)
        }
        #expect(count == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func migrateLoadsTheTemplatesAndSweepReportsWhatItMarked() async throws {
        let database = try await TestDatabase.makeDatabase()
        let url = try ServerProcessTests.databaseURL(for: database)
        let migrated = try await run(["migrate"], databaseURL: url)
        #expect(migrated.status == 0, "\(migrated.output)")
        let ids = try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
            try await client.query("SELECT id FROM process_templates ORDER BY id").map { try $0.decode(0, as: String.self) }
        }
        #expect(ids == ["active-presence", "be-reintegration-2022", "nl-wet-verbetering-poortwachter"])

        // One overdue deadline, seeded as the trajectory feature would open its case.
        try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
            try await client.withTransaction { connection in
                let user = try await IdentityStore().createUser(
                    email: "olivia@example.org", displayName: "Olivia", roles: [.officer], entityIDs: [], on: connection)
                let entity = try await IdentityStore().createEntity(code: "DEP-A", name: "A", parentID: nil, on: connection)
                let trajectory = try await connection.query("""
                    WITH employee AS (
                        INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours)
                        VALUES ('P1', 'Eva', 'Peeters', \(entity.id), 38) RETURNING id)
                    INSERT INTO trajectories (reference, employee_id, entity_id, officer_id, goal, template_id)
                    SELECT 'VK-2024-000001', id, \(entity.id), \(user.id), 'undetermined', 'active-presence' FROM employee
                    RETURNING id
                    """)[0].decode(0, as: UUID.self)
                try await DeadlineStore().createDeadlines(
                    trajectoryID: trajectory, templateID: "active-presence", absenceStart: day("2020-01-06"),
                    openedOn: day("2020-01-10"), actor: user.id, on: connection)
            }
        }
        let swept = try await run(["sweep"], databaseURL: url)
        #expect(swept.status == 0, "\(swept.output)")
        #expect(swept.output.contains("marked 1 deadline missed"), "\(swept.output)")
        let again = try await run(["sweep"], databaseURL: url)
        #expect(again.output.contains("marked 0 deadlines missed"), "\(again.output)")
    }

    // MARK: - Helpers

    private func rows(_ client: PostgresClient) async throws -> [String: Row] {
        let rows = try await client.query("SELECT id, checksum, loaded_at FROM process_templates")
        return Dictionary(uniqueKeysWithValues: try rows.map { row in
            let (id, checksum, loadedAt) = try row.decode((String, Data, Date).self)
            return (id, Row(checksum: checksum, loadedAt: loadedAt))
        })
    }

    private struct Row: Equatable {
        var checksum: Data
        var loadedAt: Date
    }

    /// `<temp>/sql-…/templates` holding copies of the shipped templates.
    private func copyOfTheTemplates() throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sql-\(UUID().uuidString)").appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(at: Self.templates, includingPropertiesForKeys: nil) {
            try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
        }
        return folder
    }

    /// Runs the `veerkracht` executable to its end with the test database configured.
    private func run(_ arguments: [String], databaseURL: String) async throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("veerkracht-\(UUID()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = try ServerProcessTests.executable()
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VEERKRACHT_") }
        environment["VEERKRACHT_DATABASE_URL"] = databaseURL
        environment["VEERKRACHT_SQL_DIR"] = RepositoryFolder.sql.path
        environment["VEERKRACHT_LOG_LEVEL"] = "warning"
        process.environment = environment
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let status = try await process.runUntilExit()
        try output.close()
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
