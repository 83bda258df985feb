import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's private PostgreSQL cluster, used when no database is configured.
///
/// The cluster lives in `dataDirectory` (it is PGDATA) and is created on first use. The
/// server listens on a unix socket only, never on TCP, in a folder that only its own user
/// can enter; that is why trusting local connections is acceptable here.
///
/// When we run as root (CI, containers), initdb and postgres refuse to run, so they are
/// started as the `postgres` system user through `runuser`, and the folders are theirs.
public struct EmbeddedPostgres: Sendable {
    /// Where to connect: a unix socket `<socketDirectory>/.s.PGSQL.<port>`.
    public struct Endpoint: Sendable, Equatable {
        public var socketDirectory: String
        public var port: Int
        public var user: String

        public init(socketDirectory: String, port: Int, user: String) {
            self.socketDirectory = socketDirectory
            self.port = port
            self.user = user
        }
    }

    /// The cluster's folder, as an absolute path.
    public let dataDirectory: String
    private let logger: Logger

    static let port = 5432
    static let superuser = "postgres"
    /// A unix socket path may hold at most 107 bytes; keep a margin.
    static let maximumSocketPathLength = 100

    public init(dataDirectory: String, logger: Logger) {
        // Absolute, because the server runs from its own folder and the socket path is
        // measured as a whole.
        self.dataDirectory = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        self.logger = logger
    }

    /// The server's log, also quoted in the error when it does not start.
    public var logFile: String { dataDirectory + "/postgres.log" }

    /// The data folder itself when the socket path fits there, else a short folder under
    /// /tmp named after a stable hash of the data folder, so each cluster keeps its own.
    public var socketDirectory: String {
        if Self.socketPathFits(in: dataDirectory) { return dataDirectory }
        return "/tmp/vk-" + Self.stableHash(dataDirectory)
    }

    /// `start()` from async code: initdb and pg_ctl block for seconds, and on one of Swift's
    /// cooperative threads (two on a 2-core machine) that stalls every other task meanwhile.
    public func start() async throws -> Endpoint {
        try await Self.onThreadOfItsOwn { try self.start() }
    }

    /// `stop()` from async code, for the same reason.
    public func stop() async throws {
        try await Self.onThreadOfItsOwn { try self.stop() }
    }

    private static func onThreadOfItsOwn<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result(catching: work)) }
        }
    }

    /// Creates the cluster if needed, starts it unless it is running, and says where to
    /// connect.
    public func start() throws -> Endpoint {
        // pg_ctl hands the data folder to /bin/sh inside double quotes.
        if dataDirectory.contains(where: { "\"$`\\".contains($0) }) {
            throw EmbeddedPostgresError(
                "pg_ctl cannot use a data folder whose path holds \", $, ` or \\: \(dataDirectory). "
                    + "Choose another one with VEERKRACHT_DATA_DIR."
            )
        }
        let binaries = try Self.findBinaries()
        let account = try ServerAccount.current()
        let endpoint = Endpoint(socketDirectory: socketDirectory, port: Self.port, user: Self.superuser)

        try prepareFolder(dataDirectory, account: account, sharedParent: false)
        if endpoint.socketDirectory != dataDirectory {
            try prepareFolder(endpoint.socketDirectory, account: account, sharedParent: true)
        }
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            try initializeCluster(binaries: binaries, account: account)
        }

        switch try clearStaleLock() {
        case .running:
            logger.info("Embedded PostgreSQL is already running", metadata: ["dataDirectory": "\(dataDirectory)"])
            return endpoint
        case .notRunning:
            break
        }

        try writeSettings(socketDirectory: endpoint.socketDirectory, account: account)
        logger.info(
            "Starting embedded PostgreSQL",
            metadata: ["dataDirectory": "\(dataDirectory)", "socketDirectory": "\(endpoint.socketDirectory)"]
        )
        let result = try account.run(
            binaries.pgCtl, ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", "60"]
        )
        guard result.status == 0 else {
            throw EmbeddedPostgresError(
                "PostgreSQL did not start in \(dataDirectory).\n\(result.output)\n"
                    + "Last lines of \(logFile):\n\(lastLines(of: logFile))"
            )
        }
        return endpoint
    }

    /// Whether the cluster's server is up (started by this process or another).
    public var isRunning: Bool {
        if case .running = lockState() { return true }
        return false
    }

    /// Stops the server (fast: open transactions are rolled back). Does nothing when it is
    /// not running.
    public func stop() throws {
        guard case .running = lockState() else {
            logger.debug("Embedded PostgreSQL is not running", metadata: ["dataDirectory": "\(dataDirectory)"])
            return
        }
        let binaries = try Self.findBinaries()
        let account = try ServerAccount.current()
        logger.info("Stopping embedded PostgreSQL", metadata: ["dataDirectory": "\(dataDirectory)"])
        let result = try account.run(binaries.pgCtl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60"])
        guard result.status == 0 else {
            throw EmbeddedPostgresError("PostgreSQL did not stop in \(dataDirectory).\n\(result.output)")
        }
    }

    // MARK: - The cluster

    private func initializeCluster(binaries: Binaries, account: ServerAccount) throws {
        // C.UTF-8 sorts by code point, the same on every machine; without it, no locale.
        let locale = Self.localeExists("C.UTF-8") ? "--locale=C.UTF-8" : "--no-locale"
        logger.info("Creating embedded PostgreSQL cluster", metadata: ["dataDirectory": "\(dataDirectory)"])
        let result = try account.run(
            binaries.initdb,
            ["-D", dataDirectory, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", locale]
        )
        guard result.status == 0 else {
            throw EmbeddedPostgresError(
                "initdb could not create a PostgreSQL cluster in \(dataDirectory).\n\(result.output)\n"
                    + "If that folder holds something else, choose another data folder with VEERKRACHT_DATA_DIR."
            )
        }
        // Our settings live in a file of their own, rewritten at every start; the include
        // comes last, so it wins over the defaults above it.
        let include = "\n# Veerkracht's settings (socket only, no TCP)\ninclude_if_exists = 'veerkracht.conf'\n"
        guard let handle = FileHandle(forWritingAtPath: dataDirectory + "/postgresql.conf") else {
            throw EmbeddedPostgresError("Cannot write \(dataDirectory)/postgresql.conf.")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(include.utf8))
    }

    private func writeSettings(socketDirectory: String, account: ServerAccount) throws {
        let settings = """
            # Written by Veerkracht at every start of its embedded PostgreSQL: edits are lost.
            listen_addresses = ''
            unix_socket_directories = '\(Self.configQuoted(socketDirectory))'
            port = \(Self.port)

            """
        let path = dataDirectory + "/veerkracht.conf"
        try Data(settings.utf8).write(to: URL(fileURLWithPath: path))
        if account.isRunUser { chown(path, account.uid, account.gid) }
    }

    // MARK: - A lock file left by a crash

    private enum LockState {
        case running
        case notRunning
    }

    /// After a crash `postmaster.pid` remains. When its process is gone, postgres itself
    /// takes over the file (after checking that no old backend still holds the shared
    /// memory). Two cases it cannot handle: the pid now belongs to another program (after a
    /// reboot or in a fresh container), and the old server is still exiting, or a zombie
    /// not yet reaped by pid 1.
    private func clearStaleLock() throws -> LockState {
        for _ in 0..<50 {
            switch inspectLock() {
            case .none, .gone:
                return .notRunning
            case .ourServer:
                return .running
            case .exiting:
                logger.debug("Waiting for the crashed server's process to end")
                Thread.sleep(forTimeInterval: 0.2)
            case .otherProgram(let pid):
                try removeLockFiles(of: pid)
                return .notRunning
            }
        }
        // A zombie that nobody reaps: it has ended and holds nothing any more.
        if case .exiting(let pid) = inspectLock() { try removeLockFiles(of: pid) }
        return .notRunning
    }

    /// Removes postmaster.pid and the socket's lock file, which names the same pid.
    private func removeLockFiles(of pid: pid_t?) throws {
        let pidFile = dataDirectory + "/postmaster.pid"
        logger.warning("Removing a stale postmaster.pid", metadata: ["path": "\(pidFile)", "pid": "\(pid.map(String.init) ?? "none")"])
        try FileManager.default.removeItem(atPath: pidFile)
        let socketLock = socketDirectory + "/.s.PGSQL.\(Self.port).lock"
        if let pid, Self.pid(inLockFile: socketLock) == pid {
            try FileManager.default.removeItem(atPath: socketLock)
        }
    }

    private func lockState() -> LockState {
        if case .ourServer = inspectLock() { return .running }
        return .notRunning
    }

    private enum LockHolder {
        case none, gone, exiting(pid_t), otherProgram(pid_t?), ourServer
    }

    private func inspectLock() -> LockHolder {
        let pidFile = dataDirectory + "/postmaster.pid"
        guard FileManager.default.fileExists(atPath: pidFile) else { return .none }
        // An empty or garbled file (a crash while writing it) stops postgres: treat it as foreign.
        guard let pid = Self.pid(inLockFile: pidFile) else { return .otherProgram(nil) }
        if kill(pid, 0) != 0 && errno == ESRCH { return .gone }

        // Without /proc (macOS), a live pid is taken at its word, as pg_ctl does.
        let proc = "/proc/\(pid)"
        guard let procStat = try? String(contentsOfFile: proc + "/stat", encoding: .utf8) else { return .ourServer }
        // The field after the parenthesised command name is the state; Z is a zombie.
        if let close = procStat.lastIndex(of: ")"),
            procStat[procStat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
        {
            return .exiting(pid)
        }
        let command = (try? String(contentsOfFile: proc + "/comm", encoding: .utf8)) ?? ""
        guard command.trimmingCharacters(in: .whitespacesAndNewlines) == "postgres" else { return .otherProgram(pid) }

        // The postmaster works from its data folder; another cluster's postgres (a reused
        // pid) works elsewhere. We may not look at another user's process: not ours either.
        // A process that is ending has no folder any more.
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let length = readlink(proc + "/cwd", &buffer, buffer.count)
        guard length >= 0 else { return errno == EACCES || errno == EPERM ? .otherProgram(pid) : .exiting(pid) }
        let cwd = String(decoding: buffer[..<length], as: UTF8.self)
        let ours = URL(fileURLWithPath: dataDirectory).resolvingSymlinksInPath().path
        return cwd == ours ? .ourServer : .otherProgram(pid)
    }

    /// The pid on the first line of a PostgreSQL lock file.
    private static func pid(inLockFile path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let firstLine = text.split(separator: "\n").first,
            let pid = pid_t(firstLine.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return nil }
        return pid
    }

    // MARK: - Folders

    /// Creates `path` (0700) and makes it the server's. When we are root, first checks that
    /// the postgres user can reach it. `sharedParent` marks a folder under /tmp, which
    /// anyone could have made first: it must be a real folder owned by us or postgres.
    private func prepareFolder(_ path: String, account: ServerAccount, sharedParent: Bool) throws {
        let parent = (path as NSString).deletingLastPathComponent
        do {
            // Parents with the default mode: a 0700 parent would lock the postgres user out.
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw EmbeddedPostgresError("Cannot create the folder \(parent): \(error.localizedDescription)")
        }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw EmbeddedPostgresError("Cannot create the folder \(path): \(String(cString: strerror(errno))).")
        }

        var info = stat()
        let found = sharedParent ? lstat(path, &info) : stat(path, &info)
        guard found == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw EmbeddedPostgresError("\(path) is not a folder; remove it or choose another data folder with VEERKRACHT_DATA_DIR.")
        }
        if sharedParent && info.st_uid != account.uid && info.st_uid != geteuid() {
            throw EmbeddedPostgresError("\(path) belongs to another user; remove it, then start again.")
        }

        if account.isRunUser {
            try account.checkCanEnter(parentsOf: path)
            guard chown(path, account.uid, account.gid) == 0 else {
                throw EmbeddedPostgresError("Cannot give \(path) to the postgres user: \(String(cString: strerror(errno))).")
            }
        }
        // PostgreSQL insists that its data folder is private.
        guard chmod(path, 0o700) == 0 else {
            throw EmbeddedPostgresError("Cannot make \(path) private (chmod 0700): \(String(cString: strerror(errno))).")
        }
    }

    /// The last lines of the server log, for an error message.
    private func lastLines(of path: String, count: Int = 20) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "(no log at \(path))" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 16_384 ? size - 16_384 : 0)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    // MARK: - Helpers

    static func socketPathFits(in directory: String) -> Bool {
        (directory + "/.s.PGSQL.\(port)").utf8.count <= maximumSocketPathLength
    }

    /// FNV-1a, 32 bits, as 8 hex digits: the same on every run (unlike Swift's Hasher).
    static func stableHash(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// A string value for postgresql.conf: quotes doubled, backslashes escaped.
    static func configQuoted(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
    }

    static func localeExists(_ name: String) -> Bool {
        guard let locale = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, name, nil) else { return false }
        freelocale(locale)
        return true
    }

    struct Binaries {
        var initdb: String
        var pgCtl: String
    }

    /// pg_config's bindir when it holds the server (Debian's pg_config comes with libpq-dev
    /// even without one), else the newest /usr/lib/postgresql/N/bin, else initdb on PATH.
    static func findBinaries() throws -> Binaries {
        var candidates: [String] = []
        if let pgConfig = findOnPath("pg_config"),
            let result = try? run(pgConfig, ["--bindir"]), result.status == 0
        {
            candidates.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        if let initdb = findOnPath("initdb") {
            candidates.append((initdb as NSString).deletingLastPathComponent)
        }
        let isExecutable = FileManager.default.isExecutableFile(atPath:)
        for folder in candidates
        where isExecutable(folder + "/initdb") && isExecutable(folder + "/pg_ctl") && isExecutable(folder + "/postgres") {
            return Binaries(initdb: folder + "/initdb", pgCtl: folder + "/pg_ctl")
        }
        throw EmbeddedPostgresError(
            "The PostgreSQL server programs (initdb, pg_ctl, postgres) are not installed. "
                + "Install the Debian package postgresql: apt-get install -y postgresql "
                + "(with sudo when not root), or configure an external database."
        )
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Output {
        var status: Int32
        var output: String
    }

    /// Runs a program by absolute path with its arguments as they are (no shell), from /
    /// (the postgres user may not read our current folder), output and errors together.
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw EmbeddedPostgresError("Cannot run \(executable): \(error.localizedDescription)")
        }
        // Read before waiting, so that a full pipe cannot block the child.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return Output(status: exitStatus(of: process), output: String(decoding: data, as: UTF8.self))
    }

    /// On Linux, Foundation learns that a child ended when a socket it hands to that child
    /// closes. The server that `pg_ctl start` leaves behind inherits the socket, so
    /// `waitUntilExit()` would wait until the server stops. `waitid` with `WNOWAIT` sees the
    /// exit without reaping the child, which Foundation still does later (the pid cannot be
    /// reused before that).
    private static func exitStatus(of process: Process) -> Int32 {
        #if os(Linux)
        var info = siginfo_t()
        var result: Int32
        repeat {
            result = waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOWAIT)
        } while result != 0 && errno == EINTR
        if result == 0 {
            let status = info._sifields._sigchld.si_status
            return Int(info.si_code) == Int(CLD_EXITED) ? status : 128 + status
        }
        // ECHILD: Foundation reaped it first, so it knows the status.
        #endif
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Who runs initdb and pg_ctl: we ourselves, or, when we are root, the postgres system user.
private struct ServerAccount {
    var runuser: String?
    var uid: uid_t
    var gid: gid_t

    var isRunUser: Bool { runuser != nil }

    static func current() throws -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(runuser: nil, uid: geteuid(), gid: getegid()) }
        guard let entry = getpwnam(EmbeddedPostgres.superuser) else {
            throw EmbeddedPostgresError(
                "Running as root, PostgreSQL must run as the postgres system user, which does not exist. "
                    + "Install the Debian package postgresql, which creates it: apt-get install -y postgresql"
            )
        }
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let runuser else {
            throw EmbeddedPostgresError("Running as root needs runuser (Debian package util-linux) to start PostgreSQL as postgres.")
        }
        return ServerAccount(runuser: runuser, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    func run(_ executable: String, _ arguments: [String]) throws -> EmbeddedPostgres.Output {
        guard let runuser else { return try EmbeddedPostgres.run(executable, arguments) }
        return try EmbeddedPostgres.run(runuser, ["-u", EmbeddedPostgres.superuser, "--", executable] + arguments)
    }

    /// The postgres user must be able to enter every folder above `path`. One check of the
    /// nearest parent covers the whole chain; only when it fails do we look for the culprit.
    func checkCanEnter(parentsOf path: String) throws {
        guard let test = ["/usr/bin/test", "/bin/test"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return }
        var parents: [String] = []
        var folder = (path as NSString).deletingLastPathComponent
        while true {
            parents.insert(folder, at: 0)
            if folder == "/" { break }
            folder = (folder as NSString).deletingLastPathComponent
        }
        if try run(test, ["-x", parents[parents.count - 1]]).status == 0 { return }
        var blocked = parents[parents.count - 1]
        for parent in parents where (try? run(test, ["-x", parent]).status) != 0 {
            blocked = parent
            break
        }
        throw EmbeddedPostgresError(
            "The postgres user cannot enter the folder \(blocked), so PostgreSQL cannot reach \(path). "
                + "Fix: chmod o+x \(blocked), or choose another data folder with VEERKRACHT_DATA_DIR."
        )
    }
}

public struct EmbeddedPostgresError: LogSafeError {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
