import Foundation

/// Where a trajectory is in its life:
///
/// ```
/// intake → planning → active ⇄ onHold
///    └────────┴──────────┴───────┴──→ closed (with an outcome)
/// closed → active                       (reopening, with a reason)
/// ```
///
/// Closing is allowed from every open status, not only from `active`/`onHold`: a staff member
/// can be back at work before a plan was ever made, and forcing the officer through
/// `planning` and `active` first would put steps in the timeline that never happened.
public enum TrajectoryStatus: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case intake, planning, active, onHold, closed

    /// At most one open trajectory per staff member; everything but `closed` is open.
    public var isOpen: Bool { self != .closed }

    /// The statuses this one may move to.
    public var allowedNextStatuses: [TrajectoryStatus] {
        switch self {
        case .intake: [.planning, .closed]
        case .planning: [.active, .closed]
        case .active: [.onHold, .closed]
        case .onHold: [.active, .closed]
        case .closed: [.active]
        }
    }

    public func canMove(to next: TrajectoryStatus) -> Bool {
        allowedNextStatuses.contains(next)
    }

    /// Checks one step of the state machine and says what kind of step it is. Closing needs
    /// an outcome (and only closing takes one); reopening needs a reason; any other step may
    /// carry a reason for the timeline.
    public static func change(
        from: TrajectoryStatus, to: TrajectoryStatus, outcome: TrajectoryOutcome? = nil, reason: String? = nil
    ) throws(TrajectoryTransitionError) -> TrajectoryStatusChange {
        guard from.canMove(to: to) else { throw .illegalTransition(from: from, to: to) }
        let kind: TrajectoryStatusChange.Kind = switch (from, to) {
        case (.intake, .planning): .startPlanning
        case (.planning, .active): .activate
        case (.active, .onHold): .putOnHold
        case (.onHold, .active): .resume
        case (.closed, .active): .reopen
        default: .close
        }
        let trimmedReason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let givenReason = trimmedReason?.isEmpty == false ? trimmedReason : nil
        if let givenReason, givenReason.characterCount > TrajectoryStatusChange.maximumReasonLength {
            throw .reasonTooLong(from: from, to: to, limit: TrajectoryStatusChange.maximumReasonLength)
        }
        if kind == .close, outcome == nil { throw .outcomeRequired(from: from, to: to) }
        if kind != .close, outcome != nil { throw .outcomeNotAllowed(from: from, to: to) }
        if kind == .reopen, givenReason == nil { throw .reasonRequired(from: from, to: to) }
        return TrajectoryStatusChange(kind: kind, from: from, to: to, outcome: outcome, reason: givenReason)
    }
}

/// One accepted step of the state machine: what the timeline records.
public struct TrajectoryStatusChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case startPlanning, activate, putOnHold, resume, close, reopen
    }

    public static let maximumReasonLength = 2000

    public var kind: Kind
    public var from: TrajectoryStatus
    public var to: TrajectoryStatus
    /// Only when closing.
    public var outcome: TrajectoryOutcome?
    /// Trimmed; nil when none was given.
    public var reason: String?
}

/// A refused status change. Every case names both ends, so the problem document can say
/// exactly which move was refused (409 `illegalTransition` in the API).
public enum TrajectoryTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The state machine has no such step (including staying where it is).
    case illegalTransition(from: TrajectoryStatus, to: TrajectoryStatus)
    case outcomeRequired(from: TrajectoryStatus, to: TrajectoryStatus)
    case outcomeNotAllowed(from: TrajectoryStatus, to: TrajectoryStatus)
    case reasonRequired(from: TrajectoryStatus, to: TrajectoryStatus)
    case reasonTooLong(from: TrajectoryStatus, to: TrajectoryStatus, limit: Int)

    public var from: TrajectoryStatus {
        switch self {
        case .illegalTransition(let from, _), .outcomeRequired(let from, _), .outcomeNotAllowed(let from, _),
            .reasonRequired(let from, _), .reasonTooLong(let from, _, _):
            from
        }
    }

    public var to: TrajectoryStatus {
        switch self {
        case .illegalTransition(_, let to), .outcomeRequired(_, let to), .outcomeNotAllowed(_, let to),
            .reasonRequired(_, let to), .reasonTooLong(_, let to, _):
            to
        }
    }

    public var description: String {
        switch self {
        case .illegalTransition(let from, let to):
            let allowed = from.allowedNextStatuses.map(\.rawValue).joined(separator: ", ")
            return from == to
                ? "The trajectory is already \(from.rawValue)"
                : "A trajectory cannot go from \(from.rawValue) to \(to.rawValue); from \(from.rawValue) it can go to: \(allowed)"
        case .outcomeRequired(let from, let to):
            return "Going from \(from.rawValue) to \(to.rawValue) needs an outcome"
        case .outcomeNotAllowed(let from, let to):
            return "Only closing takes an outcome, not going from \(from.rawValue) to \(to.rawValue)"
        case .reasonRequired(let from, let to):
            return "Going from \(from.rawValue) to \(to.rawValue) (reopening) needs a reason"
        case .reasonTooLong(let from, let to, let limit):
            return "The reason for going from \(from.rawValue) to \(to.rawValue) is longer than \(limit) characters"
        }
    }
}
