import Foundation
import HTTPTypes
import HummingbirdTesting
import PostgresLibPQ
import PostgresTestSupport
import Testing
@testable import Veerkracht

@Suite("Mobility: placements")
struct PlacementTests {
    @Test func aPlacementRunsFromProposalThroughReleaseToItsEvaluation() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client)
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            let proposed = try await world.propose(client, offer: offer, employee: world.mira)
            #expect(proposed.status == .created, "\(proposed.body.text)")
            let id = proposed.json["id"] as! String
            #expect(proposed.json["status"] as? String == "proposed")
            #expect(proposed.json["trajectoryId"] as? String == world.miraCase.lowercasedString)
            #expect((proposed.json["score"] as? Double).map { $0 > 0 } == true)
            // One open proposal per candidate and offer.
            try await app.expectRefused(.conflict, type: ProblemURN.conflict, unchanged: ["placements"]) {
                try await world.propose(client, offer: offer, employee: world.mira)
            }

            var etag = proposed.headers[.eTag]!
            func step(_ token: String, _ body: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
                let response = try await world.step(client, id, etag: etag, token: token, body)
                try #require(response.status == .ok, "\(body): \(response.body.text)", sourceLocation: sourceLocation)
                etag = response.headers[.eTag]!
                return response.json
            }
            // The host cannot accept before the candidate did; the candidate's side is the officer's.
            let early = try await world.step(client, id, etag: etag, token: world.hostHR.token, ["status": "hostAccepted", "agreement": MobilityWorld.agreement])
            expectProblem(early, .conflict, type: ProblemURN.illegalTransition)
            let notHers = try await world.step(client, id, etag: etag, token: world.hostHR.token, ["status": "candidateAccepted"])
            expectProblem(notHers, .forbidden, type: ProblemURN.missingPermission)
            _ = try await step(world.officer.token, ["status": "candidateAccepted"])
            // Accepting as host records the agreement.
            let noAgreement = try await world.step(client, id, etag: etag, token: world.hostHR.token, ["status": "hostAccepted"])
            expectBadRequest(noAgreement, issue: ProblemURN.schemaViolation, in: "body", name: "agreement")
            let accepted = try await step(world.hostHR.token, ["status": "hostAccepted", "agreement": MobilityWorld.agreement])
            #expect((accepted["agreement"] as? [String: Any])?["costBearer"] as? String == "homeOrganisation")
            // HR of the host sees the placement but not the trajectory it belongs to.
            #expect(accepted["trajectoryId"] == nil)
            // The only position is taken: the offer is filled.
            let filled = try await client.execute(uri: "/v1/mobility/offers/\(offer)", method: .get, headers: .bearer(world.hostHR.token))
            #expect(filled.json["status"] as? String == "filled")
            #expect(filled.json["positionsTaken"] as? Int == 1)
            // Home HR releases (or the officer records the manager's release).
            let hostRelease = try await world.step(client, id, etag: etag, token: world.hostHR.token, ["status": "released", "releasedBy": "homeHr"])
            expectProblem(hostRelease, .forbidden, type: ProblemURN.missingPermission)
            let released = try await step(world.homeHR.token, ["status": "released", "releasedBy": "homeHr"])
            #expect(released["releasedBy"] as? String == "homeHr")
            let future = try await world.step(client, id, etag: etag, token: world.officer.token, ["status": "started", "on": "2027-05-01"])
            expectBadRequest(future, issue: ProblemURN.invalidInput, in: "body", name: "on")
            _ = try await step(world.officer.token, ["status": "started", "on": "2026-12-04"])
            let tooEarly = try await client.execute(
                uri: "/v1/mobility/placements/\(id)/evaluations", method: .post, headers: .json(world.officer.token),
                body: .json(["side": "officer", "went": 4]))
            expectProblem(tooEarly, .conflict, type: ProblemURN.illegalTransition)
            let completed = try await step(world.hostHR.token, ["status": "completed"])
            #expect(completed["endedOn"] as? String == "2026-12-04")

            // Each side evaluates once; the officer's is the officer's, the host's the host's.
            let wrongSide = try await client.execute(
                uri: "/v1/mobility/placements/\(id)/evaluations", method: .post, headers: .json(world.hostHR.token),
                body: .json(["side": "officer", "went": 4]))
            expectProblem(wrongSide, .forbidden, type: ProblemURN.missingPermission)
            let officerSays = try await client.execute(
                uri: "/v1/mobility/placements/\(id)/evaluations", method: .post, headers: .json(world.officer.token),
                body: .json(["side": "officer", "went": 4, "gaveEnergy": 5, "helpedReturn": true, "note": "Worked well in a quiet team."]))
            #expect(officerSays.status == .created, "\(officerSays.body.text)")
            let hostSays = try await client.execute(
                uri: "/v1/mobility/placements/\(id)/evaluations", method: .post, headers: .json(world.hostHR.token),
                body: .json(["side": "host", "went": 5, "hostWouldContinue": true]))
            #expect((hostSays.json["evaluations"] as? [[String: Any]])?.count == 2)
            try await app.expectRefused(.conflict, type: ProblemURN.conflict, unchanged: ["placement_evaluations"]) {
                try await client.execute(
                    uri: "/v1/mobility/placements/\(id)/evaluations", method: .post, headers: .json(world.hostHR.token),
                    body: .json(["side": "host", "went": 1]))
            }

            // Every step is on the trajectory's timeline, and every access in the audit log.
            let timeline = try await app.collectAll(client, "/v1/trajectories/\(world.miraCase.uuidString)/timeline?pageSize=100", token: world.officer.token)
            let steps = timeline.items.filter { ($0["type"] as? String)?.hasPrefix("placement") == true }
            #expect(steps.map { ($0["payload"] as? [String: Any])?["status"] as? String } ==
                ["proposed", "candidateAccepted", "hostAccepted", "released", "started", "completed", "completed", "completed"])
            #expect(try await world.audits("placement") >= 8)
            // Outside the placement's sides: 404.
            let south = try await client.execute(uri: "/v1/mobility/placements/\(id)", method: .get, headers: .bearer(world.southOfficer.token))
            expectProblem(south, .notFound, type: ProblemURN.resourceNotFound)
            let listed = try await app.collectAll(client, "/v1/mobility/placements?offer=\(offer)", token: world.homeHR.token)
            #expect(listed.items.map { $0["id"] as? String } == [id])
            #expect(try await app.collectAll(client, "/v1/mobility/placements", token: world.southOfficer.token).items.isEmpty)
        }
    }

    @Test func aPairThatDoesNotFitIsNotProposed() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client, ["gradesAccepted": ["C1"]])
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            let refused = try await app.expectRefused(.badRequest, type: ProblemURN.invalidInput, issue: "offerId", unchanged: ["placements"]) {
                try await world.propose(client, offer: offer, employee: world.mira)
            }
            #expect(refused.issues.contains { $0["value"] == nil && ($0["detail"] as? String)?.contains("gradeAccepted") == true })
            try await app.expectRefused(.badRequest, type: ProblemURN.referencedResourceNotFound, issue: "employeeId", unchanged: ["placements"]) {
                try await world.propose(client, offer: offer, employee: world.mira, token: world.southOfficer.token)
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.referencedResourceNotFound, issue: "offerId", unchanged: ["placements"]) {
                try await world.propose(client, offer: UUID().uuidString, employee: world.mira)
            }
        }
    }

    /// 20 candidates accepted by the host at the same moment for a one-position offer: the
    /// database lets exactly one through, whatever the interleaving.
    @Test func twentyConcurrentAgreementsForOnePositionLetExactlyOneWin() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client)
            let north = world.north
            var placements: [(id: String, etag: String)] = []
            for index in 0..<20 {
                let employee = try await app.client.query("""
                    INSERT INTO employees (personnel_number, given_name, family_name, entity_id, weekly_hours, grade)
                    VALUES (\("C-\(index)"), 'Kandidaat', \("Nummer \(index)"), \(north), 38, 'A1') RETURNING id
                    """)[0].decode(0, as: UUID.self)
                var body = MobilityWorld.fittingProfile
                body["requestedMove"] = true
                #expect(try await world.putProfile(client, employee, body, token: world.homeHR.token).status == .ok)
                let proposed = try await world.propose(client, offer: offer, employee: employee, token: world.homeHR.token)
                try #require(proposed.status == .created, "\(proposed.body.text)")
                let id = proposed.json["id"] as! String
                let accepted = try await world.step(client, id, etag: proposed.headers[.eTag]!, token: world.homeHR.token, ["status": "candidateAccepted"])
                try #require(accepted.status == .ok, "\(accepted.body.text)")
                placements.append((id, accepted.headers[.eTag]!))
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for placement in placements {
                    group.addTask {
                        try await world.step(client, placement.id, etag: placement.etag, token: world.hostHR.token,
                                             ["status": "hostAccepted", "agreement": MobilityWorld.agreement]).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 19)
            #expect(try await app.client.query("""
                SELECT count(*) FROM placements WHERE offer_id = \(UUID(uuidString: offer)!) AND status = 'host_accepted'
                """)[0].decode(0, as: Int.self) == 1)
        }
    }

    /// The database itself refuses an over-booking, whatever the application does.
    @Test func theSchemaRefusesASecondPositionAndASecondActivePlacement() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = UUID(uuidString: try await world.openOffer(client))!
            let author = world.officer.user.id
            func insert(_ employee: UUID, _ status: String) async throws {
                try await app.client.query("""
                    INSERT INTO placements (offer_id, employee_id, home_entity_id, status, proposed_by, agreed_starts_on, agreed_ends_on,
                        agreed_hours_per_week, agreed_cost_bearer)
                    VALUES (\(offer), \(employee), \(world.north), \(status), \(author), '2027-01-15', '2027-06-30', 30, 'home_organisation')
                    """)
            }
            try await insert(world.mira, "host_accepted")
            await #expect { try await insert(world.noor, "host_accepted") } throws: {
                ($0 as? PostgresError)?.constraint == "placements_within_offer_positions"
            }
            let second = UUID(uuidString: try await world.openOffer(client))!
            await #expect { try await app.client.query("""
                INSERT INTO placements (offer_id, employee_id, home_entity_id, status, proposed_by, agreed_starts_on, agreed_ends_on,
                    agreed_hours_per_week, agreed_cost_bearer)
                VALUES (\(second), \(world.mira), \(world.north), 'host_accepted', \(author), '2027-01-15', '2027-06-30', 30, 'home_organisation')
                """) } throws: {
                ($0 as? PostgresError)?.constraint == "placements_one_active_per_employee"
            }
        }
    }
}

@Suite("Mobility: match rounds")
struct MatchRoundAPITests {
    @Test func aRoundProposesTheOptimumAndAcceptingItTwiceCreatesItsPlacementsOnce() async throws {
        try await MobilityWorld.with { app, client, world in
            let first = try await world.openOffer(client)
            let second = try await world.openOffer(client, ["title": "Data analyst", "competencies": [["code": "dataAnalysis", "level": 2]]])
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            var lotte = MobilityWorld.fittingProfile
            lotte["requestedMove"] = true
            lotte["competencies"] = [["code": "dataAnalysis", "level": 5]]
            #expect(try await world.putProfile(client, world.lotte, lotte, token: world.homeHR.token).status == .ok)
            // Noor fits too but did not consent: a round never proposes her.
            #expect(try await world.putProfile(client, world.noor).status == .ok)

            try await app.expectRefused(.forbidden, type: ProblemURN.missingPermission, unchanged: ["match_rounds"]) {
                try await client.execute(uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.officer.token), body: .json([:]))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.referencedResourceNotFound, issue: "offerIds[0]", unchanged: ["match_rounds"]) {
                try await client.execute(
                    uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token), body: .json(["offerIds": [UUID().uuidString]]))
            }
            let ran = try await client.execute(
                uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token, [.idempotencyKey: "round-1"]), body: .json([:]))
            #expect(ran.status == .created, "\(ran.body.text)")
            let round = ran.json
            #expect(round["status"] as? String == "completed")
            let pairs = try #require(round["pairs"] as? [[String: Any]])
            let optimum = pairs.filter { $0["inOptimum"] as? Bool == true }
            #expect(optimum.count == 2)
            #expect(!ran.body.text.contains(world.noor.lowercasedString))
            let total = try #require(round["totalScore"] as? Double)
            #expect(total >= (round["greedyTotalScore"] as? Double ?? .infinity))
            #expect(abs(total - optimum.reduce(0) { $0 + ($1["score"] as! Double) }) < 1e-9)
            // Each candidate once, each offer within its positions.
            #expect(Set(optimum.map { ($0["candidate"] as! [String: Any])["employeeId"] as! String }).count == 2)
            #expect(Set(optimum.map { ($0["offer"] as! [String: Any])["id"] as! String }) == [first, second])
            // The same Idempotency-Key gives the same round back, no second one.
            let replay = try await client.execute(
                uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token, [.idempotencyKey: "round-1"]), body: .json([:]))
            #expect(replay.json["id"] as? String == round["id"] as? String)
            #expect(try await app.count("match_rounds") == 1)

            let uri = "/v1/mobility/matchRounds/\(round["id"] as! String)"
            let accepted = try await client.execute(uri: uri + "/acceptance", method: .post, headers: .json(world.hostHR.token), body: .json([:]))
            #expect(accepted.status == .ok, "\(accepted.body.text)")
            #expect(try await app.count("placements") == 2)
            let again = try await client.execute(uri: uri + "/acceptance", method: .post, headers: .json(world.hostHR.token), body: .json([:]))
            #expect(again.status == .ok)
            #expect(try await app.count("placements") == 2)
            let linked = (again.json["pairs"] as? [[String: Any]] ?? []).filter { $0["inOptimum"] as? Bool == true }.compactMap { $0["placementId"] as? String }
            #expect(linked.count == 2)
            // Concurrent replays of the accept still make each placement once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 {
                    group.addTask { _ = try await client.execute(uri: uri + "/acceptance", method: .post, headers: .json(world.hostHR.token), body: .json([:])) }
                }
                try await group.waitForAll()
            }
            #expect(try await app.count("placements") == 2)
            // The round is its author's.
            let other = try await client.execute(uri: uri, method: .get, headers: .bearer(world.approver.token))
            expectProblem(other, .notFound, type: ProblemURN.resourceNotFound)
        }
    }

    @Test func aLargeRoundRunsAsAJobThatCanBeFollowed() async throws {
        try await MobilityWorld.with(mobility: MobilitySettings(roundJobPairs: 0)) { app, client, world in
            _ = try await world.openOffer(client)
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            let started = try await client.execute(uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token), body: .json(["minimumScore": 0.1]))
            #expect(started.status == .accepted, "\(started.body.text)")
            let location = try #require(started.headers[.location])
            var round: [String: Any] = [:]
            try await waitUntil("the round completes") {
                round = try await client.execute(uri: location, method: .get, headers: .bearer(world.hostHR.token)).json
                return round["status"] as? String == "completed"
            }
            #expect(round["progress"] as? Double == 1)
            #expect(round["feasiblePairCount"] as? Int == 1)
            #expect(round["timings"] is [String: Any])
        }
    }

    @Test func acceptingOnlyNamedPairsProposesOnlyThose() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client, ["positions": 2])
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            var lotte = MobilityWorld.fittingProfile
            lotte["requestedMove"] = true
            #expect(try await world.putProfile(client, world.lotte, lotte, token: world.homeHR.token).status == .ok)
            let round = try await client.execute(uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token), body: .json([:])).json
            #expect((round["pairs"] as? [[String: Any]])?.filter { $0["inOptimum"] as? Bool == true }.count == 2)
            let uri = "/v1/mobility/matchRounds/\(round["id"] as! String)/acceptance"
            try await app.expectRefused(.badRequest, type: ProblemURN.referencedResourceNotFound, issue: "pairs[0]", unchanged: ["placements"]) {
                try await client.execute(uri: uri, method: .post, headers: .json(world.hostHR.token),
                                         body: .json(["pairs": [["offerId": offer, "employeeId": world.noor.uuidString]]]))
            }
            let accepted = try await client.execute(
                uri: uri, method: .post, headers: .json(world.hostHR.token),
                body: .json(["pairs": [["offerId": offer, "employeeId": world.lotte.uuidString]]]))
            #expect(accepted.status == .ok, "\(accepted.body.text)")
            let placed = try await app.client.query("SELECT employee_id FROM placements").map { try $0.decode(0, as: UUID.self) }
            #expect(placed == [world.lotte])
        }
    }
}
