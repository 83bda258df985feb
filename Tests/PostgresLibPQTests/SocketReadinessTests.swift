import Foundation
@testable import PostgresLibPQ
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
            try await Task.sleep(for: .milliseconds(100))
            #expect(!resumed.isSet)
            #expect(write(writer, "x", 1) == 1)
            await waited
            #expect(resumed.isSet)
        }
    }

    @Test func dataThatArrivedBeforeTheWaitIsNotMissed() async throws {
        try await withSocketPair { reader, writer in
            #expect(write(writer, "x", 1) == 1)
            await SocketReadiness.shared.wait(for: reader)
            // And again: readiness is level-triggered, armed anew on every wait.
            await SocketReadiness.shared.wait(for: reader)
        }
    }

    @Test func aWritableSocketEndsAWaitThatAcceptsWriting() async throws {
        try await withSocketPair { _, writer in
            await SocketReadiness.shared.wait(for: writer, orWritable: true)
        }
    }

    @Test func aHangUpEndsTheWait() async throws {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        defer { close(reader) }
        async let waited: Void = SocketReadiness.shared.wait(for: reader)
        try await Task.sleep(for: .milliseconds(50))
        close(writer)
        await waited
    }

    @Test func aSocketThatIsNotOpenEndsTheWaitAtOnce() async {
        // libpq reports a lost connection with socket -1; the caller then learns why from libpq.
        await SocketReadiness.shared.wait(for: -1)
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
