import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A bounded pool of connections, and the way the application talks to the database.
///
/// Tasks that find every connection busy wait in line (first come, first served) for at most
/// `acquireTimeout`, then get a `poolTimeout` error — the HTTP layer answers 503 with
/// `Retry-After`. Connections found broken are dropped and replaced; a connection handed back
/// inside a transaction is rolled back or dropped. Run it as a `Service` so that shutdown
/// closes it after the HTTP server has stopped.
public final class PostgresClient: Service, Sendable {
    public struct Configuration: Sendable {
        public var connection: PostgresConfiguration
        public var maximumConnections: Int
        public var acquireTimeout: Duration
        /// A connection idle for longer than this is pinged before it is handed out.
        public var idleCheckInterval: Duration
        /// Prefix of the pool's metric names.
        public var metricsPrefix: String

        public init(
            connection: PostgresConfiguration, maximumConnections: Int = 10,
            acquireTimeout: Duration = .seconds(5), idleCheckInterval: Duration = .seconds(30),
            metricsPrefix: String = "postgres_pool"
        ) {
            self.connection = connection
            self.maximumConnections = max(1, maximumConnections)
            self.acquireTimeout = acquireTimeout
            self.idleCheckInterval = idleCheckInterval
            self.metricsPrefix = metricsPrefix
        }
    }

    /// What a waiting task is handed: a connection, or a free slot to open one in.
    private enum Lease: Sendable {
        case connection(PostgresConnection)
        case openNew
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Lease, any Error>
        var timeout: Task<Void, Never>?
    }

    private struct IdleConnection {
        var connection: PostgresConnection
        var since: ContinuousClock.Instant
    }

    private struct State {
        var idle: [IdleConnection] = []
        /// Connections handed out plus slots being opened.
        var leased = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
        var drained: [CheckedContinuation<Void, Never>] = []

        var gauges: (inUse: Int, idle: Int, waiting: Int) { (leased, idle.count, waiters.count) }
    }

    public let configuration: Configuration
    /// Opening a connection blocks (name lookup, TLS, authentication); these threads do only
    /// that. Statements wait without a thread (`SocketReadiness`).
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let state = Mutex(State())
    private let inUseGauge: Gauge
    private let idleGauge: Gauge
    private let waitersGauge: Gauge
    private let acquireTimer: Metrics.Timer

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        threadPool = NIOThreadPool(numberOfThreads: min(configuration.maximumConnections, 4))
        threadPool.start()
        let prefix = configuration.metricsPrefix
        inUseGauge = Gauge(label: "\(prefix)_connections", dimensions: [("state", "in_use")])
        idleGauge = Gauge(label: "\(prefix)_connections", dimensions: [("state", "idle")])
        waitersGauge = Gauge(label: "\(prefix)_waiters")
        acquireTimer = Metrics.Timer(label: "\(prefix)_acquire_duration_seconds")
    }

    // MARK: - Using connections

    /// Lends a connection to `body` and takes it back afterwards, whatever happens. Statements
    /// the body left queued are sent first when it returns, and dropped when it throws.
    @discardableResult
    public func withConnection<Result>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            try await connection.flush()
            await release(connection)
            return result
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { try await $0.query(query) }
    }

    /// Runs `body` in a transaction; see `PostgresConnection.withTransaction`.
    @discardableResult
    public func withTransaction<Result>(
        _ options: TransactionOptions = TransactionOptions(),
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { try await $0.withTransaction(options, body) }
    }

    /// Runs `body` in a transaction and runs it again, up to `maximumAttempts` times in all,
    /// when it fails with a serialization failure or a deadlock.
    @discardableResult
    public func withRetryingTransaction<Result>(
        _ options: TransactionOptions = TransactionOptions(), maximumAttempts: Int = 3,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await withTransaction(options, body)
            } catch let error as PostgresError where error.isTransient && attempt < maximumAttempts {
                logger.debug("retrying transaction", metadata: ["postgres.sqlState": "\(error.sqlState?.rawValue ?? "")", "attempt": "\(attempt)"])
                // Jitter so that the transactions that collided do not collide again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
                attempt += 1
            }
        }
    }

    /// Tasks waiting in line for a connection (also the `_waiters` gauge).
    public var waitingCount: Int { state.withLock { $0.waiters.count } }

    // MARK: - Acquire and release

    public func acquire() async throws -> PostgresConnection {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            acquireTimer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        enum Step {
            case use(IdleConnection)
            case open
            case wait
        }
        let step = try state.withLock { state throws(PostgresError) -> Step in
            if state.closed { throw PostgresError(kind: .poolClosed, message: "the pool is closed") }
            if let idle = state.idle.popLast() {
                state.leased += 1
                return .use(idle)
            }
            if state.leased < configuration.maximumConnections {
                state.leased += 1
                return .open
            }
            return .wait
        }
        switch step {
        case .use(let idle):
            return try await checked(idle.connection, idleSince: idle.since)
        case .open:
            return try await openInSlot()
        case .wait:
            switch try await waitForLease() {
            case .connection(let connection): return try await checked(connection, idleSince: nil)
            case .openNew: return try await openInSlot()
            }
        }
    }

    /// Hands back a connection that is fine to reuse, or replaces it in the same slot.
    private func checked(_ connection: PostgresConnection, idleSince: ContinuousClock.Instant?) async throws -> PostgresConnection {
        updateGauges()
        if connection.isReusableWithoutRoundTrip() {
            guard let idleSince, ContinuousClock.now - idleSince > configuration.idleCheckInterval else { return connection }
            if await connection.ping() { return connection }
        }
        logger.debug("dropping a broken pooled connection")
        connection.close()
        return try await openInSlot()
    }

    private func openInSlot() async throws -> PostgresConnection {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: configuration.connection, threadPool: threadPool, logger: logger)
            updateGauges()
            return connection
        } catch {
            passOnSlot()
            throw error
        }
    }

    /// A slot was freed without a connection to go with it.
    private func passOnSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if !state.closed, !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.leased -= 1
            resumeDrainedIfDone(&state)
            return nil
        }
        if let waiter {
            waiter.timeout?.cancel()
            waiter.continuation.resume(returning: .openNew)
        }
        updateGauges()
    }

    private func waitForLease() async throws -> Lease {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let immediate = state.withLock { state -> Result<Lease, PostgresError>? in
                    if state.closed { return .failure(PostgresError(kind: .poolClosed, message: "the pool is closed")) }
                    if Task.isCancelled { return .failure(PostgresError(kind: .cancelled, message: "the task was cancelled")) }
                    if let idle = state.idle.popLast() {
                        state.leased += 1
                        return .success(.connection(idle.connection))
                    }
                    if state.leased < configuration.maximumConnections {
                        state.leased += 1
                        return .success(.openNew)
                    }
                    let timeout = configuration.acquireTimeout
                    let timer = Task { [weak self] in
                        guard (try? await Task.sleep(for: timeout)) != nil else { return }
                        self?.failWaiter(id, PostgresError(kind: .poolTimeout, message: "no database connection became free in time"))
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation, timeout: timer))
                    return nil
                }
                updateGauges()
                if let immediate { continuation.resume(with: immediate.mapError { $0 as any Error }) }
            }
        } onCancel: {
            failWaiter(id, PostgresError(kind: .cancelled, message: "the task was cancelled"))
        }
    }

    private func failWaiter(_ id: UInt64, _ error: PostgresError) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        guard let waiter else { return }
        waiter.timeout?.cancel()
        waiter.continuation.resume(throwing: error)
        updateGauges()
    }

    /// Takes a connection back: to the next waiter, to the idle list, or closed. Statements
    /// still queued on it are dropped unsent: call `flush()` before releasing to keep them.
    public func release(_ connection: PostgresConnection) async {
        // The next borrower must not send a statement it never queued.
        connection.discardQueue()
        var reusable = !connection.isClosed && connection.transactionStatus == .idle
        if !reusable, !connection.isClosed,
            [.inTransaction, .inFailedTransaction].contains(connection.transactionStatus)
        {
            // The borrower left a transaction open (it threw between BEGIN and COMMIT without
            // withTransaction, say): roll it back rather than hand its locks to the next task.
            try? await connection.execute(unsafeScript: "ROLLBACK")
            reusable = !connection.isClosed && connection.transactionStatus == .idle
        }
        if !reusable {
            connection.close()
            passOnSlot()
            return
        }
        let waiter = state.withLock { state -> Waiter? in
            if state.closed {
                state.leased -= 1
                resumeDrainedIfDone(&state)
                return nil
            }
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.leased -= 1
            state.idle.append(IdleConnection(connection: connection, since: .now))
            return nil
        }
        if let waiter {
            waiter.timeout?.cancel()
            waiter.continuation.resume(returning: .connection(connection))
        } else if state.withLock({ $0.closed }) {
            connection.close()
        }
        updateGauges()
    }

    private func resumeDrainedIfDone(_ state: inout State) {
        guard state.closed, state.leased == 0 else { return }
        for continuation in state.drained { continuation.resume() }
        state.drained = []
    }

    private func updateGauges() {
        let (inUse, idle, waiting) = state.withLock { $0.gauges }
        inUseGauge.record(inUse)
        idleGauge.record(idle)
        waitersGauge.record(waiting)
    }

    // MARK: - Lifecycle

    /// Waits for graceful shutdown, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Refuses new work, fails the waiting tasks, waits for lent connections to come back,
    /// closes every connection and stops the thread pool.
    public func close() async {
        let (idle, waiters) = state.withLock { state -> ([IdleConnection], [Waiter]) in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the pool is closed"))
        }
        for entry in idle { entry.connection.close() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.leased == 0 { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        updateGauges()
        try? await threadPool.shutdownGracefully()
    }
}
