import ArgumentParser
import Foundation
import PostgresLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The authenticated `GET /v1/me` through the release server under wrk, against `pgbench -S`
/// on the same PostgreSQL server.
struct HTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http", abstract: "Authenticated GET /v1/me on the release server (wrk) vs pgbench -S.")

    @OptionGroup var options: ServerBenchmarkOptions

    @Option(help: "pgbench scale factor (100,000 accounts each).")
    var scale: Int = 10

    static let minimumRatio = 0.35
    static let maximumP99Milliseconds = 10.0

    func validate() throws {
        guard scale > 0 else { throw ValidationError("--scale must be positive") }
    }

    func run() async throws {
        let server = try BenchmarkServer(url: options.databaseURL)
        let wrk = try Self.executable("wrk", hint: "scripts/setup.sh --bench (or apt-get install -y wrk)")
        let database = try await server.freshDatabase(named: "bench_http")
        try server.pgbench(["-i", "-q", "-s", String(scale)], database: database)

        let (outcome, stopped) = try await ReleaseServer.serving(options, server: server, database: database, name: "http") { release in
            try release.command(["users", "create", "--email", "bench@example.org", "--name", "Bench", "--role", "officer"])
            let token = try release.token(for: "bench@example.org")
            try release.expectOK("/v1/me", token: token)
            return try options.wrk(wrk, token: token, [release.baseURL + "/v1/me"])
        }
        let pgbenchThreads = min(options.connections, ProcessInfo.processInfo.activeProcessorCount)
        let tps = try server.pgbenchSelectOnly(clients: options.connections, seconds: options.seconds, database: database)
        report(outcome, tps: tps, pgbenchThreads: pgbenchThreads, stopped: stopped)
    }

    private func report(_ outcome: (command: String, run: WrkResult), tps: Double, pgbenchThreads: Int, stopped: Bool) {
        func verdict(_ ok: Bool) -> String { ok ? "PASS" : "FAIL" }
        let run = outcome.run
        let ratio = tps > 0 ? run.requestsPerSecond / tps : 0
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        print("authenticated GET /v1/me, release server (pool \(options.poolSize), log level warning, authentication cache \(options.authCacheSeconds > 0 ? "\(options.authCacheSeconds) s" : "off")), \(options.seconds) s per run after \(options.warmup) s warm-up, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("  \(outcome.command)")
        print("  pgbench -S -n -c \(options.connections) -j \(pgbenchThreads) -T \(options.seconds)  (scale \(scale), same server)")
        print(String(format: "requests/s     %10.0f", run.requestsPerSecond))
        print(String(format: "p50            %10.2f ms", run.p50Milliseconds))
        print(String(format: "p99            %10.2f ms", run.p99Milliseconds))
        print(String(format: "pgbench -S tps %10.0f", tps))
        print(String(format: "ratio          %10.2f   (requests/s ÷ pgbench tps)", ratio))
        if run.failures > 0 {
            print("errors         \(run.failures)   (non-2xx responses and socket errors: \(run.errorLines.joined(separator: "; ")))")
        }
        print("target ratio ≥ \(String(format: "%.2f", Self.minimumRatio)): \(verdict(ratio >= Self.minimumRatio))")
        print("target p99 < \(String(format: "%.0f", Self.maximumP99Milliseconds)) ms: \(verdict(run.p99Milliseconds < Self.maximumP99Milliseconds))")
        if run.failures > 0 { print("no errors: FAIL") }
        if !stopped { print("warning: the server did not stop on SIGTERM and was killed") }
    }

    // MARK: Finding things

    /// The folder of this executable: `CommandLine.arguments[0]` when it is a path, else the running image.
    private static func executableFolder() -> URL {
        let zeroth = CommandLine.arguments[0]
        if zeroth.contains("/") {
            return URL(fileURLWithPath: zeroth).resolvingSymlinksInPath().deletingLastPathComponent()
        }
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath().deletingLastPathComponent() }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    static func locateServerBinary(_ serverBinary: String?) throws -> URL {
        let url = serverBinary.map { URL(fileURLWithPath: $0) } ?? Self.executableFolder().appendingPathComponent("veerkracht")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw BenchmarkServer.Failure(description: """
                no server binary at \(url.path): build it beside the benchmarks, \
                e.g. swift build -c release --static-swift-stdlib --scratch-path .build-release (or pass --server-binary)
                """)
        }
        return url
    }

    static func locateSQLDirectory(_ sqlDir: String?) throws -> URL {
        if let sqlDir { return URL(fileURLWithPath: sqlDir) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("sql")]
        var folder = Self.executableFolder()
        for _ in 0..<5 {
            candidates.append(folder.appendingPathComponent("sql"))
            folder = folder.deletingLastPathComponent()
        }
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("migrations").path) {
            return candidate.standardizedFileURL
        }
        throw BenchmarkServer.Failure(description: "cannot find the sql/migrations folder: run from the repository or pass --sql-dir")
    }

    static func executable(_ name: String, hint: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BenchmarkServer.Failure(description: "\(name) is missing: \(hint)")
    }

    /// postgres://user[:password]@localhost[:port]/database?host=SOCKETDIR for a unix socket,
    /// postgres://user[:password]@host:port/database otherwise.
    static func databaseURL(_ base: PostgresConfiguration, database: String) -> String {
        func encode(_ text: String, keepSlash: Bool = false) -> String {
            var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
            if keepSlash { allowed.insert("/") }
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
        }
        var credentials = encode(base.user)
        if let password = base.password { credentials += ":" + encode(password) }
        if base.host.hasPrefix("/") {
            return "postgres://\(credentials)@localhost:\(base.port)/\(encode(database))?host=\(encode(base.host, keepSlash: true))"
        }
        let host = base.host.contains(":") ? "[\(base.host)]" : base.host
        return "postgres://\(credentials)@\(host):\(base.port)/\(encode(database))"
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    static func freePort() throws -> Int {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw BenchmarkServer.Failure(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BenchmarkServer.Failure(description: "bind() failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw BenchmarkServer.Failure(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    // MARK: Child processes

    /// Runs a short command: its standard output is read to the end before waiting (a pipe
    /// that fills up would block it), standard error goes to ours. Throws on a non-zero exit.
    @discardableResult
    static func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String]?) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.runWithSignalsUnblocked()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        try? output.fileHandleForReading.close()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw BenchmarkServer.Failure(description: "\(executable.lastPathComponent) \(arguments.first ?? "") failed (status \(process.terminationStatus)):\n\(text)")
        }
        return text
    }
}

/// The server under test: output to a log file (never a pipe, so that nothing it inherits
/// keeps our waits open), stopped with SIGTERM and a bounded wait.
final class ServerProcess {
    let process = Process()
    let log: URL

    init(binary: URL, environment: [String: String], log: URL) throws {
        self.log = log
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw BenchmarkServer.Failure(description: "cannot create the server log \(log.path)")
        }
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = binary
        process.arguments = ["serve"]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.runWithSignalsUnblocked()
        try? handle.close()
    }

    /// Polls GET /health/ready until it answers 200.
    func waitUntilReady(port: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw BenchmarkServer.Failure(description: "the server exited (status \(process.terminationStatus)) before it was ready")
            }
            if (try? HTTPProbe.status(port: port, path: "/health/ready")) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkServer.Failure(description: "the server did not answer 200 on /health/ready within \(timeout)")
    }

    /// SIGTERM, up to 15 s for a graceful stop, then SIGKILL. False when it had to be killed.
    @discardableResult
    func stop() -> Bool {
        guard process.isRunning else { return true }
        process.terminate()
        if waitForExit(seconds: 15) { return true }
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(seconds: 5)
        return false
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return !process.isRunning
    }

    func logTail(lines: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: log.path) else { return "" }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
    }
}

/// One blocking HTTP/1.1 request on 127.0.0.1; returns the status code.
enum HTTPProbe {
    static func status(port: Int, path: String, headers: [String] = []) throws -> Int {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw BenchmarkServer.Failure(description: "socket() failed: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchmarkServer.Failure(description: "connect to port \(port) failed: errno \(errno)") }

        let request = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Connection: close"] + headers + ["", ""])
            .joined(separator: "\r\n")
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeMutableBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, 0) }
            guard count > 0 else { throw BenchmarkServer.Failure(description: "send failed: errno \(errno)") }
            sent += count
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The status line is all we need.
        while !response.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        bytes = response
        let statusLine = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
            throw BenchmarkServer.Failure(description: "no HTTP status line from port \(port): '\(statusLine)'")
        }
        return code
    }
}

/// The figures of `wrk --latency` output.
struct WrkResult {
    var requestsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    /// Non-2xx/3xx responses plus socket errors.
    var failures: Int
    var errorLines: [String]

    init(parsing output: String) throws {
        var requests: Double?
        var p50: Double?
        var p99: Double?
        var failures = 0
        var errorLines: [String] = []
        for rawLine in output.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), fields.count >= 2 {
                requests = Double(fields[1])
            } else if fields.count == 2, fields[0] == "50%" {
                p50 = Self.milliseconds(fields[1])
            } else if fields.count == 2, fields[0] == "99%" {
                p99 = Self.milliseconds(fields[1])
            } else if line.hasPrefix("Non-2xx or 3xx responses:"), let count = fields.last.flatMap({ Int($0) }) {
                failures += count
                errorLines.append(line)
            } else if line.hasPrefix("Socket errors:") {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                let counts = fields.dropFirst(2).compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
                let sum = counts.reduce(0, +)
                if sum > 0 {
                    failures += sum
                    errorLines.append(line)
                }
            }
        }
        guard let requests, let p50, let p99 else {
            throw BenchmarkServer.Failure(description: "could not read Requests/sec and the 50%/99% latencies from wrk:\n\(output)")
        }
        requestsPerSecond = requests
        p50Milliseconds = p50
        p99Milliseconds = p99
        self.failures = failures
        self.errorLines = errorLines
    }

    /// "812.00us", "1.23ms", "2.01s", "1.50m" in milliseconds.
    static func milliseconds(_ text: Substring) -> Double? {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)) else { return nil }
            return value * factor
        }
        return nil
    }
}
