import Foundation

/// Why someone is away, in the employer's administrative terms. Never a diagnosis.
public enum AbsenceKind: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case illness, workAccident, occupationalDisease, otherLongAbsence
}

/// A staff member's absence. Case data: only officers of the employee's entity see it.
public struct Absence: Sendable, Hashable {
    public var id: UUID
    public var employeeID: UUID
    /// The employee's entity, which decides who may see the absence.
    public var entityID: UUID
    public var kind: AbsenceKind
    public var period: AbsencePeriod
    /// Of the contractual hours, the share worked on the day asked about (partial resumption):
    /// the newest entry of the history effective on or before that day; before the first
    /// entry (an absence yet to begin), the first's.
    public var workCapacityPercent: Int
    /// The trajectory that refers to this absence: the open one, else the latest opened.
    public var trajectoryID: UUID?
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// The days of an absence. An absence without `endedOn` is still running; the expected end
/// is a forecast and does not bound it.
public struct AbsencePeriod: Sendable, Hashable {
    public var startsOn: CalendarDate
    public var expectedEndOn: CalendarDate? = nil
    public var endedOn: CalendarDate? = nil

    /// Ends before the start, named by field.
    public var problems: [StaffFieldProblem] {
        var problems: [StaffFieldProblem] = []
        if let expectedEndOn, expectedEndOn < startsOn {
            problems.append(.init(field: "expectedEndOn", detail: "The expected end cannot be before the start (\(startsOn))"))
        }
        if let endedOn, endedOn < startsOn {
            problems.append(.init(field: "endedOn", detail: "The end cannot be before the start (\(startsOn))"))
        }
        return problems
    }
}

/// One entry of an absence's work capacity history: from `effectiveFrom` on, `percent` of
/// the contractual hours are worked. The first entry is the figure the absence started with.
public struct WorkCapacityChange: Sendable, Hashable {
    public var absenceID: UUID
    public var effectiveFrom: CalendarDate
    public var percent: Int
    public var recordedBy: UUID?
    public var recordedAt: Date
}

/// The rules of work capacity and its history.
public enum WorkCapacity {
    public static let percentRange = 0...100

    public static func isValidPercent(_ percent: Int) -> Bool { percentRange.contains(percent) }

    /// The problems of a new entry for an absence of `period`.
    public static func problems(effectiveFrom: CalendarDate, percent: Int, in period: AbsencePeriod) -> [StaffFieldProblem] {
        var problems: [StaffFieldProblem] = []
        if !isValidPercent(percent) { problems.append(.init(field: "percent", detail: "From 0 to 100")) }
        if effectiveFrom < period.startsOn {
            problems.append(.init(field: "effectiveFrom", detail: "Not before the absence's start (\(period.startsOn))"))
        }
        if let end = period.endedOn, effectiveFrom > end {
            problems.append(.init(field: "effectiveFrom", detail: "Not after the absence's end (\(end))"))
        }
        return problems
    }

    /// What becomes of the history when the absence's period changes from `old` to `new`.
    /// The first entry, the figure the absence started with, moves with the start; every
    /// later entry must stay inside the new period (after the new start, not after its end).
    public enum Rescheduling: Sendable, Hashable {
        /// Nothing to change.
        case unchanged
        /// The first entry moves from `from` to `to`.
        case moveFirst(from: CalendarDate, to: CalendarDate)
        /// The new period would leave an entry outside it; `detail` says which.
        case conflict(detail: String)
    }

    public static func rescheduling(_ history: [CalendarDate], from old: AbsencePeriod, to new: AbsencePeriod) -> Rescheduling {
        let dates = history.sorted()
        guard let first = dates.first else { return .unchanged }
        let movesFirst = first == old.startsOn && new.startsOn != old.startsOn
        let later = dates.dropFirst()
        if let clash = later.first(where: { $0 <= new.startsOn }) {
            return .conflict(detail: "A work capacity change is effective from \(clash); the absence cannot start on or after that day")
        }
        if !movesFirst, first < new.startsOn {
            return .conflict(detail: "A work capacity change is effective from \(first); the absence cannot start after that day")
        }
        let last = later.last ?? (movesFirst ? new.startsOn : first)
        if let end = new.endedOn, last > end {
            return .conflict(detail: "A work capacity change is effective from \(last); the absence cannot end before that day")
        }
        return movesFirst ? .moveFirst(from: first, to: new.startsOn) : .unchanged
    }
}
