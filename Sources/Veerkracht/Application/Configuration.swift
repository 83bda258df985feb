import Foundation
import Logging
import PostgresLibPQ

/// Everything the server can be told, read from `VEERKRACHT_*` environment variables with
/// defaults that make `make run` work on a developer machine.
public struct Configuration: Sendable {
    /// nil: run the embedded PostgreSQL under `dataDirectory`.
    public var databaseURL: String?
    public var dataDirectory: String
    public var sqlDirectory: URL
    public var httpHost: String
    public var httpPort: Int
    public var logLevel: Logger.Level
    public var databasePoolSize: Int
    public var databaseAcquireTimeout: Duration
    public var maximumBodySize: Int
    public var migrateOnStart: Bool
    /// Base of the absolute links in responses (`next`, `Location`); nil: from the request's Host.
    public var publicBaseURL: String?
    /// How long an instance may answer "who is this token" from memory; 0 turns it off.
    /// Changes reach the cache by NOTIFY at once; this bounds what a lost notification costs.
    public var authenticationCacheLifetime: Duration
    /// The role the server acts as (least privilege: the audit log is append-only for it);
    /// nil: the connecting user's own rights.
    public var databaseRole: String?
    /// How often `serve` sweeps for missed deadlines.
    public var sweepInterval: Duration
    /// The marketplace's figures: a full week, an offer's longest run, the score weights,
    /// the size above which a match round runs as a job.
    public var mobility: MobilitySettings

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(
        databaseURL: String? = nil, dataDirectory: String = ".veerkracht", sqlDirectory: URL,
        httpHost: String = "127.0.0.1", httpPort: Int = 8080, logLevel: Logger.Level = .info,
        databasePoolSize: Int = 10, databaseAcquireTimeout: Duration = .seconds(5),
        maximumBodySize: Int = 1 << 20, migrateOnStart: Bool = true, publicBaseURL: String? = nil,
        authenticationCacheLifetime: Duration = .seconds(10), databaseRole: String? = "veerkracht_app",
        sweepInterval: Duration = .seconds(300), mobility: MobilitySettings = MobilitySettings()
    ) {
        self.databaseURL = databaseURL
        self.dataDirectory = dataDirectory
        self.sqlDirectory = sqlDirectory
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.logLevel = logLevel
        self.databasePoolSize = databasePoolSize
        self.databaseAcquireTimeout = databaseAcquireTimeout
        self.maximumBodySize = maximumBodySize
        self.migrateOnStart = migrateOnStart
        self.publicBaseURL = publicBaseURL
        self.authenticationCacheLifetime = authenticationCacheLifetime
        self.databaseRole = databaseRole
        self.sweepInterval = sweepInterval
        self.mobility = mobility
    }

    /// Reads the environment; a malformed value is an error that names the variable.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw Invalid(description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func flag(_ name: String, default fallback: Bool) throws -> Bool {
            guard let text = value(name)?.lowercased() else { return fallback }
            switch text {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw Invalid(description: "\(name) must be true or false")
            }
        }
        var logLevel = Logger.Level.info
        if let text = value("VEERKRACHT_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Invalid(description: "VEERKRACHT_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }
        let sqlDirectory = try value("VEERKRACHT_SQL_DIR").map { URL(fileURLWithPath: $0) } ?? Self.findSQLDirectory()
        self.init(
            databaseURL: value("VEERKRACHT_DATABASE_URL"),
            dataDirectory: value("VEERKRACHT_DATA_DIR") ?? ".veerkracht",
            sqlDirectory: sqlDirectory,
            httpHost: value("VEERKRACHT_HTTP_HOST") ?? "127.0.0.1",
            httpPort: try integer("VEERKRACHT_HTTP_PORT", default: 8080, range: 0...65535),
            logLevel: logLevel,
            databasePoolSize: try integer("VEERKRACHT_DB_POOL_SIZE", default: 10, range: 1...500),
            databaseAcquireTimeout: .milliseconds(try integer("VEERKRACHT_DB_ACQUIRE_TIMEOUT_MS", default: 5000, range: 1...600_000)),
            maximumBodySize: try integer("VEERKRACHT_MAX_BODY_SIZE", default: 1 << 20, range: 1024...(64 << 20)),
            migrateOnStart: try flag("VEERKRACHT_MIGRATE_ON_START", default: true),
            publicBaseURL: value("VEERKRACHT_PUBLIC_BASE_URL"),
            authenticationCacheLifetime: .seconds(try integer("VEERKRACHT_AUTH_CACHE_SECONDS", default: 10, range: 0...300)),
            databaseRole: try Self.role(environment["VEERKRACHT_DB_ROLE"]),
            sweepInterval: .seconds(try integer("VEERKRACHT_SWEEP_INTERVAL_SECONDS", default: 300, range: 1...86_400)),
            mobility: MobilitySettings(
                offerRules: OfferRules(
                    fullWeekHours: Double(try integer("VEERKRACHT_FULL_WEEK_HOURS", default: 38, range: 10...60)),
                    maximumMonths: try integer("VEERKRACHT_OFFER_MAX_MONTHS", default: 12, range: 1...60)),
                weights: try Self.weights(value("VEERKRACHT_MATCH_WEIGHTS")),
                roundJobPairs: try integer("VEERKRACHT_MATCH_ROUND_JOB_PAIRS", default: 250_000, range: 0...1_000_000_000)))
        if let databaseURL {
            do {
                _ = try PostgresConfiguration(url: databaseURL)
            } catch {
                throw Invalid(description: "VEERKRACHT_DATABASE_URL: \(error)")
            }
        }
    }

    /// `competencies=0.4,talents=0.25,hoursAndDates=0.15,travel=0.1,adaptations=0.1`; a part
    /// left out keeps its default weight (`MatchWeights.standard`).
    static func weights(_ text: String?) throws -> MatchWeights {
        var weights = MatchWeights.standard
        guard let text else { return weights }
        let invalid = Invalid(description: "VEERKRACHT_MATCH_WEIGHTS must be part=weight pairs separated by commas, parts \(ScorePart.allCases.map(\.rawValue).joined(separator: ", ")), weights from 0 to 1")
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let part = ScorePart(rawValue: parts[0]), let weight = Double(parts[1]), (0...1).contains(weight) else {
                throw invalid
            }
            switch part {
            case .competencies: weights.competencies = weight
            case .talents: weights.talents = weight
            case .hoursAndDates: weights.hoursAndDates = weight
            case .travel: weights.travel = weight
            case .adaptations: weights.adaptations = weight
            }
        }
        guard weights.isValid else { throw invalid }
        return weights
    }

    /// Unset: `veerkracht_app`; empty or `none`: no role switch; otherwise a plain identifier.
    static func role(_ text: String?) throws -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces) else { return "veerkracht_app" }
        if text.isEmpty || text == "none" { return nil }
        guard text.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil else {
            throw Invalid(description: "VEERKRACHT_DB_ROLE must be a lower-case identifier, empty or none")
        }
        return text
    }

    /// `./sql`, or the `sql` folder of the checkout the executable was built in (so that
    /// `swift run` works from any folder of the repository).
    static func findSQLDirectory() throws -> URL {
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("sql")]
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("sql"))
            folder = folder.deletingLastPathComponent()
        }
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("migrations").path) {
            return candidate
        }
        throw Invalid(description: "cannot find the sql/migrations folder: run from the repository or set VEERKRACHT_SQL_DIR")
    }
}
