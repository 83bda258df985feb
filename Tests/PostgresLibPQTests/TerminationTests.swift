import Foundation
@testable import PostgresLibPQ
import PostgresTestSupport
import Testing

/// A backend terminated at each point of a pipelined transaction is reported as the
/// connection being lost (which the HTTP layer answers with 503 and `Retry-After`), never as
/// a misuse, and the pool replaces the connection.
@Suite("A terminated backend is a lost connection")
struct TerminationTests {
    /// `body` gets a connection of its own and its backend's pid; the pool's second connection
    /// is free for the test to terminate it from.
    private func withVictim(_ body: (PostgresClient, PostgresConnection, Int32) async throws -> Void) async throws {
        try await TestDatabase.withClient(maximumConnections: 2) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                let pid = try await connection.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
                try await body(client, connection, pid)
            }
            // The pool drops what broke and serves the next caller.
            #expect(try await client.query("SELECT 1")[0].decode(0, as: Int.self) == 1)
        }
    }

    private func rows(_ client: PostgresClient) async throws -> Int {
        try await client.query("SELECT count(*) FROM t")[0].decode(0, as: Int.self)
    }

    /// Runs a transaction that must fail because the connection was lost, and returns its error.
    private func expectLost(_ work: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> PostgresError? {
        do {
            try await work()
            Issue.record("the transaction should have failed", sourceLocation: sourceLocation)
            return nil
        } catch let error as PostgresError {
            #expect(error.kind == .connectionClosed, "\(error.fullDescription)", sourceLocation: sourceLocation)
            #expect(error.isConnectionLost, sourceLocation: sourceLocation)
            return error
        } catch {
            Issue.record("not a PostgresError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @Test func terminatedBeforeBeginsResult() async throws {
        try await withVictim { client, connection, pid in
            // Terminated while idle: the FATAL is waiting (or the socket is closed) when BEGIN leaves.
            try await client.query("SELECT pg_terminate_backend(\(pid), 10000)")
            _ = await expectLost {
                try await connection.withTransaction { connection in
                    _ = try await connection.query("INSERT INTO t VALUES (1)")
                }
            }
            #expect(connection.isClosed)
            #expect(try await rows(client) == 0)
        }
    }

    @Test func terminatedBetweenStatements() async throws {
        try await TestDatabase.withClient(maximumConnections: 3) { client in
            try await client.query("CREATE TABLE t (v int)")
            // A session lock held elsewhere stops the victim between its statements.
            try await client.withConnection { holder in
                try await holder.query("SELECT pg_advisory_lock(42)")
                try await client.withConnection { connection in
                    let pid = try await connection.query("SELECT pg_backend_pid()")[0].decode(0, as: Int32.self)
                    async let failure = expectLost {
                        try await connection.withTransaction { connection in
                            try await connection.query("INSERT INTO t VALUES (1)")
                            try await connection.query("SELECT pg_advisory_lock(42)")
                            try await connection.query("INSERT INTO t VALUES (2)")
                        }
                    }
                    // Observable, not slept for: the victim waits on the lock.
                    try await waitUntil("the victim waits on the lock") {
                        try await holder.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid) AND wait_event_type = 'Lock'"
                        )[0].decode(0, as: Int.self) == 1
                    }
                    try await holder.query("SELECT pg_terminate_backend(\(pid))")
                    _ = await failure
                    #expect(connection.isClosed)
                }
                try await holder.query("SELECT pg_advisory_unlock(42)")
                #expect(try await holder.query("SELECT count(*) FROM t")[0].decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test func terminatedAfterCommitsResult() async throws {
        try await withVictim { client, connection, _ in
            // The backend ends itself right after COMMIT, in the same round trip: the commit
            // stands, and the caller is told the connection was lost, not that libpq misbehaved.
            try connection.queue("BEGIN")
            try connection.queue("INSERT INTO t VALUES (1)")
            try connection.queue("COMMIT")
            _ = await expectLost {
                _ = try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
            #expect(connection.isClosed)
            #expect(try await rows(client) == 1)
        }
    }

    @Test func aFatalErrorIsAConnectionLoss() {
        let fatal = PostgresError(kind: .server, sqlState: .adminShutdown, severity: "FATAL", message: "terminating connection")
        #expect(fatal.isConnectionLost)
        let crash = PostgresError(kind: .server, sqlState: .crashShutdown, severity: "FATAL", message: "crash")
        #expect(crash.isConnectionLost)
        let plain = PostgresError(kind: .server, sqlState: .uniqueViolation, severity: "ERROR", message: "duplicate")
        #expect(!plain.isConnectionLost)
    }
}
