import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht
#if canImport(Glibc)
import Glibc
#endif

/// The real `veerkracht serve` binary, as a process: it starts on a configured database and,
/// on SIGTERM, finishes the request in flight before it exits with status 0.
@Suite("The server process")
struct ServerProcessTests {
    /// `swift build` puts the executable beside the test bundle; `.build/debug` otherwise.
    static func executable() throws -> URL {
        let running = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let candidates = [
            running.deletingLastPathComponent().appendingPathComponent("veerkracht"),
            RepositoryFolder.root.appendingPathComponent(".build/debug/veerkracht"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw RawHTTPConnection.Failure(description: "no veerkracht executable at \(candidates.map(\.path)); run swift build first")
        }
        return found
    }

    /// The test server's URL with another database name.
    static func databaseURL(for configuration: PostgresConfiguration) throws -> String {
        let base = try #require(ProcessInfo.processInfo.environment["VEERKRACHT_TEST_DATABASE_URL"])
        var components = try #require(URLComponents(string: base))
        components.path = "/" + configuration.database
        return try #require(components.string)
    }

    /// A child process and its log, stopped (SIGKILL) if the test leaves it running.
    final class Server {
        let process = Process()
        let log: URL
        let port: Int

        init(environment: [String: String]) throws {
            port = try RawHTTPConnection.freePort()
            log = FileManager.default.temporaryDirectory.appendingPathComponent("veerkracht-serve-\(UUID()).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = try ServerProcessTests.executable()
            process.arguments = ["serve"]
            var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VEERKRACHT_") }
            variables.merge(environment) { $1 }
            variables["VEERKRACHT_HTTP_HOST"] = "127.0.0.1"
            variables["VEERKRACHT_HTTP_PORT"] = String(port)
            variables["VEERKRACHT_SQL_DIR"] = RepositoryFolder.sql.path
            process.environment = variables
            // No pipes: the child must not hold a descriptor that Foundation waits on.
            process.standardInput = FileHandle.nullDevice
            let output = try FileHandle(forWritingTo: log)
            process.standardOutput = output
            process.standardError = output
            // Started as a shell or systemd would start it: with no signal blocked. The
            // spawning thread (a Dispatch worker) blocks most signals, and a child inherits that.
            var none = sigset_t()
            var previous = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, &previous)
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            try process.run()
            try output.close()
        }

        deinit {
            if exitStatus() == nil { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: log)
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// The exit status once the process has ended (128 + signal when killed), without
        /// reaping it, so that Foundation can still do so.
        func exitStatus() -> Int32? {
            var info = siginfo_t()
            let result = waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT)
            if result != 0 {
                // ECHILD: Foundation reaped it already and knows the status.
                return process.isRunning ? nil : process.terminationStatus
            }
            guard info._sifields._sigchld.si_pid != 0 else { return nil }
            let status = info._sifields._sigchld.si_status
            return Int(info.si_code) == Int(CLD_EXITED) ? status : 128 + status
        }

        /// Waits up to `seconds` for the process to end.
        func waitForExit(seconds: Double) async throws -> Int32? {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if let status = exitStatus() { return status }
                try await Task.sleep(for: .milliseconds(50))
            }
            return exitStatus()
        }

        /// Waits until a new connection is refused; false if that does not happen in time.
        func waitUntilRefusing(seconds: Double) async throws -> Bool {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if (try? RawHTTPConnection(port: port, timeoutSeconds: 2)) == nil { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        /// Waits until /health/live answers 200.
        func waitUntilServing(seconds: Double) async throws {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if let status = exitStatus() {
                    throw RawHTTPConnection.Failure(description: "the server exited with \(status):\n\(output)")
                }
                if let connection = try? RawHTTPConnection(port: port, timeoutSeconds: 5) {
                    try? connection.transmit("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    if let response = try? connection.readResponse(), response.status == 200 { return }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw RawHTTPConnection.Failure(description: "the server did not start within \(seconds) s:\n\(output)")
        }
    }

    @Test(.timeLimit(.minutes(2)))
    func sigtermFinishesTheRequestInFlightThenExitsWithZero() async throws {
        let database = try await MigratedDatabase.make()
        let token = try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
            let administration = IdentityAdministration(database: client)
            _ = try await administration.createUser(email: "ops@example.org", name: "Ops", roles: [.admin], entities: [])
            return try await administration.createToken(user: "ops@example.org", name: "signal test", expiresInDays: 1).1.bearerValue
        }
        let server = try Server(environment: [
            "VEERKRACHT_DATABASE_URL": try Self.databaseURL(for: database),
            "VEERKRACHT_LOG_LEVEL": "info",
        ])
        try await server.waitUntilServing(seconds: 60)

        // Headers and part of the body: the request is in flight.
        let body = #"{"code":"DEP-SIGTERM","name":"Finished during shutdown"}"#
        let split = body.index(body.startIndex, offsetBy: 20)
        let connection = try RawHTTPConnection(port: server.port, timeoutSeconds: 20)
        try connection.transmit("""
            POST /v1/entities HTTP/1.1\r
            Host: 127.0.0.1:\(server.port)\r
            Authorization: Bearer \(token)\r
            Content-Type: application/json\r
            Content-Length: \(body.utf8.count)\r
            \r
            \(body[..<split])
            """)
        try await waitUntil("the server has read the request head") { try connection.serverHasReadEverything(serverPort: server.port) }

        #expect(kill(server.process.processIdentifier, SIGTERM) == 0)
        // The shutdown has begun once the server takes no new connections.
        let refusing = try await server.waitUntilRefusing(seconds: 15)
        #expect(refusing, "the listening socket closes on SIGTERM:\n\(server.output)")
        // Still there, and the 201 below proves it waited for the request in flight.
        #expect(server.exitStatus() == nil, "the server waits for the request in flight:\n\(server.output)")

        try connection.transmit(String(body[split...]))
        let response = try connection.readResponse()
        #expect(response.status == 201, "\(response.status) \(response.body)\n\(server.output)")
        #expect(connection.isClosedByPeer())

        let status = try await server.waitForExit(seconds: 30)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running")\n\(server.output)")

        // The request's effect is in the database.
        let codes = try await TestDatabase.withClient(maximumConnections: 1, configuration: database) { client in
            try await client.query("SELECT code FROM entities").map { try $0.decode(0, as: String.self) }
        }
        #expect(codes == ["DEP-SIGTERM"])
    }

    @Test(.timeLimit(.minutes(2)))
    func anIdleServerStopsOnSIGTERM() async throws {
        let database = try await MigratedDatabase.make()
        let server = try Server(environment: ["VEERKRACHT_DATABASE_URL": try Self.databaseURL(for: database)])
        try await server.waitUntilServing(seconds: 60)
        // An idle keep-alive connection does not hold the shutdown up.
        let idle = try RawHTTPConnection(port: server.port, timeoutSeconds: 20)
        try idle.transmit("GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let ready = try idle.readResponse()
        #expect(ready.status == 200)
        #expect(kill(server.process.processIdentifier, SIGTERM) == 0)
        let status = try await server.waitForExit(seconds: 30)
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none: still running")\n\(server.output)")
        #expect(idle.isClosedByPeer())
    }
}
