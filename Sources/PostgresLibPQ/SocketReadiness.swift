import CLibPQ
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Waits for libpq's sockets without holding a thread per wait: a statement is sent from the
/// task that runs it, and the task is suspended until its socket has something to read. One
/// thread in `epoll_wait` serves every connection of the process and resumes the waiting tasks
/// on Swift's cooperative threads, which under load are running anyway. Before this, every
/// round trip took two thread hops through a thread that blocked in libpq.
final class SocketReadiness: Sendable {
    static let shared = SocketReadiness()

    private let epoll: Int32
    /// The task waiting on each socket. A connection serves one task at a time, so there is at
    /// most one waiter per socket.
    private let waiters = Mutex<[Int32: CheckedContinuation<Void, Never>]>([:])

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed (errno \(errno))")
        let thread = Thread { [self] in run() }
        thread.name = "postgres-readiness"
        thread.start()
    }

    /// Returns when `socket` is readable (or, with `orWritable`, writable), has hung up or has
    /// failed: the caller then asks libpq, which tells which. Registration is one-shot and
    /// level-triggered, so readiness that came before the call is not missed.
    func wait(for socket: Int32, orWritable: Bool = false) async {
        // libpq says -1 for a connection it lost. Every such connection would share the one
        // waiter slot of -1, and a second would overwrite the first, which then never resumes.
        guard socket >= 0 else { return }
        await withCheckedContinuation { continuation in
            waiters.withLock { $0[socket] = continuation }
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue | (orWritable ? EPOLLOUT.rawValue : 0)
            event.data.fd = socket
            // A socket is added the first time; a closed socket leaves the set by itself, and
            // a new connection may get its number again.
            if epoll_ctl(epoll, EPOLL_CTL_MOD, socket, &event) != 0,
                errno != ENOENT || epoll_ctl(epoll, EPOLL_CTL_ADD, socket, &event) != 0
            {
                // Not a socket epoll can watch (closed under us): let libpq find out why.
                resume(socket)
            }
        }
    }

    /// Whether a task is waiting on `socket`: what a test waits for before it makes the socket ready.
    func isWaiting(on socket: Int32) -> Bool {
        waiters.withLock { $0[socket] != nil }
    }

    private func resume(_ socket: Int32) {
        waiters.withLock { $0.removeValue(forKey: socket) }?.resume()
    }

    private func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let count = epoll_wait(epoll, events, Int32(capacity), -1)
            guard count > 0 else { continue }  // EINTR
            for index in 0..<Int(count) { resume(events[index].data.fd) }
        }
    }
}
