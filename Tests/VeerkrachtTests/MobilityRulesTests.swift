import Foundation
import Testing
@testable import Veerkracht

@Suite("Mobility rules: offers, placements, who may do what")
struct MobilityRulesTests {
    static func terms(hours: Double = 30, from: String = "2027-01-15", to: String = "2027-06-30") -> OfferTerms {
        OfferTerms(
            title: "Analyst", description: "Analysis.", siteName: "Ghent", postcode: "9000",
            competencies: [WantedCompetency(code: "policyAnalysis", level: 3)], talentTags: [], gradesAccepted: [],
            hoursPerWeek: hours, startsOn: day(from), endsOn: day(to), teleworkDays: 0, demands: [:], adaptations: [],
            positions: 1, costBearer: .homeOrganisation, visibleToEntityIDs: nil)
    }

    @Test func anOfferMovesOnlyAlongItsStateMachine() {
        #expect(OfferStatus.draft.allowedNextStatuses == [.submitted])
        #expect(OfferStatus.submitted.allowedNextStatuses == [.draft, .open])
        #expect(OfferStatus.open.allowedNextStatuses == [.closed])
        for final in [OfferStatus.filled, .closed, .expired] { #expect(final.allowedNextStatuses.isEmpty) }
        #expect(OfferStatus.allCases.filter(\.isPublished) == [.open, .filled, .closed, .expired])
    }

    @Test func offerTermsKeepTheEmployersFigures() {
        let rules = OfferRules(fullWeekHours: 38, maximumMonths: 12)
        #expect(rules.minimumHours == 3.8)
        #expect(rules.issues(Self.terms()).isEmpty)
        #expect(rules.issues(Self.terms(hours: 3.8)).isEmpty)
        #expect(rules.issues(Self.terms(hours: 3.79)).map(\.name) == ["hoursPerWeek"])
        // Twelve months to the day is allowed; one day more is not.
        #expect(rules.issues(Self.terms(from: "2027-01-31", to: "2028-01-31")).isEmpty)
        #expect(rules.issues(Self.terms(from: "2027-01-31", to: "2028-02-01")).map(\.name) == ["endsOn"])
        #expect(rules.issues(Self.terms(from: "2027-03-01", to: "2027-02-28")).map(\.name) == ["endsOn"])
        var twice = Self.terms()
        twice.competencies.append(WantedCompetency(code: "policyAnalysis", level: 2))
        #expect(rules.issues(twice).map(\.name) == ["competencies[1].code"])
        #expect(OfferRules(fullWeekHours: 36, maximumMonths: 6).issues(Self.terms(from: "2027-01-15", to: "2027-07-16")).map(\.name) == ["endsOn"])
    }

    @Test func aPlacementMovesOnlyAlongItsStateMachineAndTakesAPositionFromTheHostsAcceptance() {
        #expect(PlacementStatus.proposed.allowedNextStatuses == [.candidateAccepted, .candidateDeclined])
        #expect(PlacementStatus.candidateAccepted.allowedNextStatuses == [.hostAccepted, .hostDeclined])
        #expect(PlacementStatus.hostAccepted.allowedNextStatuses == [.released])
        #expect(PlacementStatus.released.allowedNextStatuses == [.started])
        #expect(PlacementStatus.started.allowedNextStatuses == [.completed, .endedEarly])
        #expect(PlacementStatus.allCases.filter(\.isFinal) == [.candidateDeclined, .hostDeclined, .completed, .endedEarly])
        #expect(PlacementStatus.allCases.filter(\.takesPosition) == [.hostAccepted, .released, .started, .completed, .endedEarly])
        #expect(PlacementStatus.allCases.filter(\.failed) == [.candidateDeclined, .hostDeclined, .endedEarly])
    }

    @Test func eachStepCarriesWhatGoesWithIt() {
        let rules = OfferRules()
        let terms = Self.terms()
        let today = day("2026-12-04")
        let agreement = PlacementAgreement(startsOn: day("2027-01-15"), endsOn: day("2027-06-30"), hoursPerWeek: 30, costBearer: .hostOrganisation, adaptations: [])
        #expect(PlacementStep(to: .hostAccepted, agreement: agreement).issues(offer: terms, today: today, rules: rules).isEmpty)
        #expect(PlacementStep(to: .hostAccepted).issues(offer: terms, today: today, rules: rules).map(\.name) == ["agreement"])
        #expect(PlacementStep(to: .candidateAccepted, agreement: agreement).issues(offer: terms, today: today, rules: rules).map(\.name) == ["agreement"])
        var long = agreement
        long.endsOn = day("2028-02-01")
        #expect(PlacementStep(to: .hostAccepted, agreement: long).issues(offer: terms, today: today, rules: rules).map(\.name) == ["agreement.endsOn"])
        #expect(PlacementStep(to: .released).issues(offer: terms, today: today, rules: rules).map(\.name) == ["releasedBy"])
        #expect(PlacementStep(to: .released, releasedBy: .homeManager).issues(offer: terms, today: today, rules: rules).isEmpty)
        #expect(PlacementStep(to: .started, on: day("2026-12-05")).issues(offer: terms, today: today, rules: rules).map(\.name) == ["on"])
        #expect(PlacementStep(to: .released, releasedBy: .homeHr, on: today).issues(offer: terms, today: today, rules: rules).map(\.name) == ["on"])
        #expect(PlacementStep(to: .started, reason: "x").issues(offer: terms, today: today, rules: rules).map(\.name) == ["reason"])
        #expect(PlacementStep(to: .endedEarly, reason: "  ").issues(offer: terms, today: today, rules: rules).map(\.name) == ["reason"])
        #expect(PlacementStep(to: .endedEarly, on: today, reason: "The project stopped").issues(offer: terms, today: today, rules: rules).isEmpty)
    }

    @Test func eachSideOfAPlacementTakesOnlyItsOwnSteps() {
        let officer = PlacementRoles(candidateSide: true, host: false, homeHR: false, officer: true)
        let host = PlacementRoles(candidateSide: false, host: true, homeHR: false, officer: false)
        let homeHR = PlacementRoles(candidateSide: false, host: false, homeHR: true, officer: false)
        #expect(officer.may(.candidateAccepted, releasedBy: nil))
        #expect(!host.may(.candidateAccepted, releasedBy: nil))
        #expect(host.may(.hostAccepted, releasedBy: nil))
        #expect(!officer.may(.hostAccepted, releasedBy: nil))
        #expect(homeHR.may(.released, releasedBy: .homeHr))
        #expect(!homeHR.may(.released, releasedBy: .homeManager))
        #expect(officer.may(.released, releasedBy: .homeManager))
        #expect(!officer.may(.released, releasedBy: .homeHr))
        #expect(!host.may(.released, releasedBy: .homeHr))
        #expect(officer.may(.completed, releasedBy: nil) && host.may(.endedEarly, releasedBy: nil))
        #expect(!homeHR.may(.started, releasedBy: nil))
        #expect(!PlacementRoles().seesPlacement)
    }

    @Test func candidateProfilesFollowTheTrajectoryAndItsConsent() {
        let north = UUID()
        let principal = { (roles: [Role], entities: Set<UUID>) in
            Principal(
                user: User(id: UUID(), email: "x@example.org", displayName: "X", roles: roles, entities: [], active: true, version: 1,
                           createdAt: Date(), updatedAt: Date()),
                tokenID: UUID(), scopeEntityIDs: entities)
        }
        let withCase = CandidateFacts(
            employeeID: UUID(), entityID: north, givenName: "M", familyName: "P", grade: nil, active: true, trajectoryID: UUID(),
            physicianID: nil, consentVisibleToHR: false, requestedMove: false)
        var withoutCase = withCase
        withoutCase.trajectoryID = nil
        let officer = principal([.officer], [north])
        let hr = principal([.hr], [north])
        let elsewhere = principal([.officer, .hr], [UUID()])
        #expect(AccessPolicy.candidateView(officer, .write, facts: withCase, trajectoryEntityID: north, hrHasReason: false) == .keeper)
        #expect(AccessPolicy.candidateView(elsewhere, .read, facts: withCase, trajectoryEntityID: north, hrHasReason: true) == nil)
        // HR without consent sees nothing, even with a reason; with it, only the HR view.
        #expect(AccessPolicy.candidateView(hr, .read, facts: withCase, trajectoryEntityID: north, hrHasReason: true) == nil)
        var consenting = withCase
        consenting.consentVisibleToHR = true
        #expect(AccessPolicy.candidateView(hr, .read, facts: consenting, trajectoryEntityID: north, hrHasReason: true) == .hr)
        #expect(AccessPolicy.candidateView(hr, .read, facts: consenting, trajectoryEntityID: north, hrHasReason: false) == nil)
        #expect(AccessPolicy.candidateView(hr, .write, facts: consenting, trajectoryEntityID: north, hrHasReason: true) == nil)
        // Without a trajectory HR of the entity keeps the profile; the request for a move is the consent.
        #expect(AccessPolicy.candidateView(hr, .write, facts: withoutCase, trajectoryEntityID: nil, hrHasReason: false) == .keeper)
        #expect(!withoutCase.consentsToHR)
        withoutCase.requestedMove = true
        #expect(withoutCase.consentsToHR)
        // Restrictions: the assigned physician writes, the officer reads, HR never.
        let physician = principal([.physician], [])
        var assigned = withCase
        assigned.physicianID = physician.userID
        #expect(AccessPolicy.mayAccessRestrictions(physician, .write, facts: assigned, trajectoryEntityID: north))
        #expect(!AccessPolicy.mayAccessRestrictions(physician, .write, facts: withCase, trajectoryEntityID: north))
        #expect(AccessPolicy.mayAccessRestrictions(officer, .read, facts: assigned, trajectoryEntityID: north))
        #expect(!AccessPolicy.mayAccessRestrictions(officer, .write, facts: assigned, trajectoryEntityID: north))
        #expect(!AccessPolicy.mayAccessRestrictions(hr, .read, facts: consenting, trajectoryEntityID: north))
    }

    @Test func scoreWeightsComeFromTheEnvironmentWithTheirDefaults() throws {
        #expect(try Configuration.weights(nil) == .standard)
        let weights = try Configuration.weights("competencies=0.5, travel=0")
        #expect(weights.competencies == 0.5 && weights.travel == 0 && weights.talents == MatchWeights.standard.talents)
        #expect(throws: Configuration.Invalid.self) { try Configuration.weights("competencies=2") }
        #expect(throws: Configuration.Invalid.self) { try Configuration.weights("luck=0.1") }
        #expect(throws: Configuration.Invalid.self) { try Configuration.weights("competencies=0,talents=0,hoursAndDates=0,travel=0,adaptations=0") }
    }
}
