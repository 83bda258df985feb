import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Mobility: candidate profiles and restrictions")
struct CandidateTests {
    @Test func theOfficerKeepsTheProfileAndHRSeesAConsentingCandidateWithoutCaseData() async throws {
        try await MobilityWorld.with { app, client, world in
            let created = try await world.putProfile(client, world.mira)
            #expect(created.status == .ok, "\(created.body.text)")
            #expect(created.json["trajectoryId"] as? String == world.miraCase.lowercasedString)
            let etag = try #require(created.headers[.eTag])
            // Once it exists, a replacement names the version it replaces.
            let blind = try await world.putProfile(client, world.mira)
            expectProblem(blind, .preconditionRequired, type: ProblemURN.preconditionRequired)
            var changed = MobilityWorld.fittingProfile
            changed["maxHoursPerWeek"] = 36
            let replaced = try await world.putProfile(client, world.mira, changed, etag: etag)
            #expect(replaced.json["maxHoursPerWeek"] as? Double == 36)

            // HR of an entity with an offer visible to Mira reads her profile, without case data.
            _ = try await world.openOffer(client)
            let seen = try await client.execute(uri: "/v1/mobility/candidates/\(world.mira.uuidString)", method: .get, headers: .bearer(world.hostHR.token))
            #expect(seen.status == .ok, "\(seen.body.text)")
            let keys = Set(seen.json.keys)
            #expect(keys.isDisjoint(with: ["trajectoryId", "restrictions", "absence", "absences", "contactMoments", "goal", "status"]))
            #expect((seen.json["employee"] as? [String: Any])?["familyName"] as? String == "Peeters")
            let text = seen.body.text
            #expect(!text.contains(world.miraCase.lowercasedString))

            // Noor did not consent: HR gets 404, and the refusal is audited.
            #expect(try await world.putProfile(client, world.noor).status == .ok)
            let denied = try await world.audits("candidate_profile", outcome: "denied")
            let hidden = try await client.execute(uri: "/v1/mobility/candidates/\(world.noor.uuidString)", method: .get, headers: .bearer(world.hostHR.token))
            expectProblem(hidden, .notFound, type: ProblemURN.resourceNotFound)
            #expect(try await world.audits("candidate_profile", outcome: "denied") == denied + 1)
            // Nor does an officer of another entity see Mira's.
            let south = try await client.execute(uri: "/v1/mobility/candidates/\(world.mira.uuidString)", method: .get, headers: .bearer(world.southOfficer.token))
            expectProblem(south, .notFound, type: ProblemURN.resourceNotFound)
            // Every read and write was audited.
            #expect(try await world.audits("candidate_profile") >= 4)
        }
    }

    @Test func withoutATrajectoryHRKeepsTheProfileOfSomeoneWhoAskedForAMove() async throws {
        try await MobilityWorld.with { app, client, world in
            // The officer has no case of Lotte's: 404.
            let officer = try await world.putProfile(client, world.lotte)
            expectProblem(officer, .notFound, type: ProblemURN.resourceNotFound)
            var body = MobilityWorld.fittingProfile
            body["requestedMove"] = true
            let kept = try await world.putProfile(client, world.lotte, body, token: world.homeHR.token)
            #expect(kept.status == .ok, "\(kept.body.text)")
            #expect(kept.json["requestedMove"] as? Bool == true)
            #expect(kept.json["trajectoryId"] == nil)
            // HR of the host reads it once it has an offer Lotte may see.
            let before = try await client.execute(uri: "/v1/mobility/candidates/\(world.lotte.uuidString)", method: .get, headers: .bearer(world.hostHR.token))
            expectProblem(before, .notFound, type: ProblemURN.resourceNotFound)
            _ = try await world.openOffer(client)
            let after = try await client.execute(uri: "/v1/mobility/candidates/\(world.lotte.uuidString)", method: .get, headers: .bearer(world.hostHR.token))
            #expect(after.status == .ok)
            // Unknown catalogue codes are refused, nothing written.
            var bad = body
            bad["competencies"] = [["code": "astrology", "level": 3]]
            try await app.expectRefused(.badRequest, type: ProblemURN.referencedResourceNotFound, issue: "competencies", unchanged: ["candidate_profiles", "candidate_competencies"]) {
                try await world.putProfile(client, world.lotte, bad, token: world.homeHR.token, etag: kept.headers[.eTag]!)
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, unchanged: ["candidate_profiles", "candidate_competencies"]) {
                try await world.putProfile(client, world.lotte, ["maxTravelMinutes": 9999], token: world.homeHR.token, etag: kept.headers[.eTag]!)
            }
        }
    }

    @Test func onlyTheAssignedPhysicianSetsRestrictionsAndHRNeverReadsThem() async throws {
        try await MobilityWorld.with { app, client, world in
            let empty = try await client.execute(
                uri: "/v1/mobility/candidates/\(world.mira.uuidString)/restrictions", method: .get, headers: .bearer(world.physician.token))
            #expect(empty.status == .ok)
            #expect((empty.json["restrictions"] as? [String: Any])?.isEmpty == true)
            let tables = ["functional_restrictions"]
            // The officer reads restrictions but does not set them; HR and others see nothing.
            for token in [world.officer.token, world.hostHR.token, world.homeHR.token, world.southOfficer.token] {
                try await app.expectRefused(.notFound, type: ProblemURN.resourceNotFound, unchanged: tables) {
                    try await world.putRestrictions(client, world.mira, ["emotionalLoad": "low"], token: token)
                }
            }
            let set = try await world.putRestrictions(client, world.mira, ["emotionalLoad": "low", "shiftOrNightWork": "none"])
            #expect(set.status == .ok, "\(set.body.text)")
            #expect((set.json["restrictions"] as? [String: String]) == ["emotionalLoad": "low", "shiftOrNightWork": "none"])
            let read = try await client.execute(
                uri: "/v1/mobility/candidates/\(world.mira.uuidString)/restrictions", method: .get, headers: .bearer(world.officer.token))
            #expect(read.status == .ok)
            for token in [world.hostHR.token, world.homeHR.token, world.auditor.token] {
                let hidden = try await client.execute(
                    uri: "/v1/mobility/candidates/\(world.mira.uuidString)/restrictions", method: .get, headers: .bearer(token))
                expectProblem(hidden, .notFound, type: ProblemURN.resourceNotFound)
            }
            let stale = try await world.putRestrictions(client, world.mira, ["emotionalLoad": "medium"], etag: empty.headers[.eTag]!)
            expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, unchanged: tables) {
                try await world.putRestrictions(client, world.mira, ["emotionalLoad": "extreme"], etag: set.headers[.eTag]!)
            }
            // The timeline says that they changed, never to what.
            let timeline = try await client.execute(uri: "/v1/trajectories/\(world.miraCase.uuidString)/timeline", method: .get, headers: .bearer(world.officer.token))
            let event = try #require(timeline.items.first { $0["type"] as? String == "restrictionsChanged" })
            #expect((event["payload"] as? [String: Any])?.isEmpty == true)
        }
    }

    @Test func rankingsExplainThemselvesAndHRSeesOnlyWhetherADemandFits() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client)
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            #expect(try await world.putProfile(client, world.noor).status == .ok)
            // Mira may do emotional load at most low; the job asks medium, and a quiet workplace is on offer.
            #expect(try await world.putRestrictions(client, world.mira, ["emotionalLoad": "low", "screenWork": "low"]).status == .ok)

            let ranking = try await client.execute(
                uri: "/v1/mobility/offers/\(offer)/candidates?fit=failing", method: .get, headers: .bearer(world.hostHR.token, [.acceptLanguage: "en"]))
            #expect(ranking.status == .ok, "\(ranking.body.text)")
            // Noor did not consent: she is in no ranking of HR's, fitting or not.
            #expect(!ranking.body.text.contains(world.noor.lowercasedString))
            let mira = try #require(ranking.items.first)
            let checks = try #require(mira["checks"] as? [[String: Any]])
            let screen = try #require(checks.first { $0["subject"] as? String == "screenWork" })
            #expect(screen["constraint"] as? String == "demandWithinRestriction")
            #expect(screen["passed"] as? Bool == false)
            let emotional = try #require(checks.first { $0["subject"] as? String == "emotionalLoad" })
            #expect(emotional["passed"] as? Bool == true)
            #expect(emotional["coveredBy"] as? String == "quietWorkplace")
            // Never the restriction itself: no level appears next to a demand check.
            for check in checks { #expect(Set(check.keys).isSubset(of: ["constraint", "subject", "passed", "coveredBy"])) }
            #expect(!ranking.body.text.contains("\"low\""))

            // The physician relaxes screen work: Mira fits, ranked with her parts.
            let current = try await client.execute(uri: "/v1/mobility/candidates/\(world.mira.uuidString)/restrictions", method: .get, headers: .bearer(world.physician.token))
            #expect(try await world.putRestrictions(client, world.mira, ["emotionalLoad": "low"], etag: current.headers[.eTag]!).status == .ok)
            let fitting = try await client.execute(uri: "/v1/mobility/offers/\(offer)/candidates", method: .get, headers: .bearer(world.hostHR.token))
            let first = try #require(fitting.items.first)
            #expect(first["fits"] as? Bool == true)
            #expect((first["score"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
            #expect((first["parts"] as? [[String: Any]])?.count == 5)
            #expect(((first["strongest"] as? [[String: Any]])?.first?["label"] as? [String: String])?.count == 4)

            // The officer ranks offers for Mira; the read is audited with the offers shown.
            let audited = try await world.audits("offer")
            let offers = try await client.execute(uri: "/v1/mobility/candidates/\(world.mira.uuidString)/offers", method: .get, headers: .bearer(world.officer.token))
            #expect(offers.items.map { ($0["offer"] as? [String: Any])?["id"] as? String } == [offer])
            #expect(try await world.audits("offer") == audited + 1)
            // HR of the home entity has no offers of its own here; another officer sees nothing.
            let south = try await client.execute(uri: "/v1/mobility/candidates/\(world.mira.uuidString)/offers", method: .get, headers: .bearer(world.southOfficer.token))
            expectProblem(south, .notFound, type: ProblemURN.resourceNotFound)
            let notHost = try await client.execute(uri: "/v1/mobility/offers/\(offer)/candidates", method: .get, headers: .bearer(world.homeHR.token))
            expectProblem(notHost, .notFound, type: ProblemURN.resourceNotFound)
            let badPage = try await client.execute(uri: "/v1/mobility/offers/\(offer)/candidates?pageSize=0", method: .get, headers: .bearer(world.hostHR.token))
            expectBadRequest(badPage, issue: ProblemURN.schemaViolation, in: "query", name: "pageSize")
        }
    }
}
