import Foundation
import Testing
@testable import Veerkracht

@Suite("Principal cache")
struct PrincipalCacheTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func entry(_ name: String = "a") -> PrincipalCache.Entry {
        let user = User(
            id: UUID(), email: "\(name)@example.org", displayName: name, roles: [.officer], entities: [], active: true,
            version: 1, createdAt: now, updatedAt: now)
        return .init(
            principal: Principal(user: user, tokenID: UUID(), scopeEntityIDs: []), secretHash: Data(repeating: 1, count: 32),
            expiresAt: now.addingTimeInterval(3600), lastUsedAt: nil)
    }

    func generation(_ lookup: PrincipalCache.Lookup) -> UInt64? {
        if case .miss(let generation) = lookup { return generation }
        return nil
    }

    func isHit(_ lookup: PrincipalCache.Lookup) -> Bool {
        if case .hit = lookup { return true }
        return false
    }

    @Test func keepsNothingUntilListening() {
        let cache = PrincipalCache(lifetime: .seconds(10))
        #expect(generation(cache.lookup(prefix: "p", now: now)) == nil)
        cache.store(entry(), prefix: "p", generation: 0, now: now)
        #expect(cache.count == 0)
    }

    @Test func answersFromMemoryWithinTheLifetime() {
        let cache = PrincipalCache(lifetime: .seconds(10))
        cache.invalidateAll(listening: true)
        let missed = cache.lookup(prefix: "p", now: now)
        cache.store(entry(), prefix: "p", generation: generation(missed), now: now)
        #expect(isHit(cache.lookup(prefix: "p", now: now.addingTimeInterval(9))))
        #expect(!isHit(cache.lookup(prefix: "p", now: now.addingTimeInterval(10))))
        #expect(cache.count == 0)
    }

    @Test func aChangeDuringTheReadKeepsTheAnswerOut() {
        let cache = PrincipalCache(lifetime: .seconds(10))
        cache.invalidateAll(listening: true)
        let before = generation(cache.lookup(prefix: "p", now: now))
        cache.invalidateAll(listening: true)  // a notification arrives while the database is read
        cache.store(entry(), prefix: "p", generation: before, now: now)
        #expect(cache.count == 0)
    }

    @Test func aNotificationOrALostConnectionForgetsEverything() {
        let cache = PrincipalCache(lifetime: .seconds(10))
        cache.invalidateAll(listening: true)
        cache.store(entry(), prefix: "p", generation: generation(cache.lookup(prefix: "p", now: now)), now: now)
        cache.invalidateAll(listening: true)
        #expect(cache.count == 0)
        cache.store(entry(), prefix: "p", generation: generation(cache.lookup(prefix: "p", now: now)), now: now)
        cache.invalidateAll(listening: false)
        #expect(!isHit(cache.lookup(prefix: "p", now: now)))
        #expect(generation(cache.lookup(prefix: "p", now: now)) == nil)
    }

    @Test func aFullCacheStartsOver() {
        let cache = PrincipalCache(lifetime: .seconds(10), capacity: 2)
        cache.invalidateAll(listening: true)
        for prefix in ["a", "b", "c"] {
            cache.store(entry(prefix), prefix: prefix, generation: generation(cache.lookup(prefix: prefix, now: now)), now: now)
        }
        #expect(cache.count == 1)
        #expect(isHit(cache.lookup(prefix: "c", now: now)))
    }
}
