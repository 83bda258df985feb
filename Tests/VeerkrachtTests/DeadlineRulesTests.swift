import Foundation
import Testing
@testable import Veerkracht

@Suite("Deadline rules: settling, the upcoming horizon, label languages, stored codes")
struct DeadlineRulesTests {
    @Test func onlyPendingAndMissedDeadlinesCanBeSettled() {
        for from in DeadlineStatus.allCases {
            for to in DeadlineStatus.allCases {
                let expected = (from == .pending || from == .missed) && (to == .met || to == .waived)
                #expect(from.canBeSettled(as: to) == expected, "\(from) → \(to)")
            }
        }
    }

    @Test func aSettlementSaysWhatItSets() {
        let met = DeadlineSettlement.met(on: day("2024-05-02"), note: nil)
        #expect(met.status == .met && met.metOn == day("2024-05-02") && met.note == nil)
        let waived = DeadlineSettlement.waived(note: "Returned to work before the assessment")
        #expect(waived.status == .waived && waived.metOn == nil && waived.note == "Returned to work before the assessment")
        #expect(DeadlineSettlement.normalisedNote("  \n ") == nil)
        #expect(DeadlineSettlement.normalisedNote(nil) == nil)
        #expect(DeadlineSettlement.normalisedNote("  plan agreed\n") == "plan agreed")
    }

    @Test func horizonsInDaysOrWeeksUpToAYear() {
        #expect(DeadlineHorizon("30d")?.days == 30)
        #expect(DeadlineHorizon("0d")?.days == 0)
        #expect(DeadlineHorizon("366d")?.days == 366)
        #expect(DeadlineHorizon("4w")?.days == 28)
        #expect(DeadlineHorizon("52w")?.days == 364)
        #expect(DeadlineHorizon.standard.days == 30)
        for bad in ["367d", "53w", "30", "d", "-1d", "30D", " 30d", "30d ", "1m", "1000d", "3.5w", ""] {
            #expect(DeadlineHorizon(bad) == nil, "\(bad)")
        }
        #expect(DeadlineHorizon("2w")?.lastDay(from: day("2024-02-20")) == day("2024-03-05"))
        #expect(DeadlineHorizon("0d")?.lastDay(from: day("2024-02-20")) == day("2024-02-20"))
    }

    @Test func acceptLanguagePicksTheBestOfTheFour() {
        #expect(Language.preferred(in: nil) == nil)
        #expect(Language.preferred(in: "") == nil)
        #expect(Language.preferred(in: "*") == nil)
        #expect(Language.preferred(in: "es, it;q=0.9") == nil)
        #expect(Language.preferred(in: "fr") == .fr)
        #expect(Language.preferred(in: "fr-BE, nl;q=0.8") == .fr)
        #expect(Language.preferred(in: "nl-BE;q=0.5, de;q=0.7, en;q=0.1") == .de)
        #expect(Language.preferred(in: "es, EN-gb;q=0.4") == .en)
        #expect(Language.preferred(in: "nl;q=0, fr;q=0.2") == .fr, "q=0 means not acceptable")
        #expect(Language.preferred(in: "de;q=0.5, nl;q=0.5") == .de, "the first one wins a tie")
        #expect(Language.preferred(in: "nl;q=abc") == nil)
    }

    @Test func codesRoundTripBetweenTheAPIAndSQL() {
        for code in ["absenceStart", "reintegrationPlanAfterDecisionA", "sickReportToUWV", "week42Reported", "a"] {
            #expect(code.snakeCased.lowerCamelCased == code, "\(code)")
        }
        #expect("request_received".lowerCamelCased == "requestReceived")
        for bad in ["Request_received", "request__received", "_request", "request-received", "request received", ""] {
            #expect(bad.lowerCamelCased == nil, "\(bad)")
        }
    }

    @Test func eventCodesMustFitTheDatabase() throws {
        #expect(TriggerEvent.requestReceived.isStorable)
        #expect(TriggerEvent(rawValue: "week42Reported")?.isStorable == false)
        var template = try shippedTemplate("active-presence")
        template.milestones[0].metBy = TriggerEvent(rawValue: "review3Done")
        template.milestones[0].trigger = TriggerEvent(rawValue: "absence1Start")!
        let problems = template.problems
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.allSatisfy { $0.contains("letters only") })
    }
}
