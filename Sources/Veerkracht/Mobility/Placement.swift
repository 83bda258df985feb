import Foundation

/// One candidate in one offer, from proposal to evaluation.
public struct Placement: Sendable, Hashable {
    public var id: UUID
    public var offer: OfferSummary
    public var employeeID: UUID
    public var trajectoryID: UUID?
    public var homeEntityID: UUID
    public var status: PlacementStatus
    public var proposedBy: UUID
    public var matchRoundID: UUID?
    public var scoreMicros: Int?
    public var agreement: PlacementAgreement?
    public var releasedBy: ReleasedBy?
    public var startedOn: CalendarDate?
    public var endedOn: CalendarDate?
    public var declineReason: String?
    public var evaluations: [PlacementEvaluation]
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// An offer as other resources refer to it.
public struct OfferSummary: Sendable, Hashable {
    public var id: UUID
    public var reference: String
    public var title: String
    public var hostEntityID: UUID
}

/// What the host and the candidate agreed when the host accepted.
public struct PlacementAgreement: Sendable, Hashable {
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    public var hoursPerWeek: Double
    public var costBearer: CostBearer
    public var adaptations: [Adaptation]
}

public enum ReleasedBy: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case homeManager, homeHr
}

public struct PlacementEvaluation: Sendable, Hashable {
    public enum Side: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
        case officer, host
    }

    public var side: Side
    public var went: Int
    public var hostWouldContinue: Bool?
    public var gaveEnergy: Int?
    public var helpedReturn: Bool?
    public var note: String?
    public var evaluatedBy: UUID
    public var createdAt: Date

    /// Scores from 1 (badly) to 5 (very well); the note is free text without medical content.
    public var issues: [InputIssue] {
        var issues: [InputIssue] = []
        if !(1...5).contains(went) { issues.append(InputIssue(in: .body, name: "went", detail: "From 1 to 5")) }
        if let gaveEnergy, !(1...5).contains(gaveEnergy) { issues.append(InputIssue(in: .body, name: "gaveEnergy", detail: "From 1 to 5")) }
        if let note, !TextRules.isText(note, maximumLength: 2000) {
            issues.append(InputIssue(in: .body, name: "note", detail: "1 to 2000 characters, not only spaces"))
        }
        return issues
    }
}

/// A placement's life:
///
/// ```
/// proposed → candidateAccepted | candidateDeclined
/// candidateAccepted → hostAccepted | hostDeclined
/// hostAccepted → released → started → completed | endedEarly
/// ```
///
/// From `hostAccepted` on the placement holds one of the offer's positions (the database
/// refuses one more than the offer has).
public enum PlacementStatus: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case proposed, candidateAccepted, candidateDeclined, hostAccepted, hostDeclined, released, started, completed, endedEarly

    public var allowedNextStatuses: [PlacementStatus] {
        switch self {
        case .proposed: [.candidateAccepted, .candidateDeclined]
        case .candidateAccepted: [.hostAccepted, .hostDeclined]
        case .hostAccepted: [.released]
        case .released: [.started]
        case .started: [.completed, .endedEarly]
        case .candidateDeclined, .hostDeclined, .completed, .endedEarly: []
        }
    }

    /// Holds a position of the offer.
    public var takesPosition: Bool { [.hostAccepted, .released, .started, .completed, .endedEarly].contains(self) }
    /// Over: a failed or finished placement.
    public var isFinal: Bool { allowedNextStatuses.isEmpty }
    /// A placement that did not work out (what the panel's "failed placements" rule counts).
    public var failed: Bool { [.candidateDeclined, .hostDeclined, .endedEarly].contains(self) }

    /// Which side acts for each step.
    public var actor: PlacementActor {
        switch self {
        case .proposed, .candidateAccepted, .candidateDeclined: .candidateSide
        case .hostAccepted, .hostDeclined: .host
        case .released: .home
        case .started, .completed, .endedEarly: .officerOrHost
        }
    }
}

/// Who may take a placement into a status.
public enum PlacementActor: Sendable, Hashable {
    /// The officers of the candidate's trajectory (for the candidate; HR of the home entity without one).
    case candidateSide
    /// HR of the offer's host entity.
    case host
    /// HR of the candidate's home entity, or the officer recording the home manager's release.
    case home
    case officerOrHost
}

/// One requested step, with what goes with it.
public struct PlacementStep: Sendable, Hashable {
    public var to: PlacementStatus
    public var agreement: PlacementAgreement?
    public var releasedBy: ReleasedBy?
    public var on: CalendarDate?
    public var reason: String?

    public init(to: PlacementStatus, agreement: PlacementAgreement? = nil, releasedBy: ReleasedBy? = nil, on: CalendarDate? = nil, reason: String? = nil) {
        self.to = to
        self.agreement = agreement
        self.releasedBy = releasedBy
        self.on = on
        self.reason = reason
    }

    /// The input problems of this step from `from`, against the offer it belongs to; an
    /// illegal step is not an input problem (409) and is checked by the caller first.
    public func issues(offer: OfferTerms, today: CalendarDate, rules: OfferRules) -> [InputIssue] {
        var issues: [InputIssue] = []
        if to == .hostAccepted {
            if let agreement {
                if agreement.endsOn < agreement.startsOn {
                    issues.append(InputIssue(.invalidInput, in: .body, name: "agreement.endsOn", detail: "endsOn is before startsOn"))
                } else if agreement.endsOn > agreement.startsOn.adding(months: rules.maximumMonths) {
                    issues.append(InputIssue(.invalidInput, in: .body, name: "agreement.endsOn", detail: "A temporary placement runs at most \(rules.maximumMonths) months"))
                }
                if agreement.hoursPerWeek < rules.minimumHours || agreement.hoursPerWeek > 60 {
                    issues.append(InputIssue(in: .body, name: "agreement.hoursPerWeek", detail: "From \(rules.minimumHours) to 60 hours"))
                }
                issues += Lists.issues(agreement.adaptations, "agreement.adaptations", maximum: 5)
            } else {
                issues.append(InputIssue(in: .body, name: "agreement", detail: "Accepting as host records the agreement"))
            }
        } else if agreement != nil {
            issues.append(InputIssue(.invalidInput, in: .body, name: "agreement", detail: "The agreement goes with hostAccepted"))
        }
        if to == .released, releasedBy == nil {
            issues.append(InputIssue(in: .body, name: "releasedBy", detail: "Say who released the person: homeManager or homeHr"))
        } else if to != .released, releasedBy != nil {
            issues.append(InputIssue(.invalidInput, in: .body, name: "releasedBy", detail: "releasedBy goes with released"))
        }
        if on != nil, ![.started, .completed, .endedEarly].contains(to) {
            issues.append(InputIssue(.invalidInput, in: .body, name: "on", detail: "on goes with started, completed and endedEarly"))
        }
        if let on, on > today {
            issues.append(InputIssue(.invalidInput, in: .body, name: "on", detail: "A placement cannot start or end in the future"))
        }
        if reason != nil, ![.candidateDeclined, .hostDeclined, .endedEarly].contains(to) {
            issues.append(InputIssue(.invalidInput, in: .body, name: "reason", detail: "reason goes with a decline or endedEarly"))
        }
        if let reason, !TextRules.isText(reason, maximumLength: 500) {
            issues.append(InputIssue(in: .body, name: "reason", detail: "1 to 500 characters, not only spaces"))
        }
        return issues
    }
}
