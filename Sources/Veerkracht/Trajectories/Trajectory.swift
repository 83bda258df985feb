import Foundation

/// A reintegration case: one staff member, one responsible officer, a goal, and a status
/// that only moves through `TrajectoryStatus.change`.
public struct Trajectory: Sendable, Hashable {
    public var id: UUID
    public var reference: TrajectoryReference
    public var employeeID: UUID
    /// The employee's entity when the case was opened: what need-to-know scopes by.
    public var entityID: UUID
    /// None for a redeployment after a reorganisation.
    public var absenceID: UUID?
    public var officerID: UUID
    /// The occupational physician who may read the case.
    public var physicianID: UUID?
    public var goal: TrajectoryGoal
    public var templateID: String?
    public private(set) var status: TrajectoryStatus
    public private(set) var outcome: TrajectoryOutcome?
    public private(set) var blocked: BlockedFlag?
    public var targetReturnOn: CalendarDate?
    public var openedAt: Date
    public private(set) var closedAt: Date?
    public var consent: TrajectoryConsent
    public var version: Int64

    /// A trajectory as it is opened (status `intake`), or as a store reads it back.
    public init(
        id: UUID, reference: TrajectoryReference, employeeID: UUID, entityID: UUID, absenceID: UUID?, officerID: UUID,
        physicianID: UUID? = nil, goal: TrajectoryGoal = .undetermined, templateID: String? = nil, status: TrajectoryStatus = .intake,
        outcome: TrajectoryOutcome? = nil, blocked: BlockedFlag? = nil, targetReturnOn: CalendarDate? = nil,
        openedAt: Date, closedAt: Date? = nil, consent: TrajectoryConsent = TrajectoryConsent(), version: Int64 = 1
    ) {
        self.id = id
        self.reference = reference
        self.employeeID = employeeID
        self.entityID = entityID
        self.absenceID = absenceID
        self.officerID = officerID
        self.physicianID = physicianID
        self.goal = goal
        self.templateID = templateID
        self.status = status
        self.outcome = outcome
        self.blocked = blocked
        self.targetReturnOn = targetReturnOn
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.consent = consent
        self.version = version
    }

    /// A closed trajectory is read-only; the only thing one can do with it is reopen it.
    public var isReadOnly: Bool { status == .closed }

    /// Moves the status one step. Closing records the outcome and the time and lifts a block
    /// (a closed case is not waiting for anyone); reopening clears both.
    @discardableResult
    public mutating func transition(
        to next: TrajectoryStatus, outcome: TrajectoryOutcome? = nil, reason: String? = nil, at now: Date
    ) throws(TrajectoryTransitionError) -> TrajectoryStatusChange {
        let change = try TrajectoryStatus.change(from: status, to: next, outcome: outcome, reason: reason)
        status = next
        switch change.kind {
        case .close:
            self.outcome = outcome
            closedAt = now
            blocked = nil
        case .reopen:
            self.outcome = nil
            closedAt = nil
        case .startPlanning, .activate, .putOnHold, .resume:
            break
        }
        return change
    }

    /// Marks the case as stuck. Changing the reason of a block keeps its original start, so
    /// "blocked for more than N days" cannot be reset by rewording it.
    public mutating func block(reason: String, at now: Date) throws(TrajectoryRuleError) {
        guard !isReadOnly else { throw .closedIsReadOnly }
        let flag = try BlockedFlag(reason: reason, since: blocked?.since ?? now)
        blocked = flag
    }

    /// Lifts the block; returns the one that was lifted (nil when there was none).
    @discardableResult
    public mutating func unblock() throws(TrajectoryRuleError) -> BlockedFlag? {
        guard !isReadOnly else { throw .closedIsReadOnly }
        defer { blocked = nil }
        return blocked
    }
}

/// What the staff member agreed to, each separately and revocable.
public struct TrajectoryConsent: Sendable, Hashable, Codable {
    /// To be shown to HR as a candidate for temporary mobility.
    public var visibleToHRForMobility: Bool
    /// To be contacted by an experience expert.
    public var contactByExperienceExpert: Bool

    public init(visibleToHRForMobility: Bool = false, contactByExperienceExpert: Bool = false) {
        self.visibleToHRForMobility = visibleToHRForMobility
        self.contactByExperienceExpert = contactByExperienceExpert
    }
}

/// The case is stuck, why, and since when (the escalation rules count from `since`).
public struct BlockedFlag: Sendable, Hashable, Codable {
    public static let maximumReasonLength = 500

    public let reason: String
    public let since: Date

    /// The reason is trimmed and must say something. It is free text that must not hold
    /// medical information; the API says so in its description.
    public init(reason: String, since: Date) throws(TrajectoryRuleError) {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .blockReasonRequired }
        guard trimmed.characterCount <= Self.maximumReasonLength else { throw .blockReasonTooLong(limit: Self.maximumReasonLength) }
        self.reason = trimmed
        self.since = since
    }

    /// Whole calendar days the case has been blocked on `today` (0 on the day it was blocked).
    public func daysBlocked(on today: CalendarDate, in timeZone: TimeZone = CalendarDate.brussels) -> Int {
        max(0, CalendarDate.today(at: since, in: timeZone).days(until: today))
    }
}

public enum TrajectoryRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    case closedIsReadOnly
    case blockReasonRequired
    case blockReasonTooLong(limit: Int)

    public var description: String {
        switch self {
        case .closedIsReadOnly: "A closed trajectory is read-only; reopen it first"
        case .blockReasonRequired: "Blocking a trajectory needs a reason"
        case .blockReasonTooLong(let limit): "The reason for the block is longer than \(limit) characters"
        }
    }
}

/// What the trajectory aims for.
public enum TrajectoryGoal: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case returnOwnJob, adaptedOwnJob, otherJobInternal, temporaryMobility, redeployment, exitOutplacement,
        undetermined

}

/// How a closed trajectory ended.
public enum TrajectoryOutcome: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case returnedFull, returnedPartial, placedOtherJob, temporaryPlacementCompleted, leftOrganisation,
        definitivelyUnfit, withdrawn

}

/// The human reference of a trajectory, `VK-2026-000123`: the year it was opened and a
/// sequence number within that year.
public struct TrajectoryReference: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    public static let prefix = "VK"
    public static let maximumSequence = 999_999

    public let year: Int
    public let sequence: Int

    public init?(year: Int, sequence: Int) {
        guard (1000...9999).contains(year), (1...Self.maximumSequence).contains(sequence) else { return nil }
        self.year = year
        self.sequence = sequence
    }

    /// Parsed by hand rather than with a regex: every trajectory read decodes one.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 14, bytes[0] == UInt8(ascii: "V"), bytes[1] == UInt8(ascii: "K"),
            bytes[2] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-")
        else { return nil }
        guard let year = Int(asciiDigits: bytes[3..<7]), let sequence = Int(asciiDigits: bytes[8..<14]) else { return nil }
        self.init(year: year, sequence: sequence)
    }

    public var description: String {
        let digits = String(sequence)
        return "\(Self.prefix)-\(year)-\(String(repeating: "0", count: 6 - digits.count))\(digits)"
    }

    public static func < (lhs: TrajectoryReference, rhs: TrajectoryReference) -> Bool {
        (lhs.year, lhs.sequence) < (rhs.year, rhs.sequence)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let reference = TrajectoryReference(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Expected a reference like VK-2026-000123")
        }
        self = reference
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
