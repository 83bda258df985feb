import Foundation
import Logging
import PostgresLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PostgreSQL server a benchmark runs against, and pgbench pointed at it.
struct BenchmarkServer {
    let base: PostgresConfiguration

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(url: String?) throws {
        guard let url = url ?? ProcessInfo.processInfo.environment["VEERKRACHT_TEST_DATABASE_URL"] else {
            throw Failure(description: "no database: run `make bench`, or pass --database-url")
        }
        base = try PostgresConfiguration(url: url)
    }

    func configuration(database: String) -> PostgresConfiguration {
        var configuration = base
        configuration.database = database
        configuration.statementTimeout = nil
        return configuration
    }

    /// Drops and creates `name` (a fixed name chosen by the benchmark).
    func freshDatabase(named name: String) async throws -> String {
        let admin = PostgresClient(configuration: .init(connection: base, maximumConnections: 1), logger: Logger(label: "bench"))
        do {
            try await admin.query("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)")
            try await admin.query("CREATE DATABASE \(unsafeRaw: name)")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        return name
    }

    /// Runs pgbench and returns its standard output.
    @discardableResult
    func pgbench(_ arguments: [String], database: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.pgbenchPath())
        process.arguments = arguments + [database]
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = base.host
        environment["PGPORT"] = String(base.port)
        environment["PGUSER"] = base.user
        if let password = base.password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.runWithSignalsUnblocked()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "pgbench \(arguments.joined(separator: " ")) failed")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `pgbench -S` with `clients` connections; returns transactions per second.
    func pgbenchSelectOnly(clients: Int, seconds: Int, database: String) throws -> Double {
        let threads = min(clients, ProcessInfo.processInfo.activeProcessorCount)
        let output = try pgbench(["-S", "-n", "-c", String(clients), "-j", String(threads), "-T", String(seconds)], database: database)
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 != " " })
        else {
            throw Failure(description: "could not read pgbench's tps")
        }
        return tps
    }

    static func pgbenchPath() throws -> String {
        for candidate in ["/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench", "/usr/local/bin/pgbench"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw Failure(description: "pgbench is missing: apt-get install -y postgresql-contrib (or postgresql-15)")
    }
}

extension Process {
    /// `run()` with no signal blocked in the child. A child inherits the signal mask of the
    /// thread that spawns it, and on Linux async code runs on Dispatch threads that block
    /// nearly every signal: pgbench would never see the SIGALRM that ends `-T`, and the
    /// server would never see our SIGTERM. So the mask is cleared around the spawn.
    func runWithSignalsUnblocked() throws {
        var none = sigset_t()
        var previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }
}
