import Foundation
import Logging
import PostgresLibPQ
import ServiceLifecycle
import Synchronization

/// Recent answers to "whose token is this", so that most requests learn who is asking
/// without a round trip to the database.
///
/// Correctness rests on three rules:
/// - Every change that could alter an answer (users, their entities, the entity tree, a
///   token's validity) NOTIFYs `veerkracht_identity` at commit (migration 0004), and a
///   notification empties the cache.
/// - Nothing is cached while the listener is not connected, since notifications would be lost.
/// - An answer read from the database is kept only if no notification arrived since the read
///   began (the generation did not move), so a change racing the read cannot be hidden.
/// The lifetime bounds the one case the rules cannot see: a connection that died silently.
/// Expiry is still checked on every request, and the secret is compared with the stored hash.
public final class PrincipalCache: Sendable {
    public struct Entry: Sendable {
        public var principal: Principal
        public var secretHash: Data
        public var expiresAt: Date
        public var lastUsedAt: Date?
    }

    /// What `lookup` found, or the generation to pass to `store` after reading the database.
    public enum Lookup: Sendable {
        case hit(Entry)
        case miss(generation: UInt64?)
    }

    private struct State {
        var listening = false
        var generation: UInt64 = 0
        var entries: [String: (entry: Entry, storedAt: Date)] = [:]
    }

    public static let channel = "veerkracht_identity"
    private let state = Mutex(State())
    private let lifetime: TimeInterval
    private let capacity: Int

    public init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = Double(lifetime.components.seconds) + Double(lifetime.components.attoseconds) / 1e18
        self.capacity = capacity
    }

    public func lookup(prefix: String, now: Date) -> Lookup {
        state.withLock { state in
            guard state.listening else { return .miss(generation: nil) }
            if let cached = state.entries[prefix] {
                if now.timeIntervalSince(cached.storedAt) < lifetime { return .hit(cached.entry) }
                state.entries[prefix] = nil
            }
            return .miss(generation: state.generation)
        }
    }

    /// Keeps an answer read from the database, unless something changed since `generation`.
    public func store(_ entry: Entry, prefix: String, generation: UInt64?, now: Date) {
        guard let generation else { return }
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            // A full cache starts over: simpler than LRU, and a burst of misses is harmless.
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[prefix] = (entry, now)
        }
    }

    /// The token's use was recorded at `date`, so the next minute of requests need not.
    public func recordUse(prefix: String, at date: Date) {
        state.withLock { state in state.entries[prefix]?.entry.lastUsedAt = date }
    }

    /// Forgets everything; `listening` says whether notifications will arrive from now on.
    public func invalidateAll(listening: Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.listening = listening
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}

/// Feeds the cache from LISTEN `veerkracht_identity` on a connection of its own.
struct PrincipalCacheService: Service {
    let cache: PrincipalCache
    let configuration: PostgresConfiguration
    let logger: Logger

    func run() async throws {
        let listener = try PostgresNotificationListener(configuration: configuration, channels: [PrincipalCache.channel], logger: logger)
        defer {
            listener.stop()
            cache.invalidateAll(listening: false)
        }
        await cancelWhenGracefulShutdown {
            for await event in listener.events {
                switch event {
                case .listening, .notification: cache.invalidateAll(listening: true)
                case .disconnected: cache.invalidateAll(listening: false)
                }
            }
        }
    }
}
