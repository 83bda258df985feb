import CLibPQ
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection. Every blocking libpq call runs on the connection's thread pool,
/// never on Swift's cooperative threads. A connection serves one task at a time: a second
/// task that tries to use it while a statement runs gets a `misuse` error, not a corrupted
/// protocol stream.
public final class PostgresConnection: @unchecked Sendable {
    private enum Phase {
        case idle
        case queued
        case cancelledBeforeStart
        case running
        case cancelRequested
        case closed
    }

    private struct State {
        var phase: Phase = .idle
        var ticket: UInt64 = 0
    }

    private let pointer: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let threadPool: NIOThreadPool
    private let noticeSink: Unmanaged<NoticeSink>
    private let state = Mutex(State())
    private let statementCacheCapacity: Int
    public let logger: Logger

    private init(pointer: OpaquePointer, threadPool: NIOThreadPool, statementCacheCapacity: Int, logger: Logger) {
        self.pointer = pointer
        self.statementCacheCapacity = statementCacheCapacity
        self.threadPool = threadPool
        self.logger = logger
        self.cancelHandle = PQgetCancel(pointer)
        self.noticeSink = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeReceiver(pointer, postgresNoticeReceiver, noticeSink.toOpaque())
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(pointer)
        noticeSink.release()
    }

    /// Opens a connection on `threadPool`.
    public static func connect(
        configuration: PostgresConfiguration, threadPool: NIOThreadPool, logger: Logger
    ) async throws -> PostgresConnection {
        try await threadPool.runIfActive {
            try connectBlocking(configuration: configuration, threadPool: threadPool, logger: logger)
        }
    }

    private static func connectBlocking(
        configuration: PostgresConfiguration, threadPool: NIOThreadPool, logger: Logger
    ) throws -> PostgresConnection {
        PostgresConnection(
            pointer: try openHandle(configuration), threadPool: threadPool,
            statementCacheCapacity: configuration.preparedStatementCacheSize, logger: logger)
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
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let result = try await run { pointer in
            query.bindings.bytes.withUnsafeBufferPointer { bytes in
                self.execute(pointer, sql: query.sql, bindings: query.bindings, bytes: bytes)
            }
        }
        return PostgresRows(result: result)
    }

    /// Runs SQL text that may hold several statements and no parameters, such as a migration
    /// file. Never pass it text that contains input from outside.
    public func execute(unsafeScript sql: String) async throws {
        _ = try await run { pointer in PQexec(pointer, sql) }
    }

    private struct StatementKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    /// Statements this connection has prepared, by text and parameter types: a repeated
    /// statement skips parsing and planning on the server. Touched only inside `runBlocking`,
    /// which one thread at a time runs for a connection.
    private var preparedStatements: [StatementKey: String] = [:]

    private func execute(
        _ pointer: OpaquePointer, sql: String, bindings: PostgresBindings, bytes: UnsafeBufferPointer<UInt8>
    ) -> OpaquePointer? {
        let count = bindings.parameters.count
        return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(count, 1)) { values in
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
                        let key = StatementKey(sql: sql, types: bindings.parameters.map(\.type))
                        var name = preparedStatements[key]
                        if name == nil, preparedStatements.count < statementCacheCapacity {
                            let candidate = "vk_\(preparedStatements.count + 1)"
                            let prepared = PQprepare(pointer, candidate, sql, Int32(count), types.baseAddress)
                            guard PQresultStatus(prepared) == PGRES_COMMAND_OK else { return prepared }
                            PQclear(prepared)
                            preparedStatements[key] = candidate
                            name = candidate
                        }
                        guard let name else {
                            return PQexecParams(
                                pointer, sql, Int32(count), types.baseAddress, values.baseAddress,
                                lengths.baseAddress, formats.baseAddress, 1)
                        }
                        return PQexecPrepared(pointer, name, Int32(count), values.baseAddress, lengths.baseAddress, formats.baseAddress, 1)
                    }
                }
            }
        }
    }

    /// Runs a blocking libpq call on the thread pool, with cancellation that reaches the server.
    private func run(
        _ body: @escaping @Sendable (OpaquePointer) -> OpaquePointer?
    ) async throws -> PostgresResult {
        if Task.isCancelled { throw PostgresError(kind: .cancelled, message: "the task was cancelled") }
        let ticket = try state.withLock { state throws(PostgresError) -> UInt64 in
            switch state.phase {
            case .idle:
                state.ticket &+= 1
                state.phase = .queued
                return state.ticket
            case .closed:
                throw PostgresError(kind: .connectionClosed, message: "the connection was closed")
            default:
                throw PostgresError.misuse("a connection serves one task at a time")
            }
        }
        do {
            return try await withTaskCancellationHandler {
                try await threadPool.runIfActive { try self.runBlocking(ticket: ticket, body) }
            } onCancel: {
                self.cancel(ticket: ticket)
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            state.withLock { if $0.ticket == ticket, $0.phase == .queued { $0.phase = .idle } }
            throw PostgresError(kind: .poolClosed, message: "the database thread pool has shut down")
        }
    }

    private func runBlocking(
        ticket: UInt64, _ body: (OpaquePointer) -> OpaquePointer?
    ) throws(PostgresError) -> PostgresResult {
        let mayStart = state.withLock { state -> Bool in
            guard state.phase == .queued else {
                if state.phase == .cancelledBeforeStart { state.phase = .idle }
                return false
            }
            state.phase = .running
            return true
        }
        guard mayStart else { throw PostgresError(kind: .cancelled, message: "the task was cancelled") }
        let result = body(pointer)
        let wasCancelled = state.withLock { state -> Bool in
            defer { if state.phase != .closed { state.phase = .idle } }
            return state.phase == .cancelRequested
        }
        return try interpret(result, cancelled: wasCancelled)
    }

    private func cancel(ticket: UInt64) {
        let sent = state.withLock { state -> Bool in
            guard state.ticket == ticket else { return false }
            switch state.phase {
            case .queued:
                state.phase = .cancelledBeforeStart
                return false
            case .running:
                state.phase = .cancelRequested
                sendCancelRequest()
                return true
            default:
                return false
            }
        }
        guard sent else { return }
        // A cancel request that reaches the server before the statement does is ignored, so
        // repeat it while the same statement is still running.
        Task.detached { [weak self] in
            for _ in 0..<100 {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                let stillRunning = self.state.withLock { state -> Bool in
                    guard state.ticket == ticket, state.phase == .cancelRequested else { return false }
                    self.sendCancelRequest()
                    return true
                }
                if !stillRunning { return }
            }
        }
    }

    /// Called with the state lock held: that keeps the connection from being handed to the
    /// next statement before the cancel request has landed.
    private func sendCancelRequest() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    private func interpret(_ result: OpaquePointer?, cancelled: Bool) throws(PostgresError) -> PostgresResult {
        guard let result else { throw connectionError() }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(result)
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            var error = PostgresError(result: result)
            PQclear(result)
            if PQstatus(pointer) != CONNECTION_OK { error.kind = .connectionClosed }
            if cancelled && error.sqlState == .queryCanceled { error.kind = .cancelled }
            throw error
        default:
            // COPY and the other streaming modes are not supported; the connection is left in a
            // state the pool will not reuse.
            PQclear(result)
            throw PostgresError.misuse("COPY and streaming results are not supported")
        }
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

private func postgresNoticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    let notice = PostgresError(result: result)
    // NOTICE is chatter ("relation already exists, skipping"); only warnings deserve attention.
    let level: Logger.Level = notice.severity == "WARNING" ? .warning : .debug
    // The text of a notice can quote data, so it is only logged at debug level.
    var metadata: Logger.Metadata = ["postgres.severity": "\(notice.severity ?? "NOTICE")"]
    if let sqlState = notice.sqlState { metadata["postgres.sqlState"] = "\(sqlState)" }
    if sink.logger.logLevel <= .debug { metadata["postgres.message"] = "\(notice.message)" }
    sink.logger.log(level: level, "postgres notice", metadata: metadata)
}
