import Foundation

/// A temporary job in a host entity, posted by HR: the demand side of the marketplace.
public struct Offer: Sendable, Hashable {
    public var id: UUID
    public var reference: String
    public var hostEntityID: UUID
    public var terms: OfferTerms
    public var status: OfferStatus
    public var authorID: UUID
    public var approvedBy: UUID?
    public var submittedAt: Date?
    public var publishedAt: Date?
    /// Placements that took a position (from the host's acceptance on).
    public var positionsTaken: Int
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// What an offer asks and gives: everything HR writes and may change while it is a draft.
public struct OfferTerms: Sendable, Hashable {
    public var title: String
    public var description: String
    public var siteName: String
    public var postcode: String
    public var competencies: [WantedCompetency]
    public var talentTags: [String]
    public var gradesAccepted: [String]
    public var hoursPerWeek: Double
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    public var teleworkDays: Int
    public var demands: [WorkDemand: DemandLevel]
    public var adaptations: [Adaptation]
    public var positions: Int
    public var costBearer: CostBearer
    /// Nil: every entity may see the offer; otherwise these entities and everything below them.
    public var visibleToEntityIDs: [UUID]?
}

public enum CostBearer: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case homeOrganisation, hostOrganisation
}

/// An offer's life:
///
/// ```
/// draft ⇄ submitted → open → filled | closed | expired
/// ```
///
/// `submitted → open` is the publishing approval (by someone other than the author);
/// `filled` comes with the last position taken, `expired` from the sweep.
public enum OfferStatus: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    case draft, submitted, open, filled, closed, expired

    /// Published: visible beyond the host's HR.
    public var isPublished: Bool { ![.draft, .submitted].contains(self) }

    /// The steps a person may ask for; `filled` and `expired` only happen to an offer.
    public var allowedNextStatuses: [OfferStatus] {
        switch self {
        case .draft: [.submitted]
        case .submitted: [.draft, .open]
        case .open: [.closed]
        case .filled, .closed, .expired: []
        }
    }
}

/// The schema's `maxItems` and `uniqueItems` of a list in a body.
enum Lists {
    static func issues<Item: Hashable>(_ items: [Item], _ name: String, maximum: Int) -> [InputIssue] {
        var issues: [InputIssue] = []
        if items.count > maximum { issues.append(InputIssue(in: .body, name: name, detail: "At most \(maximum) items")) }
        if Set(items).count != items.count { issues.append(InputIssue(in: .body, name: name, detail: "Each item may be given once")) }
        return issues
    }
}

/// A Belgian postcode: four digits, not starting with 0 (the schema's pattern).
public enum Postcode {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 4 && bytes.allSatisfy(\.isASCIIDigit) && bytes[0] != UInt8(ascii: "0")
    }
}

/// The rules an offer's terms must keep, with the employer's figures.
public struct OfferRules: Sendable, Hashable {
    /// A full working week in hours (38 in the Belgian and Flemish public services).
    public var fullWeekHours: Double
    /// The longest a temporary offer may run, in calendar months from its start.
    public var maximumMonths: Int

    public init(fullWeekHours: Double = 38, maximumMonths: Int = 12) {
        self.fullWeekHours = fullWeekHours
        self.maximumMonths = maximumMonths
    }

    /// Below a tenth of a full week there is no job to speak of.
    public var minimumHours: Double { (fullWeekHours / 10 * 100).rounded(.up) / 100 }

    /// The terms' problems, one per field; catalogue codes are checked against the database.
    public func issues(_ terms: OfferTerms) -> [InputIssue] {
        var issues: [InputIssue] = []
        if !TextRules.isLine(terms.title, maximumLength: 200) {
            issues.append(InputIssue(in: .body, name: "title", detail: "1 to 200 characters on one line, not only spaces"))
        }
        if !TextRules.isText(terms.description, maximumLength: 4000) {
            issues.append(InputIssue(in: .body, name: "description", detail: "1 to 4000 characters, not only spaces"))
        }
        if !TextRules.isLine(terms.siteName, maximumLength: 200) {
            issues.append(InputIssue(in: .body, name: "site.name", detail: "1 to 200 characters on one line, not only spaces"))
        }
        if !Postcode.isValid(terms.postcode) {
            issues.append(InputIssue(in: .body, name: "site.postcode", detail: "A Belgian postcode: four digits", value: String(terms.postcode.prefix(16))))
        }
        if terms.hoursPerWeek < minimumHours || terms.hoursPerWeek > 60 {
            issues.append(InputIssue(in: .body, name: "hoursPerWeek", detail: "From \(minimumHours) (a tenth of a full week) to 60 hours"))
        }
        if terms.endsOn < terms.startsOn {
            issues.append(InputIssue(.invalidInput, in: .body, name: "endsOn", detail: "endsOn is before startsOn"))
        } else if terms.endsOn > terms.startsOn.adding(months: maximumMonths) {
            issues.append(InputIssue(
                .invalidInput, in: .body, name: "endsOn", detail: "A temporary offer runs at most \(maximumMonths) months from its start"))
        }
        if !(0...5).contains(terms.teleworkDays) { issues.append(InputIssue(in: .body, name: "teleworkDays", detail: "0 to 5 days a week")) }
        if !(1...50).contains(terms.positions) { issues.append(InputIssue(in: .body, name: "positions", detail: "1 to 50 positions")) }
        if terms.competencies.count > 30 { issues.append(InputIssue(in: .body, name: "competencies", detail: "At most 30 competencies")) }
        var seen = Set<String>()
        for (index, wanted) in terms.competencies.enumerated() {
            if !seen.insert(wanted.code).inserted {
                issues.append(InputIssue(.invalidInput, in: .body, name: "competencies[\(index)].code", detail: "Each competency may be asked once"))
            }
            if !(1...5).contains(wanted.level) { issues.append(InputIssue(in: .body, name: "competencies[\(index)].level", detail: "A level from 1 to 5")) }
            if !(wanted.weight > 0 && wanted.weight <= 10) {
                issues.append(InputIssue(in: .body, name: "competencies[\(index)].weight", detail: "More than 0, at most 10"))
            }
        }
        issues += Lists.issues(terms.talentTags, "talentTags", maximum: 20)
        issues += Lists.issues(terms.gradesAccepted, "gradesAccepted", maximum: 20)
        issues += Lists.issues(terms.adaptations, "adaptations", maximum: 5)
        if let visible = terms.visibleToEntityIDs {
            issues += Lists.issues(visible, "visibleToEntityIds", maximum: 50)
            if visible.isEmpty { issues.append(InputIssue(in: .body, name: "visibleToEntityIds", detail: "At least one entity; leave it out for all")) }
        }
        for (index, grade) in terms.gradesAccepted.enumerated() where !TextRules.isLine(grade, maximumLength: 50) {
            issues.append(InputIssue(in: .body, name: "gradesAccepted[\(index)]", detail: "1 to 50 characters on one line, not only spaces"))
        }
        return issues
    }
}
