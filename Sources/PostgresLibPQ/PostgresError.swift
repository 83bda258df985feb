/// A five-character SQLSTATE code, with names for the ones the application reacts to.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, e.g. "23" for integrity constraint violations.
    public var errorClass: String { String(rawValue.prefix(2)) }
    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let exclusionViolation = SQLState("23P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let syntaxError = SQLState("42601")
    public static let undefinedTable = SQLState("42P01")
    public static let insufficientPrivilege = SQLState("42501")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let lockNotAvailable = SQLState("55P03")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let stringDataRightTruncation = SQLState("22001")
    public static let numericValueOutOfRange = SQLState("22003")
    public static let characterNotInRepertoire = SQLState("22021")
    public static let untranslatableCharacter = SQLState("22P05")
    public static let raiseException = SQLState("P0001")
}

/// Every failure the wrapper reports.
///
/// `description` names the kind, the SQLSTATE and the schema objects involved, never the
/// server's message or detail: those can quote the values of a query (a name, an email), so
/// they are only available as properties, for a caller that decides where they may go.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The server answered the statement with an error; see `sqlState`.
        case server
        /// A connection could not be opened.
        case connectionFailed
        /// The connection broke (server restart, terminated backend, network).
        case connectionClosed
        /// No connection became free within the pool's acquire timeout.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// The statement was cancelled because the task that ran it was cancelled.
        case cancelled
        /// The wrapper was used in a way it does not support (e.g. COPY, two tasks on one connection).
        case misuse
    }

    public var kind: Kind
    public var sqlState: SQLState?
    public var severity: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?

    public init(
        kind: Kind, sqlState: SQLState? = nil, severity: String? = nil, message: String,
        detail: String? = nil, hint: String? = nil, schema: String? = nil, table: String? = nil,
        column: String? = nil, constraint: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.severity = severity
        self.message = message
        self.detail = detail
        self.hint = hint
        self.schema = schema
        self.table = table
        self.column = column
        self.constraint = constraint
    }

    /// True when the connection that produced the error cannot be used again.
    public var isConnectionLost: Bool {
        kind == .connectionClosed || kind == .connectionFailed || sqlState?.errorClass == "08"
            || sqlState == .adminShutdown || sqlState == .crashShutdown || severity == "FATAL" || severity == "PANIC"
    }

    /// True for the errors after which running the whole transaction again may succeed.
    public var isTransient: Bool {
        sqlState == .serializationFailure || sqlState == .deadlockDetected
    }

    public var description: String {
        var parts = ["kind: \(kind.rawValue)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        return "PostgresError(\(parts.joined(separator: ", ")))"
    }

    /// Everything, server message included: for debug logs only.
    public var fullDescription: String {
        var text = description + " " + message
        if let detail { text += " DETAIL: \(detail)" }
        if let hint { text += " HINT: \(hint)" }
        return text
    }

    static func misuse(_ message: String) -> PostgresError {
        PostgresError(kind: .misuse, message: message)
    }
}

/// A column could not be turned into the Swift type asked for.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case unexpectedNull
        case typeMismatch
        case invalidData
        case noSuchColumn
        case columnCountMismatch
    }

    public var reason: Reason
    public var column: String
    public var swiftType: String
    public var postgresType: UInt32?

    public var description: String {
        var text = "PostgresDecodingError(\(reason.rawValue), column: \(column), swiftType: \(swiftType)"
        if let postgresType { text += ", postgresTypeOID: \(postgresType)" }
        return text + ")"
    }
}
