import Foundation
import PostgresLibPQ
import Synchronization

/// Writes the audit entries of reads, and of refusals, for all requests being served: the
/// entries that arrive while one batch is being written go together in the next, one
/// statement and one commit for all of them. A request's `append` returns only once its
/// entries are committed, so no case data leaves the server unaudited; when the write fails,
/// every request in the batch gets the error.
///
/// Changes do not come here: they audit in their own transaction (`AuditStore.append`), so a
/// change and its entry commit together.
///
/// There is no background task: the first request to find no batch in flight writes one;
/// when it is done it hands the entries that queued meanwhile to one of their requests, which
/// writes them as the next batch. A request therefore waits for at most the batch in flight
/// and its own.
public final class AuditWriter: Sendable {
    private struct Waiter {
        var entries: [AuditEntry]
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private enum Turn {
        case written
        /// Write your entries and these requests' as one batch.
        case lead([Waiter])
    }

    private struct State {
        var writing = false
        var waiting: [Waiter] = []
    }

    private let database: PostgresClient
    private let store: AuditStore
    private let state = Mutex(State())

    public init(database: PostgresClient, store: AuditStore = AuditStore()) {
        self.database = database
        self.store = store
    }

    public func append(_ entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        let turn = try await withCheckedThrowingContinuation { continuation in
            let leads = state.withLock { state -> Bool in
                guard state.writing else {
                    state.writing = true
                    return true
                }
                state.waiting.append(Waiter(entries: entries, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: Turn.lead([])) }
        }
        guard case .lead(let others) = turn else { return }
        try await write(entries, with: others)
    }

    public func append(_ entry: AuditEntry) async throws {
        try await append([entry])
    }

    private func write(_ own: [AuditEntry], with others: [Waiter]) async throws {
        // In a task of its own, so that cancelling the leading request cannot fail the others.
        let batch = own + others.flatMap(\.entries)
        let outcome = await Task { [database, store] in
            // The insert is queued; withConnection sends it before it returns.
            try await database.withConnection { try await store.append(batch, on: $0) }
        }.result
        for waiter in others {
            switch outcome {
            case .success: waiter.continuation.resume(returning: .written)
            case .failure(let error): waiter.continuation.resume(throwing: error)
            }
        }
        let next = state.withLock { state -> [Waiter] in
            let next = state.waiting
            state.waiting = []
            if next.isEmpty { state.writing = false }
            return next
        }
        if let leader = next.first { leader.continuation.resume(returning: .lead(Array(next.dropFirst()))) }
        try outcome.get()
    }
}
