import CLibPQ
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection, driven through libpq's non-blocking API: the task that runs a
/// statement sends it and is suspended until the server answers (`SocketReadiness`), so no
/// thread blocks on the server. Only opening a connection blocks, on the thread pool given to
/// `connect`. A connection serves one task at a time: a second task that tries to use it
/// while a statement runs gets a `misuse` error, not a corrupted protocol stream.
public final class PostgresConnection: @unchecked Sendable {
    private enum Phase {
        case idle
        case running
        case cancelRequested
        case closed
    }

    private struct State {
        var phase: Phase = .idle
        var ticket: UInt64 = 0
        /// Statements waiting to ride along with the next round trip; see `queue(_:)`.
        var queuedStatements: [PostgresQuery] = []
        /// Round trips to the server so far: `withTransaction` sees from it whether BEGIN has
        /// left, and tests count them.
        var roundTrips = 0
    }

    private let pointer: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let noticeSink: Unmanaged<NoticeSink>
    private let state = Mutex(State())
    private let statementCacheCapacity: Int
    /// Where cancel requests are sent from: PQcancel opens a connection of its own and waits.
    private let threadPool: NIOThreadPool
    public let logger: Logger

    private init(pointer: OpaquePointer, statementCacheCapacity: Int, threadPool: NIOThreadPool, logger: Logger) {
        self.pointer = pointer
        self.statementCacheCapacity = statementCacheCapacity
        self.threadPool = threadPool
        self.logger = logger
        // Sends never block: what the socket does not take stays in libpq's buffer until
        // `sendBuffered` writes it.
        PQsetnonblocking(pointer, 1)
        self.cancelHandle = PQgetCancel(pointer)
        self.noticeSink = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeReceiver(pointer, postgresNoticeReceiver, noticeSink.toOpaque())
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(pointer)
        noticeSink.release()
    }

    /// Opens a connection on `threadPool`, which later also sends its cancel requests.
    public static func connect(
        configuration: PostgresConfiguration, threadPool: NIOThreadPool, logger: Logger
    ) async throws -> PostgresConnection {
        try await threadPool.runIfActive {
            PostgresConnection(
                pointer: try openHandle(configuration),
                statementCacheCapacity: configuration.preparedStatementCacheSize, threadPool: threadPool, logger: logger)
        }
    }

    /// Opens a raw libpq handle (blocking); the caller owns it.
    static func openHandle(_ configuration: PostgresConfiguration) throws(PostgresError) -> OpaquePointer {
        let pairs = configuration.libpqParameters
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection: OpaquePointer? =
            (keywords.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { keywordPointers in
                (values.map { UnsafePointer($0) } + [nil]).withUnsafeBufferPointer { valuePointers in
                    // expand_dbname = 0: the database name is only ever a name.
                    PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 0)
                }
            }
        guard let connection else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(connection))
            PQfinish(connection)
            throw PostgresError(kind: .connectionFailed, message: message.trimmingTrailingNewlines)
        }
        return connection
    }

    // MARK: - Statements

    /// Runs one statement with its bound parameters and returns its rows (binary format).
    /// Statements queued before it go in the same round trip, ahead of it; when one of them
    /// fails, this throws that statement's error.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await run(PostgresStatement(query) { $0 })
    }

    /// Runs statements in one round trip, in order (each sees what the ones before it
    /// wrote), after the queued ones, and decodes each one's rows. The first that fails
    /// throws, and the ones after it do not run.
    public func run<each Value>(_ statements: repeat PostgresStatement<each Value>) async throws -> (repeat each Value) {
        var queries: [PostgresQuery] = []
        for statement in repeat each statements {
            try Self.checkParameterCount(statement.query)
            queries.append(statement.query)
        }
        let sent = queries
        let results = try await roundTrip { queued throws(PostgresError) in
            try await self.pipeline(queued + sent, keeping: sent.count)
        }
        var next = 0
        func decode<V>(_ statement: PostgresStatement<V>) throws -> V {
            defer { next += 1 }
            return try statement.decode(PostgresRows(result: results[next]))
        }
        return (repeat try decode(each statements))
    }

    /// Records a statement whose rows the caller does not need. It is not sent now but with
    /// the next statement this connection sends (`query`, `flush`, `execute(unsafeScript:)`),
    /// in the same round trip; that call throws the error of the first queued statement that
    /// failed (the ones after it do not run). Outside a transaction the server runs the
    /// statements of one round trip as one implicit transaction: they land or fail together.
    /// A statement that refuses to run in a transaction block (VACUUM, CREATE DATABASE) must
    /// be sent on its own.
    public func queue(_ query: PostgresQuery) throws {
        try Self.checkParameterCount(query)
        try state.withLock { state throws(PostgresError) in
            switch state.phase {
            case .idle:
                state.queuedStatements.append(query)
            case .closed:
                throw PostgresError(kind: .connectionClosed, message: "the connection was closed")
            default:
                throw PostgresError.misuse("a connection serves one task at a time")
            }
        }
    }

    /// libpq refuses to send more parameters than the protocol carries; saying so before
    /// anything is sent means a statement libpq cannot send is a broken connection.
    private static func checkParameterCount(_ query: PostgresQuery) throws(PostgresError) {
        guard query.bindings.count <= 65535 else {
            throw .misuse("a statement has \(query.bindings.count) parameters; at most 65535 fit")
        }
    }

    /// Sends the queued statements in one round trip; does nothing when none are queued.
    public func flush() async throws {
        guard state.withLock({ !$0.queuedStatements.isEmpty }) else { return }
        _ = try await roundTrip { queued throws(PostgresError) in try await self.pipeline(queued, keeping: 0) }
    }

    /// Drops the queued statements unsent.
    func discardQueue() {
        state.withLock { $0.queuedStatements = [] }
    }

    /// Round trips made and statements queued, read together: equal marks mean nothing was
    /// sent or queued in between.
    var queueMark: QueueMark {
        state.withLock { QueueMark(roundTrips: $0.roundTrips, queued: $0.queuedStatements.count) }
    }

    struct QueueMark: Equatable {
        var roundTrips: Int
        var queued: Int
    }

    var roundTrips: Int { state.withLock { $0.roundTrips } }

    /// Runs SQL text that may hold several statements and no parameters, such as a migration
    /// file. Never pass it text that contains input from outside. Queued statements are sent
    /// first, in a round trip of their own (a script cannot join a pipeline); if one fails,
    /// the script does not run. The first statement that fails throws.
    public func execute(unsafeScript sql: String) async throws {
        try await roundTrip { queued throws(PostgresError) in
            if !queued.isEmpty { _ = try await self.pipeline(queued, keeping: 0) }
            self.countRoundTrip()
            guard PQsendQuery(self.pointer, sql) == 1 else { throw self.abandon(self.connectionError()) }
            try await self.sendBuffered()
            var failure: PostgresError?
            // One result per statement, then NULL; after a failure the server runs no more.
            while let result = await self.nextResult() {
                if let error = try self.serverFailure(result) {
                    failure = failure ?? error
                } else {
                    PQclear(result)
                }
            }
            if let failure { throw self.adjusted(failure) }
            guard PQstatus(self.pointer) == CONNECTION_OK else { throw self.adjusted(self.connectionError()) }
        }
    }

    private struct StatementKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    /// Statements this connection has prepared, by text and parameter types: a repeated
    /// statement skips parsing and planning on the server. Touched only inside `roundTrip`,
    /// which one task at a time runs for a connection; so are `statementNumber` and `columnLayouts`.
    private var preparedStatements: [StatementKey: String] = [:]
    /// Numbers statement names, which are never reused: a name made from the cache's size
    /// could be one that exists already after a prepare earlier in the same pipeline failed.
    private var statementNumber = 0
    /// The columns each prepared statement answers with, by statement name.
    private var columnLayouts: [String: ColumnLayout] = [:]

    /// What the server answers, in order, for one pipeline.
    private enum Step {
        case prepare(StatementKey, name: String)
        case statement(kept: Bool, prepared: String?)
    }

    /// Sends `statements` in one pipeline with one sync (one round trip) and reads every
    /// result. Returns the rows of the last `kept` statements, or throws the first failure:
    /// after an error the server skips the rest up to the sync. Leaves pipeline mode again, so
    /// that a script can be sent between round trips.
    private func pipeline(_ statements: [PostgresQuery], keeping kept: Int) async throws(PostgresError) -> [PostgresResult] {
        guard !statements.isEmpty else { throw .misuse("there was no statement to send") }
        guard PQenterPipelineMode(pointer) == 1 else { throw connectionError() }
        countRoundTrip()
        var steps: [Step] = []
        var preparing: [StatementKey: String] = [:]
        for (offset, statement) in statements.enumerated() {
            guard send(statement, pointer, kept: offset >= statements.count - kept, preparing: &preparing, steps: &steps) else {
                throw abandon(connectionError())
            }
        }
        guard PQpipelineSync(pointer) == 1 else { throw abandon(connectionError()) }
        try await sendBuffered()

        var failure: PostgresError?
        var results: [PostgresResult] = []
        // Each step's result is followed by a NULL; the sync's result ends the pipeline.
        var index = 0
        while true {
            let result = await nextResult()
            guard PQstatus(pointer) == CONNECTION_OK else {
                let lost = failure ?? result.map(serverError) ?? connectionError()
                if failure != nil, let result { PQclear(result) }
                throw adjusted(lost)
            }
            guard let result else {
                index += 1
                guard index <= steps.count else { throw abandon(lost(failure, or: "libpq ended more pipeline steps than were sent")) }
                continue
            }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_SYNC {
                PQclear(result)
                break
            }
            guard index < steps.count else {
                // After the last step only the sync's result is due. An error here is the
                // server ending the session (57P01 when a backend is terminated right after
                // COMMIT's result): the connection is lost, whatever the steps did.
                let extra = status == PGRES_FATAL_ERROR ? serverError(result) : nil
                if extra == nil { PQclear(result) }
                throw abandon(lost(extra ?? failure, or: "libpq returned more pipeline results than were sent"))
            }
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else if let error = try serverFailure(result) {
                failure = failure ?? error
            } else {
                switch steps[index] {
                case .prepare(let key, let name):
                    preparedStatements[key] = name
                    PQclear(result)
                case .statement(kept: true, let prepared):
                    let columns = prepared.flatMap { columnLayouts[$0] } ?? ColumnLayout(result)
                    if let prepared { columnLayouts[prepared] = columns }
                    results.append(PostgresResult(result, columns: columns))
                case .statement(kept: false, _):
                    PQclear(result)
                }
            }
        }
        guard PQexitPipelineMode(pointer) == 1 else { throw abandon(connectionError()) }
        if let failure { throw adjusted(failure) }
        return results
    }

    /// Appends one statement to the pipeline: through the statement cache, preparing it in the
    /// same pipeline the first time, or unnamed when the cache is full. False when libpq
    /// refused to send it.
    private func send(
        _ statement: PostgresQuery, _ pointer: OpaquePointer, kept: Bool,
        preparing: inout [StatementKey: String], steps: inout [Step]
    ) -> Bool {
        let bindings = statement.bindings
        let count = bindings.parameters.count
        return bindings.bytes.withUnsafeBufferPointer { bytes in
            withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(count, 1)) { values in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(count, 1)) { lengths in
                    withUnsafeTemporaryAllocation(of: Int32.self, capacity: max(count, 1)) { formats in
                        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: max(count, 1)) { types in
                            // A NULL pointer means SQL NULL, so empty values need a real address.
                            let base = UnsafeRawPointer(bytes.baseAddress) ?? UnsafeRawPointer(emptyValue)
                            for (index, parameter) in bindings.parameters.enumerated() {
                                values[index] = parameter.length < 0
                                    ? nil
                                    : (base + parameter.offset).assumingMemoryBound(to: CChar.self)
                                lengths[index] = max(parameter.length, 0)
                                formats[index] = 1
                                types[index] = parameter.type
                            }
                            let key = StatementKey(sql: statement.sql, types: bindings.parameters.map(\.type))
                            // A statement prepared earlier in this pipeline is used by name too:
                            // if its prepare fails, everything after it is skipped anyway.
                            var name = preparedStatements[key] ?? preparing[key]
                            if name == nil, preparedStatements.count + preparing.count < statementCacheCapacity {
                                statementNumber += 1
                                let candidate = "vk_\(statementNumber)"
                                guard PQsendPrepare(pointer, candidate, statement.sql, Int32(count), types.baseAddress) == 1 else {
                                    return false
                                }
                                steps.append(.prepare(key, name: candidate))
                                preparing[key] = candidate
                                name = candidate
                            }
                            let sent = if let name {
                                PQsendQueryPrepared(
                                    pointer, name, Int32(count), values.baseAddress, lengths.baseAddress,
                                    formats.baseAddress, 1)
                            } else {
                                PQsendQueryParams(
                                    pointer, statement.sql, Int32(count), types.baseAddress, values.baseAddress,
                                    lengths.baseAddress, formats.baseAddress, 1)
                            }
                            guard sent == 1 else { return false }
                            steps.append(.statement(kept: kept, prepared: name))
                            return true
                        }
                    }
                }
            }
        }
    }

    private func countRoundTrip() {
        state.withLock { $0.roundTrips += 1 }
    }

    /// Runs one exchange with the server from the calling task, with cancellation that
    /// reaches the server. The work is handed the statements queued so far, which it owns
    /// from then on.
    private func roundTrip<Value>(
        _ body: ([PostgresQuery]) async throws(PostgresError) -> Value
    ) async throws -> Value {
        if Task.isCancelled { throw PostgresError(kind: .cancelled, message: "the task was cancelled") }
        let (ticket, queued) = try state.withLock { state throws(PostgresError) -> (UInt64, [PostgresQuery]) in
            switch state.phase {
            case .idle:
                state.ticket &+= 1
                state.phase = .running
                defer { state.queuedStatements = [] }
                return (state.ticket, state.queuedStatements)
            case .closed:
                throw PostgresError(kind: .connectionClosed, message: "the connection was closed")
            default:
                throw PostgresError.misuse("a connection serves one task at a time")
            }
        }
        defer { state.withLock { if $0.phase != .closed { $0.phase = .idle } } }
        return try await withTaskCancellationHandler {
            try await body(queued)
        } onCancel: {
            self.cancel(ticket: ticket)
        }
    }

    /// Waits until libpq has written what it buffered, reading meanwhile what the server
    /// sends, so that a long pipeline cannot deadlock with both sides waiting to write.
    private func sendBuffered() async throws(PostgresError) {
        while true {
            switch PQflush(pointer) {
            case 0:
                return
            case 1:
                await SocketReadiness.shared.wait(for: PQsocket(pointer), orWritable: true)
                guard PQconsumeInput(pointer) == 1 else { throw abandon(connectionError()) }
            default:
                throw abandon(connectionError())
            }
        }
    }

    /// The next result, as PQgetResult returns it, waiting for the server without blocking a
    /// thread. When the connection fails, PQgetResult reports it without waiting.
    private func nextResult() async -> OpaquePointer? {
        while PQisBusy(pointer) == 1 {
            await SocketReadiness.shared.wait(for: PQsocket(pointer))
            guard PQconsumeInput(pointer) == 1 else { break }
        }
        return PQgetResult(pointer)
    }

    private func cancel(ticket: UInt64) {
        let requested = state.withLock { state -> Bool in
            guard state.ticket == ticket, state.phase == .running else { return false }
            state.phase = .cancelRequested
            return true
        }
        guard requested else { return }
        sendCancelRequest(ticket: ticket)
        // A cancel request that reaches the server before the statement does is ignored, so
        // repeat it while the same statement is still running.
        Task.detached { [weak self] in
            for _ in 0..<100 {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self, self.state.withLock({ $0.ticket == ticket && $0.phase == .cancelRequested }) else { return }
                self.sendCancelRequest(ticket: ticket)
            }
        }
    }

    /// Sends a cancel request from the thread pool, never from the cancelling task's thread.
    /// The state lock is held until it has landed, so the round trip that ends meanwhile
    /// waits for it, and the request cannot reach the connection's next statement.
    private func sendCancelRequest(ticket: UInt64) {
        threadPool.submit { [self] work in
            // A stopped pool runs the item at once, on this thread: then nothing is sent.
            guard case .active = work, let cancelHandle else { return }
            state.withLock { state in
                guard state.ticket == ticket, state.phase == .cancelRequested else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
            }
        }
    }

    /// Nil for a statement's rows or a command done (the result stays the caller's); the
    /// error of a failed statement (the result is cleared). Throws, abandoning the connection,
    /// for a mode we do not support.
    private func serverFailure(_ result: OpaquePointer) throws(PostgresError) -> PostgresError? {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return nil
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            return serverError(result)
        default:
            PQclear(result)
            throw abandon(unsupported)
        }
    }

    /// The error a failed result reports; clears the result.
    private func serverError(_ result: OpaquePointer) -> PostgresError {
        let error = PostgresError(result: result)
        PQclear(result)
        return error
    }

    /// Says what the error meant for the connection, once the round trip is over.
    private func adjusted(_ error: PostgresError) -> PostgresError {
        var error = error
        if PQstatus(pointer) != CONNECTION_OK { error.kind = .connectionClosed }
        if error.sqlState == .queryCanceled, state.withLock({ $0.phase == .cancelRequested }) { error.kind = .cancelled }
        return error
    }

    /// A pipeline that went off its expected course. When the server reported a fatal error or
    /// the connection is down, that is what happened, and the caller learns the connection was
    /// lost (it may retry elsewhere); only a live connection with no such error is a misuse.
    private func lost(_ error: PostgresError?, or misuse: String) -> PostgresError {
        if var error, error.isConnectionLost {
            error.kind = .connectionClosed
            return error
        }
        if PQstatus(pointer) != CONNECTION_OK { return connectionError() }
        return .misuse(misuse)
    }

    /// COPY and the other streaming modes are not supported.
    private var unsupported: PostgresError { .misuse("COPY and streaming results are not supported") }

    /// Closes a connection whose protocol state is no longer known, so nothing uses it again.
    private func abandon(_ error: PostgresError) -> PostgresError {
        close()
        return error
    }

    private func connectionError() -> PostgresError {
        let message = String(cString: PQerrorMessage(pointer)).trimmingTrailingNewlines
        let kind: PostgresError.Kind = PQstatus(pointer) == CONNECTION_OK ? .misuse : .connectionClosed
        return PostgresError(kind: kind, message: message)
    }

    // MARK: - State for the pool

    public enum TransactionStatus: Sendable {
        case idle, active, inTransaction, inFailedTransaction, unknown
    }

    public var transactionStatus: TransactionStatus {
        switch PQtransactionStatus(pointer) {
        case PQTRANS_IDLE: .idle
        case PQTRANS_ACTIVE: .active
        case PQTRANS_INTRANS: .inTransaction
        case PQTRANS_INERROR: .inFailedTransaction
        default: .unknown
        }
    }

    public var isClosed: Bool {
        state.withLock { $0.phase == .closed } || PQstatus(pointer) != CONNECTION_OK
    }

    /// Cheap check, without a round trip, that the connection can serve another statement: open,
    /// outside a transaction, and with nothing unexpected to read. An idle connection that
    /// became readable has, in practice, been closed by the server (restart, terminated backend).
    func isReusableWithoutRoundTrip() -> Bool {
        guard !isClosed, PQtransactionStatus(pointer) == PQTRANS_IDLE else { return false }
        var descriptor = pollfd(fd: PQsocket(pointer), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// A round trip with an empty statement.
    func ping() async -> Bool {
        do {
            try await execute(unsafeScript: "")
            return true
        } catch {
            return false
        }
    }

    /// Marks the connection closed; libpq's handle is finished when the last reference goes.
    public func close() {
        state.withLock { $0.phase = .closed }
    }
}

/// Empty parameter values need a non-NULL address.
nonisolated(unsafe) private let emptyValue: UnsafeMutablePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.pointee = 0
    return pointer
}()

extension PostgresError {
    init(result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        self.init(
            kind: .server,
            sqlState: field("C").map(SQLState.init(rawValue:)),
            severity: field("V") ?? field("S"),
            message: field("M") ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines,
            detail: field("D"),
            hint: field("H"),
            schema: field("s"),
            table: field("t"),
            column: field("c"),
            constraint: field("n"))
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}

/// Server notices (RAISE NOTICE, warnings) go to the logger instead of libpq's stderr.
final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

func postgresNoticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    let notice = PostgresError(result: result)
    // NOTICE is chatter ("relation already exists, skipping"); warnings deserve attention, and
    // so does a FATAL the server sends before it ends the session (a terminated backend).
    let level: Logger.Level = switch notice.severity {
    case "WARNING", "FATAL", "PANIC": .warning
    default: .debug
    }
    // The text of a notice can quote data, so it is only logged at debug level.
    var metadata: Logger.Metadata = ["postgres.severity": "\(notice.severity ?? "NOTICE")"]
    if let sqlState = notice.sqlState { metadata["postgres.sqlState"] = "\(sqlState)" }
    if sink.logger.logLevel <= .debug { metadata["postgres.message"] = "\(notice.message)" }
    sink.logger.log(level: level, "postgres notice", metadata: metadata)
}
