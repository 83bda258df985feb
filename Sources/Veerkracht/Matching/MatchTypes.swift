import Foundation

/// How much of a work demand a job puts on a person, or the most of it a person may take on.
public enum DemandLevel: String, CaseIterable, Sendable, Codable, Comparable {
    case none, low, medium, high

    /// 0 for none up to 3 for high: the order levels compare in, and the steps an adaptation lowers.
    public var rank: Int {
        switch self {
        case .none: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        }
    }

    public static func < (lhs: DemandLevel, rhs: DemandLevel) -> Bool { lhs.rank < rhs.rank }
}

/// The functional dimensions a physician restricts and a job description rates; never a diagnosis.
public enum WorkDemand: String, CaseIterable, Sendable, Codable {
    case physicalLoad, emotionalLoad, customerContact, shiftOrNightWork, travel, screenWork

    /// The adaptations that lower this demand by one level, in `Adaptation.allCases` order.
    /// The table follows what each adaptation changes in practice: equipment and a gradual
    /// start spare the body, a quiet workplace and fewer hours spare the mind, a quiet
    /// workplace means fewer customers, a flexible schedule avoids nights and rush-hour travel,
    /// adapted equipment (screens, breaks software) eases screen work.
    public var loweredBy: [Adaptation] {
        switch self {
        case .physicalLoad: [.gradualStart, .adaptedEquipment]
        case .emotionalLoad: [.reducedHours, .quietWorkplace]
        case .customerContact: [.quietWorkplace]
        case .shiftOrNightWork: [.flexibleSchedule]
        case .travel: [.flexibleSchedule]
        case .screenWork: [.adaptedEquipment]
        }
    }
}

/// What a host can adapt in a job.
public enum Adaptation: String, CaseIterable, Sendable, Codable {
    case reducedHours, flexibleSchedule, quietWorkplace, gradualStart, adaptedEquipment
}

public struct GeoPoint: Sendable, Hashable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// A competency an offer asks for. Levels are on a 1–5 scale; values outside it are clamped.
public struct WantedCompetency: Sendable, Hashable {
    public var code: String
    public var level: Int
    /// Relative importance within the offer; a weight that is not positive counts as 0.
    public var weight: Double
    /// A required competency is a hard constraint: the candidate must have it at the level.
    public var required: Bool

    public init(code: String, level: Int, weight: Double = 1, required: Bool = false) {
        self.code = code
        self.level = level
        self.weight = weight
        self.required = required
    }
}

/// The demand side as the engine sees it.
public struct MatchOffer: Sendable, Hashable {
    public var id: UUID
    public var hostEntityID: UUID
    /// Nil: visible to every entity. The caller has already expanded sub-entities.
    public var visibleToEntityIDs: Set<UUID>?
    public var competencies: [WantedCompetency]
    public var talentTags: Set<String>
    /// Empty: any grade.
    public var gradesAccepted: Set<String>
    public var hoursPerWeek: Double
    public var startsOn: CalendarDate
    public var endsOn: CalendarDate
    /// Nil: location unknown.
    public var site: GeoPoint?
    /// 0...5 per week.
    public var teleworkDays: Int
    /// A missing key is `.none`.
    public var demands: [WorkDemand: DemandLevel]
    public var adaptations: Set<Adaptation>
    /// At least 1: how many candidates a match round may place here.
    public var positions: Int

    public init(
        id: UUID, hostEntityID: UUID, visibleToEntityIDs: Set<UUID>? = nil, competencies: [WantedCompetency] = [],
        talentTags: Set<String> = [], gradesAccepted: Set<String> = [], hoursPerWeek: Double, startsOn: CalendarDate,
        endsOn: CalendarDate, site: GeoPoint? = nil, teleworkDays: Int = 0, demands: [WorkDemand: DemandLevel] = [:],
        adaptations: Set<Adaptation> = [], positions: Int = 1
    ) {
        self.id = id
        self.hostEntityID = hostEntityID
        self.visibleToEntityIDs = visibleToEntityIDs
        self.competencies = competencies
        self.talentTags = talentTags
        self.gradesAccepted = gradesAccepted
        self.hoursPerWeek = hoursPerWeek
        self.startsOn = startsOn
        self.endsOn = endsOn
        self.site = site
        self.teleworkDays = teleworkDays
        self.demands = demands
        self.adaptations = adaptations
        self.positions = positions
    }
}

/// The supply side: one staff member's candidate profile.
public struct MatchCandidate: Sendable, Hashable {
    /// The employee id.
    public var id: UUID
    public var entityID: UUID
    public var grade: String?
    /// Competency code to level 1...5.
    public var competencies: [String: Int]
    /// Talent codes: what the person is good at, likes doing and finds important.
    public var goodAt: Set<String>
    public var likesDoing: Set<String>
    public var findsImportant: Set<String>
    /// Empty: no preference given.
    public var preferredLocations: [GeoPoint]
    /// One way; nil: no limit.
    public var maxTravelMinutes: Int?
    public var maxHoursPerWeek: Double?
    public var availableFrom: CalendarDate?
    public var teleworkDaysWanted: Int?
    /// The highest level of a demand this person may take on, as a physician set it; a
    /// missing key is no restriction.
    public var restrictions: [WorkDemand: DemandLevel]

    public init(
        id: UUID, entityID: UUID, grade: String? = nil, competencies: [String: Int] = [:], goodAt: Set<String> = [],
        likesDoing: Set<String> = [], findsImportant: Set<String> = [], preferredLocations: [GeoPoint] = [],
        maxTravelMinutes: Int? = nil, maxHoursPerWeek: Double? = nil, availableFrom: CalendarDate? = nil,
        teleworkDaysWanted: Int? = nil, restrictions: [WorkDemand: DemandLevel] = [:]
    ) {
        self.id = id
        self.entityID = entityID
        self.grade = grade
        self.competencies = competencies
        self.goodAt = goodAt
        self.likesDoing = likesDoing
        self.findsImportant = findsImportant
        self.preferredLocations = preferredLocations
        self.maxTravelMinutes = maxTravelMinutes
        self.maxHoursPerWeek = maxHoursPerWeek
        self.availableFrom = availableFrom
        self.teleworkDaysWanted = teleworkDaysWanted
        self.restrictions = restrictions
    }
}

public enum ScorePart: String, CaseIterable, Sendable, Codable {
    case competencies, talents, hoursAndDates, travel, adaptations
}

/// How much each score part counts. They need not sum to 1: the score is the weighted mean
/// sum(w × v) / sum(w).
public struct MatchWeights: Sendable, Hashable, Codable {
    public var competencies: Double
    public var talents: Double
    public var hoursAndDates: Double
    public var travel: Double
    public var adaptations: Double

    public init(competencies: Double, talents: Double, hoursAndDates: Double, travel: Double, adaptations: Double) {
        self.competencies = competencies
        self.talents = talents
        self.hoursAndDates = hoursAndDates
        self.travel = travel
        self.adaptations = adaptations
    }

    /// Being able to do the job counts most (0.40); fit with what the person is good at, likes
    /// and finds important is what makes a return last (0.25); hours and dates (0.15), travel
    /// (0.10) and how far adaptations are needed (0.10) matter less once the hard constraints hold.
    public static let standard = MatchWeights(
        competencies: 0.40, talents: 0.25, hoursAndDates: 0.15, travel: 0.10, adaptations: 0.10)

    public func weight(of part: ScorePart) -> Double {
        switch part {
        case .competencies: competencies
        case .talents: talents
        case .hoursAndDates: hoursAndDates
        case .travel: travel
        case .adaptations: adaptations
        }
    }

    /// Every weight finite and at least 0, and their sum above 0 (and finite), so the weighted
    /// mean exists.
    public var isValid: Bool {
        let all = ScorePart.allCases.map(weight(of:))
        let sum = all.reduce(0, +)
        return all.allSatisfy { $0.isFinite && $0 >= 0 } && sum > 0 && sum.isFinite
    }
}

public enum HardConstraint: String, CaseIterable, Sendable, Codable {
    case visibleToEntity, gradeAccepted, hoursWithinMaximum, availableByStart, withinTravelLimit, requiredCompetency,
        demandWithinRestriction
}

public struct ConstraintCheck: Sendable, Hashable {
    public var constraint: HardConstraint
    /// The competency code for `requiredCompetency`, the `WorkDemand` raw value for
    /// `demandWithinRestriction`, else nil.
    public var subject: String?
    public var passed: Bool
    /// Set when the check passes only because an offered adaptation covers it (a demand above
    /// the restriction, or hours above the maximum with `.reducedHours`).
    public var coveredBy: Adaptation?

    public init(constraint: HardConstraint, subject: String? = nil, passed: Bool, coveredBy: Adaptation? = nil) {
        self.constraint = constraint
        self.subject = subject
        self.passed = passed
        self.coveredBy = coveredBy
    }
}

public struct PartValue: Sendable, Hashable {
    public var part: ScorePart
    /// 0...1.
    public var value: Double
    /// The weight the score used for this part.
    public var weight: Double

    public init(part: ScorePart, value: Double, weight: Double) {
        self.part = part
        self.value = value
        self.weight = weight
    }
}

/// One offer–candidate pair with its full explanation.
public struct MatchResult: Sendable, Hashable {
    public var offerID: UUID
    public var candidateID: UUID
    /// Every check passed.
    public var fits: Bool
    /// In 0...1, exactly `Double(scoreMicros) / 1_000_000`; 0 when the pair does not fit.
    public var score: Double
    /// The score in millionths, rounded: what rankings and the match round compare.
    public var scoreMicros: Int
    /// Every part in `ScorePart.allCases` order, computed also when the pair does not fit
    /// (for the why-not view).
    public var parts: [PartValue]
    /// Every hard constraint checked, passed or failed, in `HardConstraint.allCases` order;
    /// one `requiredCompetency` per required competency in the offer's order, one
    /// `demandWithinRestriction` per restricted demand in `WorkDemand.allCases` order.
    public var checks: [ConstraintCheck]
    /// Up to 2 weighted parts with the highest value; ties in `ScorePart` order.
    public var strongest: [ScorePart]
    /// Up to 2 other weighted parts with the lowest value; ties in `ScorePart` order. Never a
    /// part already in `strongest`, so an explanation does not call one part both.
    public var weakest: [ScorePart]

    public var failed: [ConstraintCheck] { checks.filter { !$0.passed } }

    public init(
        offerID: UUID, candidateID: UUID, fits: Bool, score: Double, scoreMicros: Int, parts: [PartValue],
        checks: [ConstraintCheck], strongest: [ScorePart], weakest: [ScorePart]
    ) {
        self.offerID = offerID
        self.candidateID = candidateID
        self.fits = fits
        self.score = score
        self.scoreMicros = scoreMicros
        self.parts = parts
        self.checks = checks
        self.strongest = strongest
        self.weakest = weakest
    }
}
