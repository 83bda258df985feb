import Foundation

extension Process {
    /// Runs the process and waits for it to end without holding a thread. `waitUntilExit()`
    /// blocks one of Swift's cooperative threads (two on a 2-core machine) for as long as the
    /// child runs, an initdb or a migration; every other test running in parallel then
    /// stalls, and their pools' waiters time out.
    public func runUntilExit() async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try run()
            } catch {
                terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }
}
