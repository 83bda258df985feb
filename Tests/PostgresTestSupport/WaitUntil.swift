import Foundation

/// The condition did not hold in time.
public struct ConditionTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting until \(what)" }
}

/// Waits until `condition` holds, looking again every few milliseconds, and throws after
/// `timeout`. Tests wait on state they can observe (a waiter seated, a statement running, a
/// request read) instead of sleeping for a time that a loaded machine may not keep.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(try await condition()) {
        guard ContinuousClock.now < deadline else { throw ConditionTimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
