import Foundation
import Logging
import PostgresLibPQ
import ServiceLifecycle

/// Marks deadlines missed once their day is over. Safe in any number of instances at once:
/// each batch locks its rows with `FOR UPDATE SKIP LOCKED`, so two sweeps never take the
/// same deadline, and one that another sweep marked meanwhile no longer matches `pending`.
public struct DeadlineSweeper: Sendable {
    public var batchSize: Int

    public init(batchSize: Int = 500) {
        self.batchSize = batchSize
    }

    /// Marks every pending deadline of an open trajectory whose due day is before `today`
    /// (the due day itself is still on time) as missed, with a `deadlineMissed` timeline event
    /// without an actor for each; batch by batch, each in its own transaction. Deadlines of
    /// closed trajectories are left pending: a closed case is read-only, and if it is reopened
    /// the next sweep finds them. Returns how many this sweep marked.
    public func sweep(_ database: PostgresClient, today: CalendarDate) async throws -> Int {
        var total = 0
        while true {
            let marked = try await database.withTransaction { try await sweepBatch(today: today, on: $0) }
            total += marked
            if marked < batchSize { return total }
        }
    }

    func sweepBatch(today: CalendarDate, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("""
            UPDATE deadlines d SET status = \(DeadlineStatus.missed), resolved_at = now(), version = d.version + 1
            FROM (
                SELECT overdue.id FROM deadlines overdue
                JOIN trajectories t ON t.id = overdue.trajectory_id
                WHERE overdue.status = \(DeadlineStatus.pending) AND overdue.due_on < \(today) AND t.status <> 'closed'
                ORDER BY overdue.due_on, overdue.id
                LIMIT \(batchSize)
                FOR UPDATE OF overdue SKIP LOCKED
            ) due
            WHERE d.id = due.id
            RETURNING \(unsafeRaw: DeadlineStore.deadlineColumns)
            """)
        let missed = try rows.map(DeadlineStore.deadline)
        guard !missed.isEmpty else { return 0 }
        let payloads = try missed.map {
            String(decoding: try TimelineStore.encoder.encode(DeadlineTimelinePayload($0)), as: UTF8.self)
        }
        try await connection.query("""
            INSERT INTO trajectory_events (trajectory_id, type, actor_id, payload)
            SELECT e.trajectory_id, \(TimelineEventType.deadlineMissed), NULL, e.payload::jsonb
            FROM unnest(\(missed.map(\.trajectoryID)), \(payloads)) AS e(trajectory_id, payload)
            """)
        return missed.count
    }
}

/// The sweep inside `serve` (missed deadlines, expired offers): at start, then every
/// `interval`, until shutdown.
struct DeadlineSweepService: Service {
    let database: PostgresClient
    let interval: Duration
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }
    var offers: Offers

    func run() async throws {
        let sweeper = DeadlineSweeper()
        while !Task.isShuttingDownGracefully {
            do {
                let marked = try await sweeper.sweep(database, today: CalendarDate.today(at: now()))
                if marked > 0 { logger.info("deadlines missed", metadata: ["count": "\(marked)"]) }
                // Open offers whose start passed with no placement agreed expire on the same beat.
                let expired = try await offers.expireStale()
                if expired > 0 { logger.info("offers expired", metadata: ["count": "\(expired)"]) }
            } catch {
                logger.warning("could not sweep deadlines", metadata: LoggedError(error).metadata)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
