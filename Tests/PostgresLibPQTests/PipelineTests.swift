import Foundation
@testable import PostgresLibPQ
import PostgresTestSupport
import Testing

@Suite("Queued statements ride along with the next round trip")
struct PipelineTests {
    struct Boom: Error {}

    private func values(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT coalesce(array_agg(v ORDER BY v), '{}') FROM t")[0].decode(0, as: [Int].self)
    }

    private func values(_ client: PostgresClient) async throws -> [Int] {
        try await client.withConnection { try await values($0) }
    }

    private func prepared(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT statement FROM pg_prepared_statements ORDER BY name").map { try $0.decode(0, as: String.self) }
    }

    @Test func aQueuedInsertIsSeenByTheNextQueryInTheSameRoundTrip() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                let before = connection.roundTrips
                try connection.queue("INSERT INTO t VALUES (\(1))")
                try connection.queue("INSERT INTO t VALUES (\(2))")
                #expect(connection.roundTrips == before)
                #expect(try await values(connection) == [1, 2])
                #expect(connection.roundTrips == before + 1)
            }
        }
    }

    @Test func aFailedQueuedStatementIsThrownByTheNextQueryAndTheRestDoNotRun() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int CONSTRAINT t_pkey PRIMARY KEY)")
            try await client.query("INSERT INTO t VALUES (1)")
            try await client.withConnection { connection in
                try connection.queue("INSERT INTO t VALUES (\(2))")
                try connection.queue("INSERT INTO t VALUES (\(1))")
                try connection.queue("INSERT INTO t VALUES (\(3))")
                do {
                    _ = try await connection.query("SELECT \(42)")
                    Issue.record("the duplicate key should have failed the round trip")
                } catch let error as PostgresError {
                    #expect(error.kind == .server)
                    #expect(error.sqlState == .uniqueViolation)
                    #expect(error.constraint == "t_pkey")
                }
                // Outside a transaction the round trip was one implicit transaction: 2 went too.
                #expect(connection.transactionStatus == .idle)
                #expect(connection.queueMark.queued == 0)
                #expect(try await values(connection) == [1])
            }
        }
    }

    @Test func aFailedQueuedStatementRollsTheWholeTransactionBack() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int PRIMARY KEY)")
            try await client.query("INSERT INTO t VALUES (1)")
            // Thrown by the COMMIT round trip.
            await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (\(10))")
                    try connection.queue("INSERT INTO t VALUES (\(11))")
                    try connection.queue("INSERT INTO t VALUES (\(1))")
                    try connection.queue("INSERT INTO t VALUES (\(12))")
                }
            }
            // Thrown by a query in the body, which could catch it.
            let caught = await #expect(throws: PostgresError.self) {
                try await client.withTransaction { connection in
                    try connection.queue("INSERT INTO t VALUES (\(20))")
                    try connection.queue("INSERT INTO t VALUES (\(1))")
                    _ = try await connection.query("SELECT 1")
                }
            }
            #expect(caught?.sqlState == .uniqueViolation)
            #expect(try await values(client) == [1])
        }
    }

    @Test func aBodyThatThrowsBeforeSendingAnythingLeavesNoTrace() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                let before = connection.roundTrips
                await #expect(throws: Boom.self) {
                    try await connection.withTransaction(TransactionOptions(settings: [("app.user_id", "u1")])) { connection in
                        try connection.queue("INSERT INTO t VALUES (\(1))")
                        throw Boom()
                    }
                }
                #expect(connection.roundTrips == before)
                #expect(connection.transactionStatus == .idle)
                #expect(connection.queueMark.queued == 0)
                // Reusable, and nothing of the dropped transaction arrives later.
                try await connection.withTransaction { try await $0.query("INSERT INTO t VALUES (\(2))") }
                #expect(try await values(connection) == [2])
                let setting = try await connection.query("SELECT coalesce(current_setting('app.user_id', true), '')")
                #expect(try setting[0].decode(0, as: String.self) == "")
            }
        }
    }

    @Test func aTransactionThatDoesNothingCostsNoRoundTrip() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                let before = connection.roundTrips
                let answer = try await connection.withTransaction(TransactionOptions(isolation: .serializable)) { _ in 42 }
                #expect(answer == 42)
                #expect(connection.roundTrips == before)
                #expect(connection.transactionStatus == .idle)
            }
        }
    }

    @Test func statementsRunTogetherReturnEachOnesRowsAndSeeEarlierWrites() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, v int)")
            try await client.withConnection { connection in
                let before = connection.roundTrips
                try connection.queue("INSERT INTO t (v) VALUES (\(1))")
                let (inserted, total, count) = try await connection.run(
                    PostgresStatement("INSERT INTO t (v) VALUES (\(41)) RETURNING v") { try $0[0].decode(0, as: Int32.self) },
                    PostgresStatement("SELECT sum(v)::int4 FROM t") { try $0[0].decode(0, as: Int32.self) },
                    PostgresStatement("SELECT count(*) FROM t") { $0.count })
                #expect(inserted == 41)
                #expect(total == 42)
                #expect(count == 1)
                #expect(connection.roundTrips == before + 1)
            }
        }
    }

    @Test func aFailingStatementStopsTheOnesRunWithIt() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int CHECK (v > 0))")
            await #expect(throws: PostgresError.self) {
                try await client.withConnection { connection in
                    _ = try await connection.run(
                        PostgresStatement("INSERT INTO t VALUES (\(-1))") { $0.affectedRows },
                        PostgresStatement("INSERT INTO t VALUES (\(2))") { $0.affectedRows })
                }
            }
            let landed = try await values(client)
            #expect(landed.isEmpty)
        }
    }

    /// The server writes answers while the pipeline is still being sent; a connection that only
    /// wrote until its buffer drained would wait forever on a server waiting for it to read.
    @Test func aPipelineWhoseAnswersFillTheSocketWhileItIsSentCompletes() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                let padding = String(repeating: "p", count: 20_000)
                for _ in 0..<400 { try connection.queue("SELECT repeat('x', 50000), \(padding)::text") }
                let last = try await connection.query("SELECT length(\(padding)::text)")[0].decode(0, as: Int32.self)
                #expect(last == 20_000)
            }
        }
    }

    @Test func queuedStatementsAndCommitLandInOneRoundTrip() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                let before = connection.roundTrips
                try await connection.withTransaction(TransactionOptions(settings: [("app.user_id", "u1")])) { connection in
                    try connection.queue("INSERT INTO t VALUES (\(1))")
                    try connection.queue("INSERT INTO t VALUES ((current_setting('app.user_id') = 'u1')::int + \(1))")
                }
                #expect(connection.roundTrips == before + 1)
                #expect(connection.transactionStatus == .idle)
            }
            #expect(try await values(client) == [1, 2])
        }
    }

    @Test func beginOneQueryTwoQueuedStatementsAndCommitCostTwoRoundTrips() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, v int)")
            try await client.withConnection { connection in
                let before = connection.roundTrips
                try await connection.withTransaction { connection in
                    let id = try await connection.query("INSERT INTO t (v) VALUES (\(1)) RETURNING id")[0].decode(0, as: Int32.self)
                    try connection.queue("UPDATE t SET v = v + 10 WHERE id = \(id)")
                    try connection.queue("INSERT INTO t (v) VALUES (\(2))")
                }
                #expect(connection.roundTrips == before + 2)
            }
            #expect(try await values(client) == [2, 11])
        }
    }

    @Test func theFinalQueryReturnsItsRowsWithParametersOfSeveralTypes() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                let id = UUID()
                let when = Date(timeIntervalSince1970: 1_700_000_000.25)
                try connection.queue("INSERT INTO t VALUES (\(7))")
                try connection.queue("SELECT \(id), \("ignored")")
                let rows = try await connection.query("""
                    SELECT \(Int64.max) AS big, \(Int32(-5)) AS small, \("Zoë's ☕️") AS text, \(true) AS flag,
                           \(2.5) AS ratio, \(id) AS id, \(when) AS at, \(Optional<String>.none) AS missing,
                           \([1, 2, 3]) AS list, \(Data([0, 255, 1])) AS bytes, (SELECT count(*) FROM t) AS seen
                    """)
                #expect(rows.count == 1)
                let row = rows[0]
                #expect(try row.decode("big", as: Int64.self) == .max)
                #expect(try row.decode("small", as: Int32.self) == -5)
                #expect(try row.decode("text", as: String.self) == "Zoë's ☕️")
                #expect(try row.decode("flag", as: Bool.self))
                #expect(try row.decode("ratio", as: Double.self) == 2.5)
                #expect(try row.decode("id", as: UUID.self) == id)
                #expect(try row.decode("at", as: Date.self) == when)
                #expect(try row.decode("missing", as: String?.self) == nil)
                #expect(try row.decode("list", as: [Int].self) == [1, 2, 3])
                #expect(try row.decode("bytes", as: Data.self) == Data([0, 255, 1]))
                #expect(try row.decode("seen", as: Int.self) == 1)
            }
        }
    }

    @Test func theSameQueuedStatementIsPreparedOnce() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                for value in 1...20 { try connection.queue("INSERT INTO t VALUES (\(value))") }
                #expect(try await values(connection) == Array(1...20))
                for value in 21...25 { try connection.queue("INSERT INTO t VALUES (\(value))") }
                try await connection.flush()
                #expect(try await values(connection).count == 25)
                let statements = try await prepared(connection)
                #expect(statements.filter { $0.hasPrefix("INSERT") }.count == 1)
            }
        }
    }

    @Test func moreDistinctStatementsThanTheCacheHoldsGoUnnamed() async throws {
        var configuration = try await TestDatabase.makeDatabase()
        configuration.preparedStatementCacheSize = 3
        try await TestDatabase.withClient(maximumConnections: 1, configuration: configuration) { client in
            try await client.withConnection { connection in
                try await connection.query("CREATE TABLE t (v int)")  // takes one place in the cache
                for value in 1...6 {
                    // Distinct text each time, twice over: a statement prepared earlier in the
                    // same pipeline is used by name, not prepared again.
                    try connection.queue("INSERT INTO t VALUES (\(value)) -- \(unsafeRaw: String(value % 3))")
                }
                #expect(try await values(connection) == Array(1...6))
                let statements = try await prepared(connection)
                #expect(statements.count == 3)
                #expect(statements.filter { $0.hasPrefix("INSERT") }.count == 2)
            }
        }
    }

    @Test func aStatementThatFailsToPrepareInAPipelineIsNotCached() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                try connection.queue("INSERT INTO t VALUES (\(1))")
                let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
                #expect(error?.sqlState == .undefinedTable)
                try await connection.query("CREATE TABLE t (v int)")
                try connection.queue("INSERT INTO t VALUES (\(1))")
                try connection.queue("INSERT INTO t VALUES (\(2))")
                #expect(try await values(connection) == [1, 2])
            }
        }
    }

    @Test func withConnectionSendsWhatTheBodyLeftQueuedAndDropsItOnThrow() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { try $0.queue("INSERT INTO t VALUES (\(1))") }
            await #expect(throws: Boom.self) {
                try await client.withConnection { connection in
                    try connection.queue("INSERT INTO t VALUES (\(2))")
                    throw Boom()
                }
            }
            // A failing queued statement fails withConnection.
            let error = await #expect(throws: PostgresError.self) {
                try await client.withConnection { try $0.queue("INSERT INTO t VALUES (\("x"))") }
            }
            #expect(error?.sqlState != nil)
            // A borrower that releases by hand leaves nothing behind for the next one.
            let connection = try await client.acquire()
            try connection.queue("INSERT INTO t VALUES (\(3))")
            await client.release(connection)
            try await client.withConnection { #expect($0.queueMark.queued == 0) }
            #expect(try await values(client) == [1])
        }
    }

    @Test func aScriptSendsWhatIsQueuedFirst() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY, v int)")
            try await client.withConnection { connection in
                try connection.queue("INSERT INTO t (v) VALUES (\(1))")
                try await connection.execute(unsafeScript: "INSERT INTO t (v) VALUES (2); INSERT INTO t (v) VALUES (3);")
                let order = try await connection.query("SELECT array_agg(v ORDER BY id) FROM t")[0].decode(0, as: [Int].self)
                #expect(order == [1, 2, 3])
                // When a queued statement fails, the script does not run.
                try connection.queue("INSERT INTO t (v) VALUES (\("x"))")
                await #expect(throws: PostgresError.self) {
                    try await connection.execute(unsafeScript: "INSERT INTO t (v) VALUES (4)")
                }
                #expect(try await values(connection) == [1, 2, 3])
            }
        }
    }

    @Test func aLongPipelineWithLargeResultsDoesNotDeadlock() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                // Megabytes each way: more than the socket buffers hold while neither side reads.
                let padding = String(repeating: "y", count: 500)
                for index in 0..<3000 { try connection.queue("SELECT \(index), \(padding), repeat('x', 2000)") }
                #expect(try await connection.query("SELECT \(7)")[0].decode(0, as: Int.self) == 7)
            }
        }
    }

    @Test func copyIsRefusedAndTheConnectionIsNotReused() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            for sql in ["COPY t FROM STDIN", "COPY t TO STDOUT"] {
                try await client.withConnection { connection in
                    let error = await #expect(throws: PostgresError.self) { try await connection.query(PostgresQuery(unsafeSQL: sql)) }
                    #expect(error?.kind == .misuse)
                    #expect(connection.isClosed)
                }
            }
            #expect(try await values(client) == [])
        }
    }

    @Test func aStatementWithTooManyParametersIsRefusedBeforeAnythingIsSent() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.query("CREATE TABLE t (v int)")
            try await client.withConnection { connection in
                var bindings = PostgresBindings()
                for value in 0...65535 { bindings.append(Int32(value)) }
                let huge = PostgresQuery(unsafeSQL: "SELECT $1", bindings: bindings)
                try connection.queue("INSERT INTO t VALUES (\(1))")
                let queued = #expect(throws: PostgresError.self) { try connection.queue(huge) }
                #expect(queued?.kind == .misuse)
                let sent = await #expect(throws: PostgresError.self) { try await connection.query(huge) }
                #expect(sent?.kind == .misuse)
                // The statement queued before is still queued, and goes with the next query.
                #expect(try await values(connection) == [1])
            }
        }
    }

    @Test func flushWithNothingQueuedCostsNothing() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                let before = connection.roundTrips
                try await connection.flush()
                #expect(connection.roundTrips == before)
            }
        }
    }

    @Test func queueingOnAClosedConnectionIsAnError() async throws {
        try await TestDatabase.withClient(maximumConnections: 1) { client in
            try await client.withConnection { connection in
                connection.close()
                let error = #expect(throws: PostgresError.self) { try connection.queue("SELECT 1") }
                #expect(error?.kind == .connectionClosed)
            }
            #expect(try await client.query("SELECT 1")[0].decode(0, as: Int.self) == 1)
        }
    }
}
