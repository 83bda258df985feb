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
    @discardableResult
    public func withTransaction<Result>(
        _ options: TransactionOptions = TransactionOptions(),
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // Only fixed text from the options enum goes into the statement.
        try await execute(unsafeScript: options.beginStatement)
        do {
            for setting in options.settings {
                try await query("SELECT set_config(\(setting.name), \(setting.value), true)")
            }
            let result = try await body(self)
            // COMMIT of a failed transaction quietly rolls back; say so instead.
            guard transactionStatus != .inFailedTransaction else {
                throw PostgresError.misuse("a statement in the transaction failed and its error was ignored")
            }
            try await execute(unsafeScript: "COMMIT")
            return result
        } catch {
            // A cancelled task cannot run ROLLBACK; the pool then drops the connection instead.
            if !isClosed, transactionStatus != .idle { try? await execute(unsafeScript: "ROLLBACK") }
            throw error
        }
    }
}
