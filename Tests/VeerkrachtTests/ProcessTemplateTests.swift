import Foundation
import Testing
@testable import Veerkracht

@Suite("Process templates under sql/templates")
struct ProcessTemplateTests {
    static let shippedIDs = ["active-presence", "be-reintegration-2022", "nl-wet-verbetering-poortwachter"]

    @Test func theThreeShippedTemplatesLoad() throws {
        let templates = try ProcessTemplate.loadAll(from: templateDirectory)
        #expect(templates.map(\.id) == Self.shippedIDs)
        for template in templates { #expect(template.problems.isEmpty, "\(template.id): \(template.problems)") }
    }

    @Test(arguments: shippedIDs)
    func everyMilestoneCarriesItsSource(id: String) throws {
        let template = try shippedTemplate(id)
        #expect(!template.milestones.isEmpty)
        for milestone in template.milestones {
            #expect(!milestone.source.law.isEmpty, "\(milestone.code)")
            #expect(!milestone.source.article.isEmpty, "\(milestone.code)")
            #expect(milestone.source.url.hasPrefix("https://"), "\(milestone.code)")
            for language in Language.allCases { #expect(!milestone.label[language].isEmpty, "\(milestone.code)") }
            if milestone.parameter { #expect(milestone.note?.isEmpty == false, "\(milestone.code) must say why") }
        }
    }

    /// Decoding and encoding again gives back the same document, so no key in the file is
    /// misspelt (a typo would be dropped silently, and a `"parameter"` typo would turn a
    /// guess into law).
    @Test(arguments: shippedIDs)
    func theFilesHoldNoKeyTheModelDoesNotKnow(id: String) throws {
        let data = try Data(contentsOf: templateDirectory.appendingPathComponent("\(id).json"))
        let template = try ProcessTemplate.decode(from: data, name: id)
        func canonical(_ json: Data) throws -> String {
            let object = try JSONSerialization.jsonObject(with: json)
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(try canonical(data) == canonical(try JSONEncoder().encode(template)))
    }

    @Test func theDutchFigures() throws {
        let template = try shippedTemplate("nl-wet-verbetering-poortwachter")
        #expect(template.jurisdiction == "NL")
        let weeks = template.milestones.map { ($0.code, $0.offset) }
        #expect(weeks.map(\.0) == ["problemAnalysis", "planOfAction", "sickReportToUWV", "firstYearEvaluation", "reintegrationReport"])
        #expect(weeks.map(\.1) == [.weeks(6), .weeks(8), .weeks(42), .weeks(52), .weeks(91)])
        #expect(template.milestones.allSatisfy { $0.trigger == .absenceStart })
        // "Around week 91" is not a statutory day.
        #expect(template.milestone("reintegrationReport")?.parameter == true)
        #expect(template.milestone("sickReportToUWV")?.parameter == false)
    }

    @Test func theBelgianFigures() throws {
        let template = try shippedTemplate("be-reintegration-2022")
        #expect(template.jurisdiction == "BE")
        let expected: [(String, TriggerEvent, MilestoneOffset, MilestoneResponsible)] = [
            ("incapacityReportedToPhysician", .absenceStart, .weeks(4), .employer),
            ("reintegrationAssessment", .requestReceived, .days(49), .occupationalPhysician),
            ("reintegrationPlanAfterDecisionA", .temporaryUnfitnessDecided, .days(63), .employer),
            ("planOrReportAfterDecisionB", .definitiveUnfitnessDecided, .months(6), .employer),
            ("workerRepliesToPlan", .planOffered, .days(14), .employee),
            ("appealAgainstDecisionB", .definitiveUnfitnessDecided, .days(21), .employee),
            ("appealDecision", .appealLodged, .days(42), .medicalInspector),
        ]
        #expect(template.milestones.count == expected.count)
        for (milestone, (code, trigger, offset, responsible)) in zip(template.milestones, expected) {
            #expect(milestone.code == code)
            #expect(milestone.trigger == trigger, "\(code)")
            #expect(milestone.offset == offset, "\(code)")
            #expect(milestone.responsible == responsible, "\(code)")
        }
        // The two figures whose article could not be confirmed are parameters.
        #expect(template.milestones.filter(\.parameter).map(\.code) == ["reintegrationAssessment", "reintegrationPlanAfterDecisionA"])
        #expect(template.recognisedEvents.isSuperset(of: [.requestReceived, .assessmentDone, .planOffered, .planAnswered]))
    }

    @Test func theActivePresenceFigures() throws {
        let template = try shippedTemplate("active-presence")
        #expect(template.contactPolicy.firstContactWithinDays == 7)
        #expect(template.contactPolicy.thenEveryDays == 14)
        #expect(template.milestones.map(\.offset) == [.months(3)])
        #expect(template.milestones.allSatisfy { $0.parameter })
    }

    @Test func anOffsetHasExactlyOneUnit() throws {
        for bad in [#"{"days": 4, "weeks": 1}"#, #"{}"#, #"{"fortnights": 2}"#, #"{"days": "49"}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try JSONDecoder().decode(MilestoneOffset.self, from: Data(bad.utf8)) }
        }
        #expect(try JSONDecoder().decode(MilestoneOffset.self, from: Data(#"{"weeks": 6}"#.utf8)) == .weeks(6))
    }

    @Test func brokenTemplatesAreRefusedWithEveryProblem() throws {
        var template = try shippedTemplate("active-presence")
        template.id = "Active Presence"
        template.jurisdiction = "Flanders"
        template.name.de = " "
        template.contactPolicy.thenEveryDays = 0
        template.milestones.append(template.milestones[0])
        template.milestones[0].note = nil
        template.milestones[0].offset = .days(4900)
        template.milestones[0].source.url = "overheid.vlaanderen.be"
        let problems = template.problems
        #expect(problems.count == 8, "\(problems)")
        #expect(problems.contains { $0.contains("used twice") })
        #expect(problems.contains { $0.contains("must say why") })

        let encoded = try JSONEncoder().encode(template)
        let error = #expect(throws: ProcessTemplateError.self) { try ProcessTemplate.decode(from: encoded, name: "broken.json") }
        #expect(error?.problems == problems)
    }

    @Test func aMissingParameterFlagIsRefused() throws {
        let data = try Data(contentsOf: templateDirectory.appendingPathComponent("active-presence.json"))
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: #""parameter": true,"#, with: "")
        let error = #expect(throws: ProcessTemplateError.self) {
            try ProcessTemplate.decode(from: Data(text.utf8), name: "active-presence.json")
        }
        #expect(error?.description.contains("parameter") == true)
    }

    @Test func eventCodesAreLowerCamelCaseWithSnakeCaseForSQL() {
        #expect(TriggerEvent.absenceStart.sqlValue == "absence_start")
        #expect(TriggerEvent.temporaryUnfitnessDecided.sqlValue == "temporary_unfitness_decided")
        #expect(TriggerEvent(sqlValue: "request_received") == .requestReceived)
        #expect(TriggerEvent(sqlValue: "requestReceived") == nil)
        for bad in ["AbsenceStart", "absence_start", "a", "absence start", "absenceStärt", ""] {
            #expect(TriggerEvent(rawValue: bad) == nil, "\(bad)")
        }
        #expect(TriggerEvent(rawValue: "week42Reported")?.sqlValue == "week42_reported")
        #expect(TriggerEvent(sqlValue: "week42_reported")?.rawValue == "week42Reported")
    }
}
