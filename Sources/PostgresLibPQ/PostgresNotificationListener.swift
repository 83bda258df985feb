import CLibPQ
import Foundation
import Logging
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// What a listener reports.
public enum PostgresListenerEvent: Sendable, Equatable {
    case notification(channel: String, payload: String)
    /// LISTEN is in place, the first time and after every reconnection. Notifications sent
    /// while it was not were lost, so a worker woken by them should look for work once, and
    /// a cache kept fresh by them must start empty.
    case listening
    /// The connection broke; notifications are lost until the next `.listening`.
    case disconnected
}

/// `LISTEN` on a dedicated connection: a thread of its own sleeps in `poll(2)` on the
/// socket until the server sends something, so there is no polling loop and no pooled
/// connection is held. Reconnects (with back-off) when the connection breaks.
public final class PostgresNotificationListener: Sendable {
    public let events: AsyncStream<PostgresListenerEvent>
    private let continuation: AsyncStream<PostgresListenerEvent>.Continuation
    /// Writing to this pipe wakes the thread up to stop.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    /// Starts listening on `channels` (plain identifiers chosen by code).
    public init(configuration: PostgresConfiguration, channels: [String], logger: Logger) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError.misuse("could not create the listener's wake-up pipe")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let loop = ListenLoop(
            configuration: configuration, channels: channels, logger: logger,
            continuation: continuation, wakeDescriptor: wakeRead)
        let thread = Thread { loop.run() }
        thread.name = "postgres-listen"
        thread.start()
        continuation.onTermination = { [wakeWrite] _ in
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }

    /// Stops the thread and ends `events`.
    public func stop() {
        continuation.finish()
    }

    deinit {
        continuation.finish()
    }
}

/// The listener thread's work; everything here runs on that one thread.
private final class ListenLoop: @unchecked Sendable {
    let configuration: PostgresConfiguration
    let channels: [String]
    let logger: Logger
    let continuation: AsyncStream<PostgresListenerEvent>.Continuation
    let wakeDescriptor: Int32
    /// Where the server's messages on this connection go (a terminated backend says FATAL):
    /// the log, not libpq's default of printing them to stderr. Outlives every handle.
    let notices: NoticeSink

    init(
        configuration: PostgresConfiguration, channels: [String], logger: Logger,
        continuation: AsyncStream<PostgresListenerEvent>.Continuation, wakeDescriptor: Int32
    ) {
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        self.continuation = continuation
        self.wakeDescriptor = wakeDescriptor
        self.notices = NoticeSink(logger: logger)
    }

    func run() {
        defer { close(wakeDescriptor) }
        var backoff: Int32 = 100
        while true {
            if let connection = connect() {
                backoff = 100
                continuation.yield(.listening)
                let stopped = listen(on: connection)
                PQfinish(connection)
                if stopped { return }
                continuation.yield(.disconnected)
                logger.warning("notification listener lost its connection; reconnecting")
            }
            // Sleep for the back-off, but wake at once when asked to stop.
            var descriptor = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, backoff) > 0 { return }
            backoff = min(backoff * 2, 5000)
        }
    }

    private func connect() -> OpaquePointer? {
        guard let connection = try? PostgresConnection.openHandle(configuration) else { return nil }
        PQsetNoticeReceiver(connection, postgresNoticeReceiver, Unmanaged.passUnretained(notices).toOpaque())
        for channel in channels {
            // The channel is an identifier, so it is quoted by libpq rather than bound.
            guard let quoted = PQescapeIdentifier(connection, channel, channel.utf8.count) else {
                PQfinish(connection)
                return nil
            }
            let result = PQexec(connection, "LISTEN " + String(cString: quoted))
            PQfreemem(quoted)
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            PQclear(result)
            guard ok else {
                PQfinish(connection)
                return nil
            }
        }
        return connection
    }

    /// Delivers notifications until the connection breaks (false) or a stop is asked (true).
    private func listen(on connection: OpaquePointer) -> Bool {
        while true {
            var descriptors = [
                pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return false
            }
            if descriptors[1].revents != 0 { return true }
            guard PQconsumeInput(connection) == 1 else { return false }
            while let notification = PQnotifies(connection) {
                let channel = String(cString: notification.pointee.relname)
                let payload = String(cString: notification.pointee.extra)
                PQfreemem(notification)
                continuation.yield(.notification(channel: channel, payload: payload))
            }
            if PQstatus(connection) != CONNECTION_OK { return false }
        }
    }
}
