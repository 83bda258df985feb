import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Synchronization
import Testing

@Suite("Transactions commit, roll back on throw, and retry when told to")
struct TransactionTests {
    struct Boom: Error {}

    @Test func commitsAndRollsBackOnThrow() async throws {
        try await TestDatabase.withClient { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withTransaction { try await $0.query("INSERT INTO t VALUES (\(1))") }
            await #expect(throws: Boom.self) {
                try await client.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (\(2))")
                    throw Boom()
                }
            }
            let rows = try await client.query("SELECT array_agg(v ORDER BY v) FROM t")
            #expect(try rows[0].decode(0, as: [Int].self) == [1])
        }
    }

    @Test func anIgnoredStatementErrorDoesNotCommitQuietly() async throws {
        try await TestDatabase.withClient { client in
            try await client.query("CREATE TABLE t (v int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (1)")
                    _ = try? await connection.query("INSERT INTO t VALUES (1)")
                }
            }
            let rows = try await client.query("SELECT count(*) FROM t")
            #expect(try rows[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func settingsLastForTheTransactionOnly() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            let options = TransactionOptions(settings: [("app.user_id", "a1b2"), ("app.role", "officer's")])
            let seen = try await client.withTransaction(options) { connection in
                try await connection.query("SELECT current_setting('app.user_id'), current_setting('app.role')")[0]
                    .decode((String, String).self)
            }
            #expect(seen == ("a1b2", "officer's"))
            let after = try await client.query("SELECT coalesce(current_setting('app.user_id', true), '') AS v")
            #expect(try after[0].decode(0, as: String.self) == "")
        }
    }

    @Test func retriesAForcedSerializationFailure() async throws {
        try await TestDatabase.withClient { client in
            try await client.query("CREATE TABLE t (v int)")
            let attempts = Counter()
            try await client.withRetryingTransaction(maximumAttempts: 3) { connection in
                let attempt = attempts.increment()
                try await connection.query("INSERT INTO t VALUES (\(attempt))")
                if attempt == 1 {
                    try await connection.execute(unsafeScript: "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$")
                }
            }
            #expect(attempts.current == 2)
            let rows = try await client.query("SELECT array_agg(v) FROM t")
            #expect(try rows[0].decode(0, as: [Int].self) == [2])
        }
    }

    @Test func realWriteSkewUnderSerializableIsRetried() async throws {
        try await TestDatabase.withClient(maximumConnections: 4) { client in
            try await client.query("CREATE TABLE duty (doctor text PRIMARY KEY, on_call bool NOT NULL)")
            try await client.query("INSERT INTO duty VALUES ('a', true), ('b', true)")
            let attempts = Counter()
            let reads = Counter()
            let options = TransactionOptions(isolation: .serializable)
            // Both take a doctor off call if someone else is still on; serially only one can.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for doctor in ["a", "b"] {
                    group.addTask {
                        try await client.withRetryingTransaction(options, maximumAttempts: 5) { connection in
                            attempts.increment()
                            let others = try await connection.query("SELECT count(*) FROM duty WHERE on_call AND doctor <> \(doctor)")
                            // The first reads wait for each other, so the two transactions overlap
                            // however long the other one took to get a connection.
                            reads.increment()
                            while reads.current < 2 { try await Task.sleep(for: .milliseconds(10)) }
                            if try others[0].decode(0, as: Int.self) > 0 {
                                try await connection.query("UPDATE duty SET on_call = false WHERE doctor = \(doctor)")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let onCall = try await client.query("SELECT count(*) FROM duty WHERE on_call")
            #expect(try onCall[0].decode(0, as: Int.self) == 1)
            #expect(attempts.current >= 3)
        }
    }

    @Test func aConnectionHandedBackInsideATransactionIsRolledBack() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                try await connection.execute(unsafeScript: "BEGIN")
                try await connection.query("INSERT INTO t VALUES (1)")
            }
            let rows = try await client.query("SELECT count(*) FROM t")
            #expect(try rows[0].decode(0, as: Int.self) == 0)
        }
    }
}
