import Foundation

/// The state of one deadline (a milestone of a trajectory's template).
public enum DeadlineStatus: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case pending, met, missed, waived

    /// Met and waived deadlines are history: later events do not move them.
    public var isSettled: Bool { self == .met || self == .waived }
}

extension DeadlineStatus {
    /// An officer settles a deadline by hand: met (late, for a missed one) or waived. What
    /// is met or waived stays so; pending and missed are never set by hand (the schedule
    /// and the sweep set them).
    public func canBeSettled(as next: DeadlineStatus) -> Bool {
        !isSettled && next.isSettled
    }
}

/// How an officer settles a deadline by hand, with its rules.
public enum DeadlineSettlement: Sendable, Hashable {
    /// Done on that day; the day cannot be in the future.
    case met(on: CalendarDate, note: String?)
    /// Not needed for this case; the reason is required.
    case waived(note: String)

    public static let maximumNoteLength = 2000

    public var status: DeadlineStatus {
        switch self {
        case .met: .met
        case .waived: .waived
        }
    }

    public var metOn: CalendarDate? {
        if case .met(let day, _) = self { day } else { nil }
    }

    public var note: String? {
        switch self {
        case .met(_, let note): note
        case .waived(let note): note
        }
    }

    /// A note is trimmed; blank is none. Free text without medical information (the API says so).
    public static func normalisedNote(_ text: String?) -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

/// How far ahead the officer's list of upcoming deadlines looks: `30d` or `4w`, 0 to 366 days.
public struct DeadlineHorizon: Sendable, Hashable {
    public static let allowedDays = 0...366
    public static let standard = DeadlineHorizon(days: 30)

    public let days: Int

    private init(days: Int) { self.days = days }

    /// Nil for anything but `Nd` or `Nw` (see `DaySpan`), or a span beyond a year.
    public init?(_ text: String) {
        guard let days = DaySpan.days(in: text), Self.allowedDays.contains(days) else { return nil }
        self.days = days
    }

    /// The last due date the list shows, seen from `today`.
    public func lastDay(from today: CalendarDate) -> CalendarDate { today.adding(days: days) }
}

/// A deadline as stored: a milestone with a due date and a status.
public struct Deadline: Sendable, Hashable {
    public var milestoneCode: String
    public var dueOn: CalendarDate
    public var status: DeadlineStatus

    public init(milestoneCode: String, dueOn: CalendarDate, status: DeadlineStatus = .pending) {
        self.milestoneCode = milestoneCode
        self.dueOn = dueOn
        self.status = status
    }

    /// What the sweep looks for: still pending and its due day is over. The due day itself
    /// still counts as on time.
    public func isMissed(on today: CalendarDate) -> Bool {
        status == .pending && dueOn < today
    }
}

/// One milestone of a template against the events recorded so far.
public struct ScheduledMilestone: Sendable, Hashable {
    public var milestone: Milestone
    /// Nil while the trigger has not happened.
    public var triggeredOn: CalendarDate?
    /// Nil while the trigger has not happened: no due date yet.
    public var dueOn: CalendarDate?
    /// The day the event that meets it happened, if it did, on or after the trigger: a plan
    /// offered after decision A does not meet the plan due after a later decision B.
    public var metOn: CalendarDate?

    public var code: String { milestone.code }
}

/// The arithmetic of a template: trigger events with their dates in, due dates out.
/// Recording an event again with another date moves every milestone that hangs on it.
public struct DeadlineSchedule: Sendable, Hashable {
    public let template: ProcessTemplate
    public private(set) var events: [TriggerEvent: CalendarDate]

    public init(template: ProcessTemplate, events: [TriggerEvent: CalendarDate] = [:]) {
        self.template = template
        self.events = events
    }

    /// Records (or corrects) the date of an event.
    public mutating func record(_ event: TriggerEvent, on date: CalendarDate) {
        events[event] = date
    }

    /// Withdraws an event recorded by mistake; its milestones lose their due dates.
    public mutating func remove(_ event: TriggerEvent) {
        events[event] = nil
    }

    /// Every milestone in template order, due or not yet due.
    public var milestones: [ScheduledMilestone] {
        template.milestones.map { milestone in
            let triggeredOn = events[milestone.trigger]
            let metOn = milestone.metBy.flatMap { events[$0] }
            return ScheduledMilestone(
                milestone: milestone, triggeredOn: triggeredOn,
                dueOn: triggeredOn.map { milestone.dueOn(triggeredOn: $0) },
                metOn: triggeredOn.flatMap { triggered in metOn.flatMap { $0 >= triggered ? $0 : nil } })
        }
    }

    public func dueOn(_ milestoneCode: String) -> CalendarDate? {
        milestones.first { $0.code == milestoneCode }?.dueOn
    }

    /// What the store must do so that the stored deadlines match the events:
    ///
    /// - a milestone that became due and has no row yet is created (already met when its
    ///   meeting event is recorded);
    /// - a pending or missed deadline whose trigger date changed moves; a missed one whose
    ///   new date is today or later is pending again (the old date was a mistake);
    /// - a pending or missed deadline whose meeting event is recorded becomes met;
    /// - a pending or missed deadline whose trigger was withdrawn is removed;
    /// - met and waived deadlines are never touched, and rows for codes the template no
    ///   longer has are left alone.
    public func changes(from existing: [Deadline], today: CalendarDate) -> [DeadlineChange] {
        let stored = Dictionary(existing.map { ($0.milestoneCode, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [DeadlineChange] = []
        for scheduled in milestones {
            let code = scheduled.code
            guard let current = stored[code] else {
                if let dueOn = scheduled.dueOn {
                    changes.append(.create(milestoneCode: code, dueOn: dueOn, metOn: scheduled.metOn))
                }
                continue
            }
            guard !current.status.isSettled else { continue }
            guard let dueOn = scheduled.dueOn else {
                changes.append(.remove(milestoneCode: code))
                continue
            }
            if dueOn != current.dueOn {
                let reopen = current.status == .missed && dueOn >= today && scheduled.metOn == nil
                changes.append(.move(milestoneCode: code, from: current.dueOn, to: dueOn, reopen: reopen))
            }
            if let metOn = scheduled.metOn {
                changes.append(.meet(milestoneCode: code, on: metOn))
            }
        }
        return changes
    }
}

/// One step to bring the stored deadlines in line with the schedule.
public enum DeadlineChange: Sendable, Hashable {
    /// A new deadline, pending, or met already when `metOn` is set.
    case create(milestoneCode: String, dueOn: CalendarDate, metOn: CalendarDate?)
    /// The trigger date changed; `reopen` turns a missed deadline back into a pending one.
    case move(milestoneCode: String, from: CalendarDate, to: CalendarDate, reopen: Bool)
    case meet(milestoneCode: String, on: CalendarDate)
    /// The trigger was withdrawn: the deadline has no due date any more.
    case remove(milestoneCode: String)

    public var milestoneCode: String {
        switch self {
        case .create(let code, _, _), .move(let code, _, _, _), .meet(let code, _), .remove(let code): code
        }
    }
}
