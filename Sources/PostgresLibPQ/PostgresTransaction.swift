/// How a transaction starts, and the settings it carries.
public struct TransactionOptions: Sendable {
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    public var isolation: IsolationLevel
    public var readOnly: Bool
    /// Set with `set_config(name, value, true)` right after BEGIN, so they last until the
    /// transaction ends — row-level security policies read the current user from here.
    public var settings: [(name: String, value: String)]

    public init(isolation: IsolationLevel = .readCommitted, readOnly: Bool = false, settings: [(name: String, value: String)] = []) {
        self.isolation = isolation
        self.readOnly = readOnly
        self.settings = settings
    }

    var beginStatement: String {
        "BEGIN ISOLATION LEVEL \(isolation.rawValue)" + (readOnly ? " READ ONLY" : "")
    }
}

extension PostgresConnection {
    /// Runs `body` between BEGIN and COMMIT; any error thrown rolls the transaction back and
    /// is rethrown.
    ///
    /// BEGIN and the settings are queued, so they reach the server with the body's first
    /// statement, and COMMIT goes with whatever the body left queued: a body that sends one
    /// statement and queues the rest costs two round trips. A body that sends and queues
    /// nothing costs none.
    @discardableResult
    public func withTransaction<Result>(
        _ options: TransactionOptions = TransactionOptions(),
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // Statements queued before the transaction must not become part of it.
        try await flush()
        do {
            // Only fixed text from the options enum goes into the statement.
            try queue(PostgresQuery(unsafeSQL: options.beginStatement))
            for setting in options.settings {
                try queue("SELECT set_config(\(setting.name), \(setting.value), true)")
            }
            let untouched = queueMark
            let result = try await body(self)
            // COMMIT of a failed transaction quietly rolls back; say so instead.
            guard transactionStatus != .inFailedTransaction else {
                throw PostgresError.misuse("a statement in the transaction failed and its error was ignored")
            }
            if queueMark == untouched {
                // BEGIN never left: there is nothing to commit.
                discardQueue()
            } else {
                try await query("COMMIT")
            }
            return result
        } catch {
            // What is still queued never ran. If BEGIN never ran either, the server is idle and
            // there is nothing to roll back. A cancelled task cannot run ROLLBACK; the pool then
            // drops the connection instead.
            discardQueue()
            if !isClosed, transactionStatus != .idle { try? await execute(unsafeScript: "ROLLBACK") }
            throw error
        }
    }
}
