import Foundation
import Logging
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// A server of its own, so restarting it does not disturb the tests running in parallel.
private struct PrivateServer {
    let directory: String
    let script: String

    /// Starts a server, runs `body` against it, and removes it whatever happens.
    static func with(_ body: (PrivateServer) async throws -> Void) async throws {
        let server = try await start()
        do {
            try await body(server)
        } catch {
            await server.remove()
            throw error
        }
        await server.remove()
    }

    private static func start() async throws -> PrivateServer {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let server = PrivateServer(
            directory: "/tmp/vkr." + String(UUID().uuidString.prefix(8)).lowercased(),
            script: root.appendingPathComponent("scripts/test-postgres.sh").path)
        try await server.control("start")
        return server
    }

    func control(_ command: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, command, directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard try await process.runUntilExit() == 0 else {
            throw PostgresError(kind: .misuse, message: "test-postgres.sh \(command) failed")
        }
    }

    var configuration: PostgresConfiguration {
        PostgresConfiguration(host: directory, database: "postgres", user: "postgres", sslMode: .disable)
    }

    func remove() async {
        try? await control("stop")
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite("A restarted server")
struct ServerRestartTests {
    @Test func thePoolRecoversWithoutRestartingTheProcess() async throws {
        try await PrivateServer.with { server in
            try await TestDatabase.withClient(maximumConnections: 4, configuration: server.configuration) { client in
                // Fill the pool with idle connections that the restart will break.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 { group.addTask { try await client.query("SELECT pg_sleep(0.05)") } }
                    try await group.waitForAll()
                }
                try await server.control("restart")
                for attempt in 0..<8 {
                    #expect(try await client.query("SELECT \(attempt) AS v")[0].decode(0, as: Int.self) == attempt)
                }
            }
        }
    }

    @Test func whileTheServerIsDownCallersGetAnErrorNotAHang() async throws {
        try await PrivateServer.with { server in
            try await TestDatabase.withClient(maximumConnections: 2, configuration: server.configuration) { client in
                try await client.query("SELECT 1")
                try await server.control("stop")
                do {
                    try await client.query("SELECT 1")
                    Issue.record("a stopped server cannot answer")
                } catch let error as PostgresError {
                    #expect(error.isConnectionLost)
                }
                try await server.control("resume")
                #expect(try await client.query("SELECT 5")[0].decode(0, as: Int.self) == 5)
            }
        }
    }
}

@Suite("LISTEN / NOTIFY")
struct NotificationTests {
    @Test func notificationsArriveWithoutPolling() async throws {
        let configuration = try await TestDatabase.makeDatabase()
        let listener = try PostgresNotificationListener(
            configuration: configuration, channels: ["deadline_due", "Mixed Case"], logger: TestDatabase.logger)
        defer { listener.stop() }
        var events = listener.events.makeAsyncIterator()
        let first = await events.next()
        #expect(first == .listening)
        try await TestDatabase.withClient(configuration: configuration) { client in
            try await client.query("SELECT pg_notify('deadline_due', \("trajectory 42"))")
            try await client.query("SELECT pg_notify('Mixed Case', '')")
        }
        let received = [await events.next(), await events.next()]
        #expect(received == [
            .notification(channel: "deadline_due", payload: "trajectory 42"),
            .notification(channel: "Mixed Case", payload: ""),
        ])
    }

    @Test func aBrokenConnectionIsReportedAndListeningResumes() async throws {
        let configuration = try await TestDatabase.makeDatabase()
        let capture = LogCapture()
        let listener = try PostgresNotificationListener(
            configuration: configuration, channels: ["changes"], logger: Logger(label: "test") { _ in capture })
        defer { listener.stop() }
        var events = listener.events.makeAsyncIterator()
        let first = await events.next()
        #expect(first == .listening)
        try await TestDatabase.withClient(configuration: configuration) { client in
            try await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()")
            let lost = await events.next()
            #expect(lost == .disconnected)
            let back = await events.next()
            #expect(back == .listening)
            try await client.query("SELECT pg_notify('changes', 'after')")
        }
        let after = await events.next()
        #expect(after == .notification(channel: "changes", payload: "after"))
        // The server's FATAL before it closed the session went to the log (as JSON, in the
        // server), not through libpq's default printing to stderr.
        #expect(capture.messages.contains { $0.contains("postgres notice") && $0.contains("FATAL") && $0.hasPrefix("warning") },
                "\(capture.messages)")
    }
}
