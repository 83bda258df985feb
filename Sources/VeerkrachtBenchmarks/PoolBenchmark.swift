import ArgumentParser
import Foundation
import Logging
import PostgresLibPQ
import Synchronization

/// Primary-key SELECTs through our pool against `pgbench -S` with the same client counts.
struct PoolBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Primary-key SELECT through the pool vs pgbench -S.")

    @Option(help: "PostgreSQL URL of a server we may create a database on (default: VEERKRACHT_TEST_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Seconds per measurement.")
    var seconds: Int = 10

    @Option(parsing: .upToNextOption, help: "Concurrent clients to measure.")
    var clients: [Int] = [1, 4, 16]

    @Option(help: "pgbench scale factor (100,000 accounts each).")
    var scale: Int = 10

    func run() async throws {
        let server = try BenchmarkServer(url: databaseURL)
        let database = try await server.freshDatabase(named: "bench_pool")
        try server.pgbench(["-i", "-q", "-s", String(scale)], database: database)
        let accounts = scale * 100_000

        print("command: \(CommandLine.arguments.joined(separator: " "))")
        print("primary-key SELECT on pgbench_accounts (\(accounts) rows), \(seconds) s per run, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("clients  pgbench -S tps  veerkracht pool qps  ratio")
        for clientCount in clients {
            let pgbench = try server.pgbenchSelectOnly(clients: clientCount, seconds: seconds, database: database)
            let ours = try await measurePool(server.configuration(database: database), clients: clientCount, accounts: accounts)
            print(String(format: "%7d  %14.0f  %19.0f  %5.2f", clientCount, pgbench, ours, ours / pgbench))
        }
    }

    private func measurePool(_ configuration: PostgresConfiguration, clients: Int, accounts: Int) async throws -> Double {
        let client = PostgresClient(
            configuration: .init(connection: configuration, maximumConnections: clients), logger: Logger(label: "bench"))
        // Warm every connection before the clock starts, as pgbench connects before it measures.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients { group.addTask { try await client.query("SELECT pg_sleep(0.01)") } }
            try await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(seconds)
        let started = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var count = 0
                    var generator = SystemRandomNumberGenerator()
                    while ContinuousClock.now < deadline {
                        let id = Int32.random(in: 1...Int32(accounts), using: &generator)
                        let rows = try await client.query("SELECT abalance FROM pgbench_accounts WHERE aid = \(id)")
                        _ = try rows[0].decode(0, as: Int32.self)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        await client.close()
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}
