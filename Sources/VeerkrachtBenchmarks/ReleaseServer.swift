import ArgumentParser
import Foundation

/// What every benchmark of the release server under wrk is told.
struct ServerBenchmarkOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL of a server we may create a database on (default: VEERKRACHT_TEST_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Seconds per measurement.")
    var seconds: Int = 10

    @Option(help: "Seconds of wrk load before each measurement.")
    var warmup: Int = 2

    @Option(help: "Concurrent HTTP connections (wrk -c) and pgbench clients (-c).")
    var connections: Int = 16

    @Option(help: "wrk threads (-t).")
    var threads: Int = 2

    @Option(help: "The server's database pool size (VEERKRACHT_DB_POOL_SIZE).")
    var poolSize: Int = 16

    @Option(help: "The server's authentication cache lifetime (VEERKRACHT_AUTH_CACHE_SECONDS; 0: every request asks the database).")
    var authCacheSeconds: Int = 10

    @Option(help: "The veerkracht server binary (default: next to this executable).")
    var serverBinary: String?

    @Option(help: "The sql folder (default: found from this executable or the current folder).")
    var sqlDir: String?

    func validate() throws {
        guard seconds > 0, warmup >= 0, connections > 0, threads > 0, poolSize > 0, authCacheSeconds >= 0 else {
            throw ValidationError("--seconds, --connections, --threads and --pool-size must be positive; --warmup and --auth-cache-seconds at least 0")
        }
        guard threads <= connections else { throw ValidationError("--threads must not exceed --connections") }
    }

    /// `wrk` with these options' threads and connections, with a bearer token, for `seconds`
    /// after `warmup`; returns the command as shown (token hidden) and its result.
    func wrk(_ wrk: String, token: String, _ arguments: [String]) throws -> (command: String, run: WrkResult) {
        let header = "Authorization: Bearer \(token)"
        func command(_ duration: Int) -> [String] {
            ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency", "-H", header] + arguments
        }
        if warmup > 0 { _ = try HTTPBenchmark.runToEnd(URL(fileURLWithPath: wrk), command(warmup), environment: nil) }
        let output = try HTTPBenchmark.runToEnd(URL(fileURLWithPath: wrk), command(seconds), environment: nil)
        let shown = command(seconds).map { $0 == header ? "'Authorization: Bearer vk_…'" : $0 }
        return ("wrk " + shown.joined(separator: " "), try WrkResult(parsing: output))
    }
}

/// The release server on a benchmark database: started, ready, and stopped again with its
/// log shown when something failed.
struct ReleaseServer {
    let binary: URL
    let environment: [String: String]
    let port: Int

    /// Runs `body` against a started server; returns its result and whether the server
    /// stopped on SIGTERM (it is stopped before pgbench runs, to leave pgbench the machine).
    static func serving<Result>(
        _ options: ServerBenchmarkOptions, server: BenchmarkServer, database: String, name: String,
        _ body: (ReleaseServer) async throws -> Result
    ) async throws -> (result: Result, stopped: Bool) {
        let binary = try HTTPBenchmark.locateServerBinary(options.serverBinary)
        let sql = try HTTPBenchmark.locateSQLDirectory(options.sqlDir)
        let port = try HTTPBenchmark.freePort()
        var environment = ProcessInfo.processInfo.environment
        environment["VEERKRACHT_DATABASE_URL"] = HTTPBenchmark.databaseURL(server.base, database: database)
        environment["VEERKRACHT_HTTP_HOST"] = "127.0.0.1"
        environment["VEERKRACHT_HTTP_PORT"] = String(port)
        environment["VEERKRACHT_LOG_LEVEL"] = "warning"
        environment["VEERKRACHT_SQL_DIR"] = sql.path
        environment["VEERKRACHT_DB_POOL_SIZE"] = String(options.poolSize)
        environment["VEERKRACHT_AUTH_CACHE_SECONDS"] = String(options.authCacheSeconds)
        environment["VEERKRACHT_MIGRATE_ON_START"] = "true"
        environment["VEERKRACHT_PUBLIC_BASE_URL"] = nil

        let logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("veerkracht-bench-\(name)-\(ProcessInfo.processInfo.processIdentifier).log")
        let running = try ServerProcess(binary: binary, environment: environment, log: logURL)
        let result: Result
        do {
            try await running.waitUntilReady(port: port, timeout: .seconds(60))
            result = try await body(ReleaseServer(binary: binary, environment: environment, port: port))
        } catch {
            running.stop()
            let tail = running.logTail()
            if !tail.isEmpty { FileHandle.standardError.write(Data("server log (\(logURL.path)), last lines:\n\(tail)\n".utf8)) }
            throw error
        }
        let stopped = running.stop()
        try? FileManager.default.removeItem(at: logURL)
        return (result, stopped)
    }

    /// `veerkracht <arguments>` against this server's database.
    @discardableResult
    func command(_ arguments: [String]) throws -> String {
        try HTTPBenchmark.runToEnd(binary, arguments, environment: environment)
    }

    /// A new token of the user with this e-mail address, as `veerkracht tokens create` prints it.
    func token(for email: String) throws -> String {
        let output = try command(["tokens", "create", "--user", email])
        guard let token = output.split(whereSeparator: \.isNewline).last.map({ $0.trimmingCharacters(in: .whitespaces) }),
            token.hasPrefix("vk_")
        else {
            throw BenchmarkServer.Failure(description: "could not read the token from `veerkracht tokens create`:\n\(output)")
        }
        return token
    }

    /// Fails unless GET `path` with the token answers 200.
    func expectOK(_ path: String, token: String) throws {
        let status = try HTTPProbe.status(port: port, path: path, headers: ["Authorization: Bearer \(token)"])
        guard status == 200 else { throw BenchmarkServer.Failure(description: "GET \(path) answered \(status), not 200") }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
}
