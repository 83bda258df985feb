import Foundation
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Synchronization
import Testing

@Suite("The pool stays correct under load and recovers from broken connections")
struct PoolTests {
    @Test func exhaustionTimesOutInsteadOfHanging() async throws {
        try await TestDatabase.withClient(maximumConnections: 1, acquireTimeout: .milliseconds(200)) { client in
            try await client.withConnection { _ in
                let started = ContinuousClock.now
                do {
                    try await client.query("SELECT 1")
                    Issue.record("expected a pool timeout")
                } catch let error as PostgresError {
                    #expect(error.kind == .poolTimeout)
                }
                // 200 ms asked: the bound only tells a timeout from a hang, even on a loaded machine.
                #expect(ContinuousClock.now - started < .seconds(10))
            }
            // Once the connection is back, the pool serves again.
            #expect(try await client.query("SELECT 1")[0].decode(0, as: Int.self) == 1)
        }
    }

    @Test func manyTasksOnASmallPoolAllGetTheirOwnAnswers() async throws {
        // 10,000 statements through 8 connections take 2 s alone but close to a minute beside
        // the whole suite on 2 cores, where each hand-over waits its turn for a cooperative
        // thread. The timeout only has to tell a lost waiter from a slow one; the test that
        // checks timing out is exhaustionTimesOutInsteadOfHanging.
        try await TestDatabase.withClient(maximumConnections: 8, acquireTimeout: .seconds(300)) { client in
            let wrong = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<200 {
                    group.addTask {
                        for query in 0..<50 {
                            let value = task * 1000 + query
                            let rows = try await client.query("SELECT \(value) + 1 AS v, \("t\(task)") AS tag")
                            let (answer, tag) = try rows[0].decode((Int, String).self)
                            if answer != value + 1 || tag != "t\(task)" { wrong.increment() }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(wrong.current == 0)
            let connections = try await client.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'")
            #expect(try connections[0].decode(0, as: Int.self) <= 8)
        }
    }

    @Test func aTerminatedBackendIsReplaced() async throws {
        let configuration = try await TestDatabase.makeDatabase()
        try await TestDatabase.withClient(maximumConnections: 2, configuration: configuration) { client in
            // Kill a connection while it runs a statement.
            try await client.withConnection { victim in
                let pid = try await victim.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
                async let killed: Void = TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { other in
                    // Only once the server is running the statement.
                    try await waitUntil("the victim runs pg_sleep") {
                        try await other.query("""
                            SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND state = 'active' AND query LIKE '%pg_sleep%'
                            """)[0].decode(0, as: Int.self) == 1
                    }
                    try await other.query("SELECT pg_terminate_backend(\(pid))")
                }
                do {
                    try await victim.query("SELECT pg_sleep(10)")
                    Issue.record("the statement should have failed")
                } catch let error as PostgresError {
                    #expect(error.isConnectionLost)
                }
                try await killed
            }
            #expect(try await client.query("SELECT 2")[0].decode(0, as: Int.self) == 2)

            // Kill an idle pooled connection: the next lease notices and replaces it.
            let pid = try await client.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
            try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { other in
                // With a timeout, pg_terminate_backend returns once the backend is gone.
                let terminated = try await other.query("SELECT pg_terminate_backend(\(pid), 30000)")[0].decode(0, as: Bool.self)
                #expect(terminated)
            }
            for _ in 0..<3 {
                #expect(try await client.query("SELECT 3")[0].decode(0, as: Int.self) == 3)
            }
        }
    }

    @Test func cancellingATaskCancelsItsStatementOnTheServer() async throws {
        try await TestDatabase.withClient(maximumConnections: 2) { client in
            let started = ContinuousClock.now
            let sleeper = Task {
                try await client.query("SELECT pg_sleep(30) /* cancel-me */")
            }
            // Cancel only once the server is really running it.
            for _ in 0..<100 {
                let running = try await client.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%cancel-me%' AND state = 'active' AND pid <> pg_backend_pid()")
                if try running[0].decode(0, as: Int.self) == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            sleeper.cancel()
            let outcome = await sleeper.result
            #expect(ContinuousClock.now - started < .seconds(10))
            guard case .failure(let error as PostgresError) = outcome else {
                Issue.record("expected a cancellation error, got \(outcome)")
                return
            }
            #expect(error.kind == .cancelled)
            let running = try await client.query(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%cancel-me%' AND state = 'active' AND pid <> pg_backend_pid()")
            #expect(try running[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func aCancelThatComesLateNeverReachesTheNextStatement() async throws {
        // Cancel requests go out from a pool thread; one still on its way when its statement
        // ends must not land on the statement the connection runs next.
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            for round in 0..<40 {
                let short = Task { try await client.query("SELECT pg_sleep(0.002)") }
                try await Task.sleep(for: .microseconds(500 * (round % 8)))
                short.cancel()
                _ = await short.result
                // Long enough for a stray cancel request to arrive while it runs.
                let next = try await client.query("SELECT pg_sleep(0.02), \(round)")
                #expect(try next[0].decode(1, as: Int.self) == round)
            }
        }
    }

    @Test func oneConnectionServesOneTaskAtATime() async throws {
        try await TestDatabase.withClient { client in
            try await client.withConnection { connection in
                async let long = connection.query("SELECT pg_sleep(30) /* busy-connection */")
                // Go on only once the server is running the first statement; it sleeps long enough
                // that a loaded machine cannot let it finish before the second one is tried.
                let observer = PostgresClient(
                    configuration: .init(connection: client.configuration.connection, maximumConnections: 1), logger: TestDatabase.logger)
                let busy: PostgresQuery =
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE '%busy-connection%' AND state = 'active' AND pid <> pg_backend_pid()"
                var pid: Int32?
                for _ in 0..<500 where pid == nil {
                    pid = try await observer.query(busy).first?.decode(0, as: Int32.self)
                    if pid == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(pid != nil)
                do {
                    try await connection.query("SELECT 1")
                    Issue.record("a second statement on a busy connection must be refused")
                } catch let error as PostgresError {
                    #expect(error.kind == .misuse)
                }
                if let pid { try await observer.query("SELECT pg_cancel_backend(\(pid))") }
                await observer.close()
                _ = try? await long
            }
        }
    }

    @Test func closingFailsWaitersAndRefusesNewWork() async throws {
        let configuration = try await TestDatabase.makeDatabase()
        let client = PostgresClient(
            configuration: .init(connection: configuration, maximumConnections: 1, acquireTimeout: .seconds(30)),
            logger: TestDatabase.logger)
        // The holder keeps the only connection until told to let go.
        let (held, holding) = AsyncStream.makeStream(of: Void.self)
        let (release, releasing) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await client.withConnection { _ in
                holding.yield()
                for await _ in release { break }
            }
        }
        for await _ in held { break }
        let waiter = Task { try await client.query("SELECT 1") }
        try await waitUntil("a task waits for the connection") { client.waitingCount == 1 }
        // Closing fails the waiter at once, while the holder still has the connection.
        async let closed: Void = client.close()
        let outcome = await waiter.result
        releasing.yield()
        await closed
        _ = await holder.result
        guard case .failure(let error as PostgresError) = outcome else {
            Issue.record("the waiting task should fail when the pool closes")
            return
        }
        #expect(error.kind == .poolClosed)
        await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
    }

    @Test func serverNoticesGoToTheLogger() async throws {
        let captured = LogCapture()
        let configuration = try await TestDatabase.makeDatabase()
        let client = PostgresClient(
            configuration: .init(connection: configuration),
            logger: Logger(label: "capture") { _ in captured })
        try await client.query("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$")
        await client.close()
        #expect(captured.messages.contains { $0.contains("postgres notice") })
    }
}
