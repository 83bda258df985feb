import Foundation

/// A conversation with the absent staff member (or an attempt that reached them). The
/// summary is non-medical: how the person is doing with work, not what is wrong with them.
public struct ContactMoment: Sendable, Hashable {
    public static let maximumSummaryLength = 2000
    /// How far in the future `occurredAt` may lie: the clocks of a phone and the server differ.
    public static let allowedClockSkew: TimeInterval = 5 * 60
    /// The latest agreed next contact, counted from the day of the contact.
    public static let longestAgreedGapDays = 365

    public var id: UUID
    public var trajectoryID: UUID
    public var occurredAt: Date
    public var channel: ContactChannel
    public var initiative: ContactInitiative
    public var madeBy: ContactPerson
    public var summary: String
    public var wellbeing: WellbeingScore?
    public var nextContactOn: CalendarDate?
    public var recordedBy: UUID
    /// Nil until the moment is stored.
    public var recordedAt: Date?
    public var updatedAt: Date?
    public var version: Int64

    public init(
        id: UUID, trajectoryID: UUID, occurredAt: Date, channel: ContactChannel, initiative: ContactInitiative,
        madeBy: ContactPerson, summary: String, wellbeing: WellbeingScore? = nil, nextContactOn: CalendarDate? = nil,
        recordedBy: UUID, recordedAt: Date? = nil, updatedAt: Date? = nil, version: Int64 = 1
    ) {
        self.id = id
        self.trajectoryID = trajectoryID
        self.occurredAt = occurredAt
        self.channel = channel
        self.initiative = initiative
        self.madeBy = madeBy
        self.summary = summary
        self.wellbeing = wellbeing
        self.nextContactOn = nextContactOn
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The calendar day of the contact, which is what the contact schedule counts from.
    public func occurredOn(in timeZone: TimeZone = CalendarDate.brussels) -> CalendarDate {
        CalendarDate.today(at: occurredAt, in: timeZone)
    }

    public static func isValidSummary(_ summary: String) -> Bool {
        (1...maximumSummaryLength).contains(summary.characterCount)
            && !summary.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// A contact is recorded after it happened: a few minutes ahead of `now` is clock skew,
    /// more is a typo.
    public static func isInFuture(_ occurredAt: Date, now: Date) -> Bool {
        occurredAt.timeIntervalSince(now) > allowedClockSkew
    }

    /// Contacts count from the start of the absence (or the day the trajectory was opened,
    /// when it has none): an earlier one belongs to another story.
    public static func isBeforeStart(_ occurredAt: Date, start: CalendarDate, in timeZone: TimeZone = CalendarDate.brussels) -> Bool {
        CalendarDate.today(at: occurredAt, in: timeZone) < start
    }

    /// The next contact agreed during a contact lies after its day and within a year.
    public static func isValidAgreedNextContact(_ nextContactOn: CalendarDate, after occurredOn: CalendarDate) -> Bool {
        nextContactOn > occurredOn && nextContactOn <= occurredOn.adding(days: longestAgreedGapDays)
    }
}

public enum ContactChannel: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case phone, video, visit, inPerson, email, letter
}

/// Who took the initiative for the contact.
public enum ContactInitiative: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case employer, employee
}

/// Who made (or should make) the contact.
public enum ContactPerson: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case officer, manager, colleague, physician, hr
}

/// A self-reported score from 1 (bad) to 5 (good); never a clinical measure.
public struct WellbeingScore: Sendable, Hashable, Comparable, Codable {
    public static let range = 1...5

    public let value: Int

    public init?(_ value: Int) {
        guard Self.range.contains(value) else { return nil }
        self.value = value
    }

    public static func < (lhs: WellbeingScore, rhs: WellbeingScore) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(Int.self)
        guard let score = WellbeingScore(value) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "A wellbeing score is 1 to 5")
        }
        self = score
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
