import Foundation

/// Where and how to connect. Turned into libpq keyword/value pairs, never into a conninfo
/// string, so no value can smuggle in another setting.
public struct PostgresConfiguration: Sendable, Equatable {
    public enum SSLMode: String, Sendable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// A host name, an IP address, or (starting with `/`) a unix-socket directory.
    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: String?
    public var sslMode: SSLMode
    public var applicationName: String
    /// Seconds; libpq's minimum is 2.
    public var connectTimeout: Int
    /// Default for every statement on the connection; nil leaves the server's default.
    public var statementTimeout: Duration?
    /// A role to act as once connected (`SET ROLE` at connection start), for least privilege.
    /// Only a plain identifier (`[a-z_][a-z0-9_]*`) is kept; anything else is nil.
    public var role: String? {
        get { storedRole }
        set { storedRole = newValue.flatMap { $0.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil ? $0 : nil } }
    }
    private var storedRole: String?
    public var keepalives: Bool
    /// Seconds of idleness before the first TCP keepalive probe.
    public var keepalivesIdle: Int
    /// Statements each connection keeps prepared; 0 for none (a pooler in transaction mode
    /// without prepared-statement support).
    public var preparedStatementCacheSize: Int

    public init(
        host: String = "localhost", port: Int = 5432, database: String, user: String,
        password: String? = nil, sslMode: SSLMode = .prefer, applicationName: String = "veerkracht",
        connectTimeout: Int = 10, statementTimeout: Duration? = .seconds(30), keepalives: Bool = true,
        keepalivesIdle: Int = 60, preparedStatementCacheSize: Int = 256
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.keepalives = keepalives
        self.keepalivesIdle = keepalivesIdle
        self.preparedStatementCacheSize = preparedStatementCacheSize
    }

    public struct URLError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads `postgres://user:password@host:port/database?sslmode=…&application_name=…&connect_timeout=…&statement_timeout=…`.
    /// A unix-socket directory goes in the `host` query parameter or as a percent-encoded host.
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            // The URL can hold a password: do not repeat it.
            throw URLError(description: "the database URL must look like postgres://user:password@host:5432/database")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }

        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let user = components.user ?? query["user"] ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        self.init(
            host: query["host"] ?? components.host.flatMap { $0.removingPercentEncoding } ?? "localhost",
            port: components.port ?? query["port"].flatMap(Int.init) ?? 5432,
            database: path.removingPercentEncoding.flatMap { $0.isEmpty ? nil : $0 } ?? query["dbname"] ?? user,
            user: user,
            password: components.password ?? query["password"])
        if let mode = query["sslmode"] {
            guard let sslMode = SSLMode(rawValue: mode) else {
                throw URLError(description: "unknown sslmode '\(mode)' in the database URL")
            }
            self.sslMode = sslMode
        }
        if let name = query["application_name"] { applicationName = name }
        if let text = query["prepared_statement_cache_size"] {
            guard let size = Int(text), size >= 0 else {
                throw URLError(description: "prepared_statement_cache_size in the database URL must be a whole number")
            }
            preparedStatementCacheSize = size
        }
        if let text = query["connect_timeout"] {
            guard let seconds = Int(text), seconds >= 0 else {
                throw URLError(description: "connect_timeout in the database URL must be whole seconds")
            }
            connectTimeout = seconds
        }
        if let text = query["statement_timeout"] {
            guard let milliseconds = Int(text), milliseconds >= 0 else {
                throw URLError(description: "statement_timeout in the database URL must be milliseconds")
            }
            statementTimeout = milliseconds == 0 ? nil : .milliseconds(milliseconds)
        }
    }

    /// The keyword/value pairs for `PQconnectdbParams`.
    var libpqParameters: [(String, String)] {
        var pairs: [(String, String)] = [
            ("host", host),
            ("port", String(port)),
            ("dbname", database),
            ("user", user),
            ("sslmode", sslMode.rawValue),
            ("application_name", applicationName),
            ("connect_timeout", String(connectTimeout)),
            ("keepalives", keepalives ? "1" : "0"),
            ("keepalives_idle", String(keepalivesIdle)),
            ("client_encoding", "UTF8"),
        ]
        if let password { pairs.append(("password", password)) }
        var options: [String] = []
        if let statementTimeout {
            // Built from an integer we computed, not from text we were given.
            let milliseconds = statementTimeout.components.seconds * 1000
                + statementTimeout.components.attoseconds / 1_000_000_000_000_000
            options.append("-c statement_timeout=\(milliseconds)")
        }
        if let role { options.append("-c role=\(role)") }
        if !options.isEmpty { pairs.append(("options", options.joined(separator: " "))) }
        return pairs
    }
}
