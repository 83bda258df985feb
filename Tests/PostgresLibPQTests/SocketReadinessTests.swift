import Foundation
@testable import PostgresLibPQ
import PostgresTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The wait every statement makes for the server, on sockets of our own.
@Suite("Waiting for a socket without a thread", .timeLimit(.minutes(1)))
struct SocketReadinessTests {
    /// A connected pair of Unix sockets, closed when `body` returns.
    private func withSocketPair(_ body: (Int32, Int32) async throws -> Void) async throws {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { ends.forEach { close($0) } }
        try await body(ends[0], ends[1])
    }

    @Test func aWaitEndsWhenTheOtherSideWrites() async throws {
        try await withSocketPair { reader, writer in
            let resumed = Flag()
            async let waited: Void = {
                await SocketReadiness.shared.wait(for: reader)
                resumed.set()
            }()
            try await waitUntil("the wait is registered") { SocketReadiness.shared.isWaiting(on: reader) }
            #expect(!resumed.isSet)
            #expect(write(writer, "x", 1) == 1)
            await waited
            #expect(resumed.isSet)
        }
    }

    /// What `poll` says of `socket` right now, without waiting.
    private func readiness(_ socket: Int32) -> Int16 {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN | POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) == 1 ? descriptor.revents : 0
    }

    /// How long `body` took.
    private func elapsed(_ body: () async -> Void) async -> Duration {
        let start = ContinuousClock.now
        await body()
        return ContinuousClock.now - start
    }

    /// "At once": far less than any wait for something that does not come.
    private let atOnce = Duration.seconds(2)

    @Test func dataThatArrivedBeforeTheWaitIsNotMissed() async throws {
        try await withSocketPair { reader, writer in
            #expect(write(writer, "x", 1) == 1)
            #expect(await elapsed { await SocketReadiness.shared.wait(for: reader) } < atOnce)
            #expect(readiness(reader) & Int16(POLLIN) != 0, "it ended because there is data")
            // And again: readiness is level-triggered, armed anew on every wait.
            #expect(await elapsed { await SocketReadiness.shared.wait(for: reader) } < atOnce)
            #expect(!SocketReadiness.shared.isWaiting(on: reader))
        }
    }

    @Test func aWritableSocketEndsAWaitThatAcceptsWriting() async throws {
        try await withSocketPair { _, writer in
            #expect(await elapsed { await SocketReadiness.shared.wait(for: writer, orWritable: true) } < atOnce)
            let ready = readiness(writer)
            #expect(ready & Int16(POLLOUT) != 0, "writable")
            #expect(ready & Int16(POLLIN) == 0, "and nothing to read: writability ended it")
        }
    }

    @Test func aHangUpEndsTheWait() async throws {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        defer { close(reader) }
        async let waited: Void = SocketReadiness.shared.wait(for: reader)
        try await waitUntil("the wait is registered") { SocketReadiness.shared.isWaiting(on: reader) }
        close(writer)
        await waited
        var byte: UInt8 = 0
        #expect(read(reader, &byte, 1) == 0, "the wait ended on the hang-up: end of file")
    }

    @Test func aSocketThatIsNotOpenEndsTheWaitAtOnce() async {
        // libpq reports a lost connection with socket -1; the caller then learns why from libpq.
        #expect(await elapsed { await SocketReadiness.shared.wait(for: -1) } < atOnce)
        // Two lost connections at once (a restart) both wait on -1: both end at once.
        async let first: Duration = elapsed { await SocketReadiness.shared.wait(for: -1) }
        async let second: Duration = elapsed { await SocketReadiness.shared.wait(for: -1) }
        let (one, other) = await (first, second)
        #expect(one < atOnce && other < atOnce)
    }

    @Test func manyWaitsAtOnceEachEndWithTheirOwnSocket() async throws {
        var pairs: [(Int32, Int32)] = []
        defer { pairs.forEach { close($0.0); close($0.1) } }
        for _ in 0..<100 {
            var ends: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
            pairs.append((ends[0], ends[1]))
        }
        let readers = pairs.map(\.0)
        await withTaskGroup(of: Void.self) { group in
            for reader in readers { group.addTask { await SocketReadiness.shared.wait(for: reader) } }
            for (_, writer) in pairs.reversed() { _ = write(writer, "x", 1) }
            await group.waitForAll()
        }
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
