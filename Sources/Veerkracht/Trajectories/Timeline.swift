import Foundation
import PostgresLibPQ

/// What happened to a trajectory; each kind of change writes one event in its own transaction.
public enum TimelineEventType: String, Sendable, Hashable, CaseIterable, Codable, StoredCode, PostgresStoredCode {
    case opened, updated, statusChanged, blocked, unblocked, officerReassigned, handoverNoted
    case actionAdded, actionUpdated
    case absenceRecorded, absenceUpdated, workCapacityChanged
    case contactRecorded, contactUpdated, contactPreferencesChanged
    case triggerRecorded, deadlineCreated, deadlineMoved, deadlineMet, deadlineMissed, deadlineWaived
    case candidateProfileChanged, restrictionsChanged, placementProposed, placementStatusChanged, placementEvaluated
}

/// The timeline's SQL.
public struct TimelineStore: Sendable {
    public init() {}

    /// `actor` nil means the system (the deadline sweep). The payload says what changed, never
    /// more than the change itself; it goes to the API as it is. The insert is queued: it
    /// reaches the server with the transaction's next statement or its COMMIT, which throws
    /// its failure.
    public func append<Payload: Codable & Sendable>(
        _ type: TimelineEventType, trajectory: UUID, actor: UUID?, payload: Payload, on connection: PostgresConnection
    ) throws {
        try connection.queue("""
            INSERT INTO trajectory_events (trajectory_id, type, actor_id, payload)
            VALUES (\(trajectory), \(type), \(actor), \(try PostgresJSON(payload, encoder: Self.encoder)))
            """)
    }

    /// Payloads use the API's spelling: lowerCamelCase keys, codes as in the API, dates as `yyyy-MM-dd`.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
