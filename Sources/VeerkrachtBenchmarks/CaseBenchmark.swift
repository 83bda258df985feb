import ArgumentParser
import Foundation
import PostgresLibPQ

/// An officer's day on a realistic data set, through the release server under wrk: the
/// daily work list, one trajectory, and recording contact moments, next to `pgbench -S` on
/// the same PostgreSQL server.
struct CaseBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cases",
        abstract: "The due list, one trajectory and new contact moments on 40,000 staff (wrk) vs pgbench -S.")

    @OptionGroup var options: ServerBenchmarkOptions

    @Option(help: "Staff members.")
    var staff: Int = 40_000

    @Option(help: "Entities the staff work in.")
    var entities: Int = 30

    @Option(help: "Trajectories, open and closed.")
    var trajectories: Int = 6_000

    @Option(help: "Open trajectories among them.")
    var openTrajectories: Int = 2_500

    @Option(help: "Open trajectories of the measured officer.")
    var officerCases: Int = 150

    @Option(help: "Contact moments per trajectory already recorded.")
    var contactsPerTrajectory: Int = 10

    static let maximumDueListP99Milliseconds = 25.0
    static let minimumReadRatio = 0.3
    static let minimumContactsPerSecond = 1500.0

    func validate() throws {
        guard entities > 0, trajectories >= openTrajectories, openTrajectories >= officerCases, officerCases > 0, contactsPerTrajectory >= 0,
            staff >= max(openTrajectories, staff * 7 / 100) + trajectories - openTrajectories
        else {
            throw ValidationError("need trajectories ≥ open trajectories ≥ officer cases > 0, and staff for the absent and the closed cases")
        }
    }

    func run() async throws {
        let server = try BenchmarkServer(url: options.databaseURL)
        let wrk = try HTTPBenchmark.executable("wrk", hint: "scripts/setup.sh --bench (or apt-get install -y wrk)")
        let database = try await server.freshDatabase(named: "bench_cases")
        try server.pgbench(["-i", "-q", "-s", "10"], database: database)

        let ((results, generated), stopped) = try await ReleaseServer.serving(options, server: server, database: database, name: "cases") { release in
            let owner = PostgresClient(configuration: .init(connection: server.configuration(database: database), maximumConnections: 1), logger: .init(label: "bench"))
            try await owner.query("INSERT INTO entities (code, name) VALUES ('BENCH', 'Benchmark employer')")
            try release.command(["users", "create", "--email", "bench@example.org", "--name", "Bench Officer", "--role", "officer", "--entity", "BENCH"])
            let token = try release.token(for: "bench@example.org")
            let started = ContinuousClock.now
            try await generate(on: owner)
            let generated = ContinuousClock.now - started
            let caseIDs = try await owner.query("""
                SELECT t.id FROM trajectories t JOIN users u ON u.id = t.officer_id
                WHERE u.email = 'bench@example.org' AND t.status <> 'closed' ORDER BY t.id
                """).map { try $0.decode(0, as: UUID.self).uuidString.lowercased() }
            await owner.close()

            let due = "/v1/contacts/due?officer=me&horizon=7d"
            let read = "/v1/trajectories/\(caseIDs[0])"
            for path in [due, read] { try release.expectOK(path, token: token) }
            let script = try Self.contactScript(caseIDs: caseIDs)
            defer { try? FileManager.default.removeItem(at: script) }
            let results = [
                ("GET due list (\(caseIDs.count) open cases)", try options.wrk(wrk, token: token, [release.baseURL + due])),
                ("GET one trajectory", try options.wrk(wrk, token: token, [release.baseURL + read])),
                ("POST contact moment", try options.wrk(wrk, token: token, ["-s", script.path, release.baseURL + "/v1/trajectories"])),
            ]
            return (results, generated)
        }
        let tps = try server.pgbenchSelectOnly(clients: options.connections, seconds: options.seconds, database: database)
        report(results.map { ($0.0, $0.1.command, $0.1.run) }, tps: tps, generated: generated, stopped: stopped)
    }

    // MARK: The data set

    /// Staff across entities, about 7 % of them absent, trajectories (most closed), their
    /// contact moments, deadlines from the loaded templates, and one officer with
    /// `officerCases` open cases. Written straight into the tables: it is the data set, not
    /// the API, that is being set up.
    private func generate(on client: PostgresClient) async throws {
        let closed = trajectories - openTrajectories
        let absent = max(openTrajectories, staff * 7 / 100)
        try await client.withTransaction { connection in
            try await connection.query("""
                INSERT INTO entities (code, name, parent_id)
                SELECT 'E' || lpad(i::text, 3, '0'), 'Entity ' || i, (SELECT id FROM entities WHERE code = 'BENCH')
                FROM generate_series(1, \(entities)) i
                """)
            // Sixteen more officers share the cases that are not the measured officer's.
            try await connection.query("""
                INSERT INTO users (email, display_name, roles)
                SELECT 'officer' || i || '@example.org', 'Officer ' || i, '{officer}' FROM generate_series(1, 16) i
                """)
            try await connection.query("""
                INSERT INTO user_entities (user_id, entity_id)
                SELECT u.id, e.id FROM users u, entities e WHERE u.email LIKE 'officer%@example.org' AND e.code = 'BENCH'
                """)
            try await connection.query("""
                INSERT INTO employees (personnel_number, given_name, family_name, work_email, entity_id, job_title, grade, weekly_hours)
                SELECT 'P' || lpad(i::text, 6, '0'), 'Given' || i, 'Family' || (i % 7919), 'staff' || i || '@example.org',
                       (SELECT id FROM entities WHERE code = 'E' || lpad((1 + i % \(entities))::text, 3, '0')),
                       'Administrative officer', 'B' || (1 + i % 3), CASE WHEN i % 5 = 0 THEN 30.4 ELSE 38 END
                FROM generate_series(1, \(staff)) i
                """)
            // The absent now (open absences), and the earlier absences of closed cases.
            try await connection.query("""
                INSERT INTO absences (employee_id, kind, starts_on, work_capacity_percent)
                SELECT e.id, (ARRAY['illness', 'work_accident', 'occupational_disease', 'other_long_absence'])[1 + n % 4],
                       current_date - (10 + n % 300)::int, CASE WHEN n % 6 = 0 THEN 50 ELSE 0 END
                FROM (SELECT id, row_number() OVER (ORDER BY personnel_number) AS n FROM employees) e
                WHERE e.n <= \(absent)
                """)
            try await connection.query("""
                INSERT INTO absences (employee_id, kind, starts_on, ended_on)
                SELECT e.id, 'illness', current_date - (700 + n % 300)::int, current_date - (400 + n % 300)::int
                FROM (SELECT id, row_number() OVER (ORDER BY personnel_number) AS n FROM employees) e
                WHERE e.n > \(absent) AND e.n <= \(absent + closed)
                """)
            try await connection.query("""
                WITH officers AS (
                    SELECT id, row_number() OVER (ORDER BY email) - 1 AS k FROM users WHERE email LIKE 'officer%@example.org'
                ), bench AS (SELECT id FROM users WHERE email = 'bench@example.org'),
                template AS (SELECT id FROM process_templates WHERE id = 'active-presence'),
                cases AS (
                    SELECT a.id AS absence_id, a.employee_id, a.starts_on, a.ended_on, e.entity_id,
                           row_number() OVER (PARTITION BY a.ended_on IS NULL ORDER BY a.id) AS n
                    FROM absences a JOIN employees e ON e.id = a.employee_id
                ), chosen AS (
                    SELECT c.*, row_number() OVER (ORDER BY c.ended_on NULLS FIRST, c.n) AS r FROM cases c
                    WHERE (c.ended_on IS NULL AND c.n <= \(openTrajectories)) OR (c.ended_on IS NOT NULL AND c.n <= \(closed))
                )
                INSERT INTO trajectories (reference, employee_id, entity_id, absence_id, officer_id, goal, template_id, status,
                    opened_at, closed_at, outcome, last_contact_at, contact_due_on, contact_due_reason)
                SELECT 'VK-' || extract(year FROM now())::int || '-' || lpad(c.r::text, 6, '0'), c.employee_id, c.entity_id, c.absence_id,
                       CASE WHEN c.ended_on IS NULL AND c.n <= \(officerCases) THEN (SELECT id FROM bench) ELSE (SELECT id FROM officers WHERE k = c.n % 16) END,
                       'return_own_job', (SELECT id FROM template),
                       CASE WHEN c.ended_on IS NOT NULL THEN 'closed' ELSE (ARRAY['intake', 'planning', 'active', 'on_hold'])[1 + c.n % 4] END,
                       c.starts_on + 2, CASE WHEN c.ended_on IS NOT NULL THEN c.ended_on::timestamptz END,
                       CASE WHEN c.ended_on IS NOT NULL THEN 'returned_full' END,
                       now() - (c.n % 20) * interval '1 day',
                       CASE WHEN c.ended_on IS NULL THEN current_date + ((c.n * 7) % 50 - 20)::int END,
                       CASE WHEN c.ended_on IS NULL THEN 'cadence' END
                FROM chosen c
                """)
            try await connection.query("""
                INSERT INTO trajectory_reference_counters (year, last_sequence)
                VALUES (extract(year FROM now())::int, \(trajectories))
                """)
            try await connection.query("""
                INSERT INTO contact_moments (trajectory_id, occurred_at, channel, initiative, made_by, summary, wellbeing, recorded_by)
                SELECT t.id, t.opened_at + k * interval '9 days', (ARRAY['phone', 'video', 'visit', 'email'])[1 + k % 4],
                       CASE WHEN k % 3 = 0 THEN 'employee' ELSE 'employer' END, 'officer',
                       'Talked about the week and the plan for the next steps', 1 + k % 5, t.officer_id
                FROM trajectories t, generate_series(1, \(contactsPerTrajectory)) k
                """)
            try await connection.query("""
                INSERT INTO deadlines (trajectory_id, template_id, milestone_code, due_on)
                SELECT t.id, t.template_id, lower(regexp_replace(m->>'code', '([A-Z])', '_\\1', 'g')),
                       a.starts_on + 7 * (row_number() OVER (PARTITION BY t.id ORDER BY m->>'code'))::int
                FROM trajectories t JOIN absences a ON a.id = t.absence_id JOIN process_templates p ON p.id = t.template_id,
                     jsonb_array_elements(p.definition->'milestones') m
                WHERE t.status <> 'closed'
                """)
        }
        try await client.query("ANALYZE")
    }

    // MARK: Helpers

    /// A wrk script that records a contact moment on the officer's cases in turn, so that
    /// requests do not all queue on one trajectory's row lock.
    private static func contactScript(caseIDs: [String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("veerkracht-contacts-\(ProcessInfo.processInfo.processIdentifier).lua")
        let script = """
            local ids = {\(caseIDs.map { "\"\($0)\"" }.joined(separator: ","))}
            local n = 0
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            wrk.body = '{"occurredAt":"\(try RFC3339.now())","channel":"phone","initiative":"employer","madeBy":"officer","summary":"Checked in by phone; next call in two weeks"}'
            request = function()
                n = n + 1
                return wrk.format(nil, "/v1/trajectories/" .. ids[(n % #ids) + 1] .. "/contactMoments")
            end
            """
        try script.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func report(_ results: [(String, String, WrkResult)], tps: Double, generated: Duration, stopped: Bool) {
        func verdict(_ ok: Bool) -> String { ok ? "PASS" : "FAIL" }
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        print("data: \(staff) staff in \(entities) entities, \(trajectories) trajectories (\(openTrajectories) open, \(officerCases) of the measured officer), \(trajectories * contactsPerTrajectory) contact moments; generated in \(generated)")
        print("release server (pool \(options.poolSize), log level warning, authentication cache \(options.authCacheSeconds) s), \(options.seconds) s per run after \(options.warmup) s warm-up, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("pgbench -S -n -c \(options.connections) -T \(options.seconds) (scale 10, same server): \(String(format: "%.0f", tps)) tps")
        for (name, command, run) in results {
            print("\n\(name)\n  \(command)")
            print(String(format: "  requests/s %10.0f   p50 %7.2f ms   p99 %7.2f ms   ratio to pgbench -S %5.2f", run.requestsPerSecond, run.p50Milliseconds, run.p99Milliseconds, tps > 0 ? run.requestsPerSecond / tps : 0))
            if run.failures > 0 { print("  errors \(run.failures): \(run.errorLines.joined(separator: "; "))") }
        }
        guard results.count == 3 else { return }
        print("")
        print("target due list p99 < \(Int(Self.maximumDueListP99Milliseconds)) ms: \(verdict(results[0].2.p99Milliseconds < Self.maximumDueListP99Milliseconds))")
        print("target trajectory read ≥ \(Self.minimumReadRatio) × pgbench -S: \(verdict(tps > 0 && results[1].2.requestsPerSecond / tps >= Self.minimumReadRatio))")
        print("target contact moments ≥ \(Int(Self.minimumContactsPerSecond))/s: \(verdict(results[2].2.requestsPerSecond >= Self.minimumContactsPerSecond))")
        if results.contains(where: { $0.2.failures > 0 }) { print("no errors: FAIL") }
        if !stopped { print("warning: the server did not stop on SIGTERM and was killed") }
    }
}

private enum RFC3339 {
    static func now() throws -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date().addingTimeInterval(-3600))
    }
}
