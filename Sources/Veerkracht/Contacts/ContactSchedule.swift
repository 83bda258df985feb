import Foundation

/// How often an absent staff member is contacted: a first contact within N days of the
/// absence start, then every M days. It comes from the process template and can be set per
/// trajectory.
public struct ContactPolicy: Sendable, Hashable, Codable {
    public var firstContactWithinDays: Int
    public var thenEveryDays: Int
    /// The longest gap the staff member's preferences may stretch the cadence to. Without
    /// it, twice `thenEveryDays`.
    public var longestEveryDays: Int?
    /// Where the figures come from (a policy, not a law).
    public var note: String?

    public init(firstContactWithinDays: Int, thenEveryDays: Int, longestEveryDays: Int? = nil, note: String? = nil) {
        self.firstContactWithinDays = firstContactWithinDays
        self.thenEveryDays = thenEveryDays
        self.longestEveryDays = longestEveryDays
        self.note = note
    }

    public static let allowedDays = 1...365

    /// The policy of a trajectory without a process template: the same figures as the
    /// active-presence template (`sql/templates/active-presence.json`), a policy choice and
    /// not a law.
    public static let withoutTemplate = ContactPolicy(
        firstContactWithinDays: 7, thenEveryDays: 14, longestEveryDays: 28,
        note: "Veerkracht's default for a trajectory without a process template")

    public var effectiveLongestEveryDays: Int {
        max(thenEveryDays, longestEveryDays ?? thenEveryDays * 2)
    }

    /// What is wrong with the figures, as readable sentences (empty when all is well).
    public var problems: [String] {
        var problems: [String] = []
        if !Self.allowedDays.contains(firstContactWithinDays) {
            problems.append("firstContactWithinDays must be within \(Self.allowedDays)")
        }
        if !Self.allowedDays.contains(thenEveryDays) { problems.append("thenEveryDays must be within \(Self.allowedDays)") }
        if let longest = longestEveryDays, !Self.allowedDays.contains(longest) || longest < thenEveryDays {
            problems.append("longestEveryDays must be within \(Self.allowedDays) and at least thenEveryDays")
        }
        return problems
    }
}

/// What the staff member asked for. Channel and person are shown on the due list; the
/// dates and the frequency shape the due date within limits the policy sets.
public struct ContactPreferences: Sendable, Hashable, Codable {
    public var channel: ContactChannel?
    public var contactPerson: ContactPerson?
    /// "Please do not contact me before …".
    public var notBefore: CalendarDate?
    /// "Every N days is enough for me."
    public var preferredEveryDays: Int?

    public init(
        channel: ContactChannel? = nil, contactPerson: ContactPerson? = nil, notBefore: CalendarDate? = nil,
        preferredEveryDays: Int? = nil
    ) {
        self.channel = channel
        self.contactPerson = contactPerson
        self.notBefore = notBefore
        self.preferredEveryDays = preferredEveryDays
    }
}

/// When the next contact is due, and why.
public struct ContactDue: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
        /// No contact yet during this absence.
        case firstContact
        /// The regular rhythm since the last contact.
        case cadence
        /// The date agreed at the last contact.
        case agreedDate

    }

    public var dueOn: CalendarDate
    public var reason: Reason
    /// Days past the due date on the given today; 0 when due today or later.
    public var daysOverdue: Int
    /// The staff member's "not before" date moved the due date later.
    public var deferredByPreference: Bool
    /// A preference or an agreed date asked for a longer gap than the policy allows, so the
    /// policy's longest gap set the date instead.
    public var limitedByPolicy: Bool
    public var channel: ContactChannel?
    public var contactPerson: ContactPerson?

    /// For the officer's list: due or overdue by `today + horizonDays`.
    public func isDue(on today: CalendarDate, horizonDays: Int = 0) -> Bool {
        dueOn <= today.adding(days: horizonDays)
    }
}

/// The contact-due rule. Pure: every date comes in, including today.
///
/// 1. No contact yet during this absence (contacts before its start do not count): due
///    `firstContactWithinDays` after the absence start.
/// 2. Otherwise due `cadence` days after the last contact. The cadence is the policy's
///    `thenEveryDays`; the staff member may ask for *less* frequent contact, up to the
///    policy's longest gap, never more frequent through the cadence (the officer can always
///    agree an earlier date, and the policy is the organisation's minimum).
/// 3. A next contact agreed at the last contact (a date after it) replaces the cadence date,
///    earlier or later, but never beyond the longest gap. Before any contact, an agreed
///    date can only bring the first contact forward.
/// 4. A "not before" date defers the due date, again never beyond the longest gap after the
///    last contact (or after the absence start, or the first-contact deadline if that is
///    later): whatever is asked, contact never lapses for longer than the policy allows.
/// 5. Once the absence has ended (its end before today, or the due date after its end),
///    nothing is due.
public enum ContactSchedule {
    public static func cadenceDays(policy: ContactPolicy, preferences: ContactPreferences) -> Int {
        guard let preferred = preferences.preferredEveryDays else { return policy.thenEveryDays }
        return min(max(preferred, policy.thenEveryDays), policy.effectiveLongestEveryDays)
    }

    public static func nextDue(
        absenceStart: CalendarDate,
        absenceEnd: CalendarDate? = nil,
        policy: ContactPolicy,
        preferences: ContactPreferences = ContactPreferences(),
        lastContactOn: CalendarDate?,
        agreedNextContactOn: CalendarDate?,
        today: CalendarDate
    ) -> ContactDue? {
        let lastDuringAbsence = lastContactOn.flatMap { $0 >= absenceStart ? $0 : nil }
        var dueOn: CalendarDate
        var reason: ContactDue.Reason
        var limitedByPolicy = false
        let latest: CalendarDate

        if let last = lastDuringAbsence {
            latest = last.adding(days: policy.effectiveLongestEveryDays)
            dueOn = last.adding(days: cadenceDays(policy: policy, preferences: preferences))
            reason = .cadence
            limitedByPolicy = (preferences.preferredEveryDays ?? 0) > policy.effectiveLongestEveryDays
            // An agreed date on or before the last contact belongs to an earlier conversation.
            if let agreed = agreedNextContactOn, agreed > last {
                if agreed <= latest {
                    dueOn = agreed
                    reason = .agreedDate
                    limitedByPolicy = false
                } else {
                    dueOn = latest
                    limitedByPolicy = true
                }
            }
        } else {
            let firstDeadline = policy.firstContactWithinDays
            latest = absenceStart.adding(days: max(firstDeadline, policy.effectiveLongestEveryDays))
            dueOn = absenceStart.adding(days: firstDeadline)
            reason = .firstContact
            if let agreed = agreedNextContactOn, agreed >= absenceStart, agreed < dueOn {
                dueOn = agreed
                reason = .agreedDate
            }
        }

        var deferred = false
        if let notBefore = preferences.notBefore, notBefore > dueOn {
            deferred = true
            if notBefore > latest {
                dueOn = latest
                limitedByPolicy = true
            } else {
                dueOn = notBefore
            }
        }

        if let end = absenceEnd, end < today || dueOn > end { return nil }

        return ContactDue(
            dueOn: dueOn, reason: reason, daysOverdue: max(0, dueOn.days(until: today)),
            deferredByPreference: deferred, limitedByPolicy: limitedByPolicy,
            channel: preferences.channel, contactPerson: preferences.contactPerson)
    }
}

/// Everything the contact-due rule reads about one trajectory, as the store finds it.
public struct ContactSituation: Sendable, Hashable {
    public var isOpen: Bool
    public var absenceStart: CalendarDate?
    public var absenceEnd: CalendarDate?
    /// The Brussels day the trajectory was opened.
    public var openedOn: CalendarDate
    /// The process template's policy; nil for a trajectory without a template.
    public var policy: ContactPolicy?
    public var preferences: ContactPreferences
    public var lastContactAt: Date?
    /// The next contact agreed at the latest contact.
    public var agreedNextContactOn: CalendarDate?

    public init(
        isOpen: Bool, absenceStart: CalendarDate?, absenceEnd: CalendarDate? = nil, openedOn: CalendarDate,
        policy: ContactPolicy?, preferences: ContactPreferences = ContactPreferences(), lastContactAt: Date? = nil,
        agreedNextContactOn: CalendarDate? = nil
    ) {
        self.isOpen = isOpen
        self.absenceStart = absenceStart
        self.absenceEnd = absenceEnd
        self.openedOn = openedOn
        self.policy = policy
        self.preferences = preferences
        self.lastContactAt = lastContactAt
        self.agreedNextContactOn = agreedNextContactOn
    }

    /// Contacts count from the absence start; a trajectory without an absence (a
    /// redeployment) counts from the day it was opened.
    public var countsFrom: CalendarDate { absenceStart ?? openedOn }

    public var effectivePolicy: ContactPolicy { policy ?? .withoutTemplate }
}

extension ContactSchedule {
    /// The due date a trajectory's work-list columns hold: none once it is closed.
    public static func nextDue(
        _ situation: ContactSituation, today: CalendarDate, in timeZone: TimeZone = CalendarDate.brussels
    ) -> ContactDue? {
        guard situation.isOpen else { return nil }
        return nextDue(
            absenceStart: situation.countsFrom, absenceEnd: situation.absenceEnd, policy: situation.effectivePolicy,
            preferences: situation.preferences,
            lastContactOn: situation.lastContactAt.map { CalendarDate.today(at: $0, in: timeZone) },
            agreedNextContactOn: situation.agreedNextContactOn, today: today)
    }
}

/// How far ahead the officer's work list looks: `0d` is what is due today or overdue, `7d`
/// or `1w` adds the coming week. At most 90 days.
public struct ContactHorizon: Sendable, Hashable, CustomStringConvertible {
    public static let longestDays = 90

    public let days: Int

    public init?(days: Int) {
        guard (0...Self.longestDays).contains(days) else { return nil }
        self.days = days
    }

    /// `Nd` or `Nw` (see `DaySpan`), up to `longestDays`.
    public init?(_ text: String) {
        guard let days = DaySpan.days(in: text) else { return nil }
        self.init(days: days)
    }

    public var description: String { "\(days)d" }
}
