import Foundation

/// A statutory (or policy) process as data: milestones relative to trigger events, each with
/// the source of its figure. Templates live in `sql/templates/<id>.json`; code never holds a
/// legal period.
public struct ProcessTemplate: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var name: LocalizedText
    /// ISO 3166 code of the country, or of a region below it (`BE`, `NL`, `BE-VLG`).
    public var jurisdiction: String
    public var source: LegalSource
    public var contactPolicy: ContactPolicy
    public var milestones: [Milestone]
    /// What the template deliberately leaves out, and what was not checked.
    public var note: String?

    public init(
        id: String, name: LocalizedText, jurisdiction: String, source: LegalSource, contactPolicy: ContactPolicy,
        milestones: [Milestone], note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.jurisdiction = jurisdiction
        self.source = source
        self.contactPolicy = contactPolicy
        self.milestones = milestones
        self.note = note
    }

    public func milestone(_ code: String) -> Milestone? {
        milestones.first { $0.code == code }
    }

    /// Every event a trajectory on this template can record: the triggers and what meets
    /// the milestones.
    public var recognisedEvents: Set<TriggerEvent> {
        Set(milestones.flatMap { [$0.trigger] + ($0.metBy.map { [$0] } ?? []) })
    }
}

/// One step with a due date: `offset` after `trigger` happened.
public struct Milestone: Sendable, Hashable, Codable {
    /// lowerCamelCase, unique within the template; deadlines refer to it.
    public var code: String
    public var label: LocalizedText
    public var trigger: TriggerEvent
    public var offset: MilestoneOffset
    public var responsible: MilestoneResponsible
    public var source: LegalSource
    /// True when the figure could not be confirmed from the law (or is a policy choice):
    /// an organisation may change it, and screens show it as such. Required in the file, so
    /// a forgotten flag cannot pass a guess off as law.
    public var parameter: Bool
    /// Why it is a parameter, how the period is counted, what was not confirmed.
    public var note: String?
    /// The event that meets this milestone when it is recorded.
    public var metBy: TriggerEvent?

    public init(
        code: String, label: LocalizedText, trigger: TriggerEvent, offset: MilestoneOffset,
        responsible: MilestoneResponsible, source: LegalSource, parameter: Bool, note: String? = nil,
        metBy: TriggerEvent? = nil
    ) {
        self.code = code
        self.label = label
        self.trigger = trigger
        self.offset = offset
        self.responsible = responsible
        self.source = source
        self.parameter = parameter
        self.note = note
        self.metBy = metBy
    }

    /// The due date once the trigger happened on `triggeredOn`.
    public func dueOn(triggeredOn: CalendarDate) -> CalendarDate {
        offset.applied(to: triggeredOn)
    }
}

/// A period in days, weeks or calendar months, written `{"days": 49}`, `{"weeks": 6}` or
/// `{"months": 6}` — the unit the source uses, so the file can be checked against it.
/// Periods count from the day after the trigger: "within 49 days of the request" is due on
/// request + 49; "by week 6" of an absence starting on day 1 is due on start + 6 weeks.
public struct MilestoneOffset: Sendable, Hashable, Codable {
    public enum Unit: String, Sendable, Hashable, CaseIterable, Codable {
        case days, weeks, months

        /// Generous bounds (ten years) that still catch a typo like 4900 days.
        var allowedAmounts: ClosedRange<Int> {
            switch self {
            case .days: 0...3650
            case .weeks: 0...520
            case .months: 0...120
            }
        }
    }

    public var amount: Int
    public var unit: Unit

    public init(_ amount: Int, _ unit: Unit) {
        self.amount = amount
        self.unit = unit
    }

    public static func days(_ amount: Int) -> MilestoneOffset { MilestoneOffset(amount, .days) }
    public static func weeks(_ amount: Int) -> MilestoneOffset { MilestoneOffset(amount, .weeks) }
    public static func months(_ amount: Int) -> MilestoneOffset { MilestoneOffset(amount, .months) }

    public func applied(to date: CalendarDate) -> CalendarDate {
        switch unit {
        case .days: date.adding(days: amount)
        case .weeks: date.adding(weeks: amount)
        case .months: date.adding(months: amount)
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let keys = container.allKeys
        guard keys.count == 1, let key = keys.first, let unit = Unit(rawValue: key.stringValue) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "An offset has exactly one of days, weeks or months, found \(keys.map(\.stringValue))"))
        }
        self.init(try container.decode(Int.self, forKey: key), unit)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(amount, forKey: Key(stringValue: unit.rawValue))
    }
}

/// Something that happens in a case and starts (or meets) milestones: `absenceStart`,
/// `requestReceived`, `assessmentDone` … A value rather than an enum because templates are
/// data: a new template may name a new event without a code change.
public struct TriggerEvent: RawRepresentable, Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// lowerCamelCase, 2 to 64 ASCII letters and digits.
    public init?(rawValue: String) {
        guard (2...64).contains(rawValue.utf8.count), rawValue.wholeMatch(of: /[a-z][a-zA-Z0-9]*/) != nil,
            rawValue.allSatisfy(\.isASCII)
        else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { rawValue = known }

    /// SQL keeps snake_case: `absenceStart` ↔ `absence_start`.
    public var sqlValue: String { rawValue.snakeCased }

    public init?(sqlValue: String) {
        guard let code = sqlValue.lowerCamelCased else { return nil }
        self.init(rawValue: code)
    }

    /// Whether the database can hold this code: `trajectory_trigger_events.event` and the
    /// timeline's types are snake_case letters, without digits.
    public var isStorable: Bool { rawValue.allSatisfy(\.isLetter) }

    public var description: String { rawValue }

    public static func < (lhs: TriggerEvent, rhs: TriggerEvent) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let event = TriggerEvent(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "An event code is lowerCamelCase")
        }
        self = event
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // The events the shipped templates use.
    public static let absenceStart = TriggerEvent(known: "absenceStart")
    public static let trajectoryOpened = TriggerEvent(known: "trajectoryOpened")
    /// Belgium: the occupational physician received the request for a reintegration trajectory.
    public static let requestReceived = TriggerEvent(known: "requestReceived")
    /// Belgium: the reintegration assessment form was handed over (any decision).
    public static let assessmentDone = TriggerEvent(known: "assessmentDone")
    /// Belgium, decision A: temporarily unfit for the agreed work, adapted or other work possible meanwhile.
    public static let temporaryUnfitnessDecided = TriggerEvent(known: "temporaryUnfitnessDecided")
    /// Belgium, decision B: definitively unfit for the agreed work.
    public static let definitiveUnfitnessDecided = TriggerEvent(known: "definitiveUnfitnessDecided")
    public static let planOffered = TriggerEvent(known: "planOffered")
    public static let planAnswered = TriggerEvent(known: "planAnswered")
    public static let appealLodged = TriggerEvent(known: "appealLodged")
    public static let appealDecided = TriggerEvent(known: "appealDecided")
    public static let incapacityReported = TriggerEvent(known: "incapacityReported")
    /// The Netherlands (Wet verbetering poortwachter).
    public static let problemAnalysisDone = TriggerEvent(known: "problemAnalysisDone")
    public static let planOfActionAgreed = TriggerEvent(known: "planOfActionAgreed")
    public static let sickReportFiled = TriggerEvent(known: "sickReportFiled")
    public static let firstYearEvaluationDone = TriggerEvent(known: "firstYearEvaluationDone")
    public static let reintegrationReportDone = TriggerEvent(known: "reintegrationReportDone")
    public static let reviewDone = TriggerEvent(known: "reviewDone")
}

/// Who has to act for a milestone.
public enum MilestoneResponsible: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    /// The employer as an organisation; in Veerkracht the trajectory's officer acts for it.
    case employer
    case officer, employee, manager, hr, occupationalPhysician
    /// Belgium: the social inspector-physician who decides on an appeal.
    case medicalInspector
}

/// Where a figure comes from.
public struct LegalSource: Sendable, Hashable, Codable {
    public var law: String
    public var article: String
    public var url: String

    public init(law: String, article: String, url: String) {
        self.law = law
        self.article = article
        self.url = url
    }
}

public enum Language: String, Sendable, Hashable, CaseIterable, Codable {
    case nl, fr, de, en

    /// The caller's most wanted language of the four, from an `Accept-Language` header
    /// (`fr-BE, nl;q=0.8`): the highest weight wins, the earlier one on a tie; a region is
    /// ignored. Nil when the header is absent, names none of the four, or only `*`: the
    /// answer then carries all four.
    public static func preferred(in acceptLanguage: String?) -> Language? {
        guard let acceptLanguage else { return nil }
        var best: (language: Language, weight: Double)?
        for range in acceptLanguage.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first, let primary = tag.split(separator: "-").first,
                let language = Language(rawValue: primary.lowercased())
            else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                weight = Double(parameter.dropFirst(2)) ?? 0
            }
            if weight > 0, weight <= 1, weight > (best?.weight ?? 0) { best = (language, weight) }
        }
        return best?.language
    }
}

/// A label for people, in the four languages the API serves.
public struct LocalizedText: Sendable, Hashable, Codable {
    public var nl: String
    public var fr: String
    public var de: String
    public var en: String

    public init(nl: String, fr: String, de: String, en: String) {
        self.nl = nl
        self.fr = fr
        self.de = de
        self.en = en
    }

    public subscript(language: Language) -> String {
        switch language {
        case .nl: nl
        case .fr: fr
        case .de: de
        case .en: en
        }
    }
}

// MARK: - Loading and checking

public struct ProcessTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (or template id) and every problem found in it.
    public var template: String
    public var problems: [String]

    public var description: String {
        "Process template \(template): " + problems.joined(separator: "; ")
    }
}

extension ProcessTemplate {
    /// Everything wrong with the template as readable sentences; empty when it is usable.
    public var problems: [String] {
        var problems: [String] = []
        if id.wholeMatch(of: /[a-z0-9]+(-[a-z0-9]+)*/) == nil || id.count > 64 {
            problems.append("id must be lower-case words joined by hyphens, at most 64 characters")
        }
        problems += name.problems(at: "name")
        if jurisdiction.wholeMatch(of: /[A-Z]{2}(-[A-Z0-9]{1,3})?/) == nil {
            problems.append("jurisdiction must be an ISO 3166 code such as BE, NL or BE-VLG")
        }
        problems += source.problems(at: "source")
        problems += contactPolicy.problems.map { "contactPolicy: \($0)" }
        if milestones.isEmpty { problems.append("a template needs at least one milestone") }
        var seen: Set<String> = []
        for (index, milestone) in milestones.enumerated() {
            let at = "milestones[\(index)]"
            if milestone.code.wholeMatch(of: /[a-z][a-zA-Z0-9]*/) == nil || milestone.code.count > 64 {
                problems.append("\(at).code must be lowerCamelCase")
            }
            if !seen.insert(milestone.code).inserted { problems.append("\(at).code \(milestone.code) is used twice") }
            problems += milestone.label.problems(at: "\(at).label")
            problems += milestone.source.problems(at: "\(at).source")
            if !milestone.offset.unit.allowedAmounts.contains(milestone.offset.amount) {
                problems.append("\(at).offset must be within \(milestone.offset.unit.allowedAmounts) \(milestone.offset.unit.rawValue)")
            }
            if milestone.parameter, milestone.note?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
                problems.append("\(at) is a parameter and must say why in its note")
            }
            if milestone.metBy == milestone.trigger { problems.append("\(at).metBy cannot be its own trigger") }
            let events: [(name: String, event: TriggerEvent?)] = [("trigger", milestone.trigger), ("metBy", milestone.metBy)]
            for (name, event) in events where event?.isStorable == false {
                problems.append("\(at).\(name) must be letters only (the database keeps event codes as snake_case words)")
            }
        }
        return problems
    }

    /// Decodes one template and refuses it unless it is complete.
    public static func decode(from data: Data, name: String) throws -> ProcessTemplate {
        let template: ProcessTemplate
        do {
            template = try JSONDecoder().decode(ProcessTemplate.self, from: data)
        } catch let error as DecodingError {
            throw ProcessTemplateError(template: name, problems: [Self.describe(error)])
        }
        let problems = template.problems
        guard problems.isEmpty else { throw ProcessTemplateError(template: name, problems: problems) }
        return template
    }

    /// Every `*.json` in `directory`, sorted by id. Each file must be named after its id, so
    /// the file a reviewer opens is the template a trajectory refers to.
    public static func loadAll(from directory: URL) throws -> [ProcessTemplate] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        var templates: [ProcessTemplate] = []
        for file in files {
            let template = try decode(from: try Data(contentsOf: file), name: file.lastPathComponent)
            guard file.deletingPathExtension().lastPathComponent == template.id else {
                throw ProcessTemplateError(
                    template: file.lastPathComponent, problems: ["the file name must be the id, \(template.id).json"])
            }
            templates.append(template)
        }
        return templates.sorted { $0.id < $1.id }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return path.isEmpty ? "the document" : String(path.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)): missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

extension LocalizedText {
    func problems(at path: String) -> [String] {
        Language.allCases.compactMap { language in
            self[language].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "\(path).\(language.rawValue) is empty" : nil
        }
    }
}

extension LegalSource {
    func problems(at path: String) -> [String] {
        var problems: [String] = []
        if law.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("\(path).law is empty") }
        if article.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { problems.append("\(path).article is empty") }
        if url.wholeMatch(of: /https?:\/\/[^\s\/]+\.[^\s]+/) == nil { problems.append("\(path).url must be an http(s) address") }
        return problems
    }
}
