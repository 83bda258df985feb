import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Veerkracht

/// The cells of the mobility endpoints × {bad input, no access} matrix that the scenario
/// suites leave out: each request is refused with its problem and changes nothing.
@Suite("Mobility: refusals change nothing")
struct MobilityRefusalTests {
    static let tables = [
        "competencies", "talents", "offers", "offer_competencies", "candidate_profiles", "functional_restrictions", "placements",
        "placement_evaluations", "match_rounds", "match_round_pairs",
    ]

    @Test func everyMobilityOperationRefusesBadInputAndStrangers() async throws {
        try await MobilityWorld.with { app, client, world in
            let offer = try await world.openOffer(client)
            #expect(try await world.putProfile(client, world.mira).status == .ok)
            let proposed = try await world.propose(client, offer: offer, employee: world.mira)
            let placement = proposed.json["id"] as! String
            let etag = proposed.headers[.eTag]!
            let round = try await client.execute(uri: "/v1/mobility/matchRounds", method: .post, headers: .json(world.hostHR.token), body: .json([:])).json["id"] as! String
            let tables = Self.tables
            func bad(_ name: String, in location: String, _ method: HTTPRequest.Method, _ uri: String, token: String, body: [String: Any]? = nil,
                     headers: [HTTPField.Name: String] = [:], type: String = ProblemURN.schemaViolation,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
                try await app.expectRefused(.badRequest, type: type, issue: name, in: location, unchanged: tables, sourceLocation: sourceLocation) {
                    try await client.execute(uri: uri, method: method, headers: .json(token, headers), body: body.map { .json($0) })
                }
            }
            func refused(_ status: HTTPResponse.Status, _ type: String, _ method: HTTPRequest.Method, _ uri: String, token: String,
                         body: [String: Any]? = nil, headers: [HTTPField.Name: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws {
                try await app.expectRefused(status, type: type, unchanged: tables, sourceLocation: sourceLocation) {
                    try await client.execute(uri: uri, method: method, headers: .json(token, headers), body: body.map { .json($0) })
                }
            }
            let labels = ["nl": "a", "fr": "b", "de": "c", "en": "d"]
            let officer = world.officer.token, hr = world.hostHR.token, south = world.southOfficer.token

            // Reference data.
            try await bad("pageSize", in: "query", .get, "/v1/refData/competencies?pageSize=101", token: officer)
            try await bad("cursor", in: "query", .get, "/v1/refData/talents?cursor=x", token: officer)
            try await bad("active", in: "query", .get, "/v1/refData/talents?active=maybe", token: officer)
            try await bad("label.en", in: "body", .post, "/v1/refData/talents", token: app.adminToken, body: ["code": "sailing", "label": labels.merging(["en": "two\nlines"]) { $1 }])
            try await refused(.forbidden, ProblemURN.missingPermission, .post, "/v1/refData/talents", token: hr, body: ["code": "sailing", "label": labels])
            try await refused(.forbidden, ProblemURN.missingPermission, .patch, "/v1/refData/competencies/policyAnalysis", token: hr, body: ["active": false], headers: [.ifMatch: "\"policyAnalysis-1\""])
            try await refused(.notFound, ProblemURN.resourceNotFound, .patch, "/v1/refData/competencies/noSuchCode", token: app.adminToken, body: ["active": false], headers: [.ifMatch: "\"noSuchCode-1\""])
            try await refused(.preconditionRequired, ProblemURN.preconditionRequired, .patch, "/v1/refData/talents/analysing", token: app.adminToken, body: ["active": false])
            try await bad("label.nl", in: "body", .patch, "/v1/refData/talents/analysing", token: app.adminToken, body: ["label": ["nl": String(repeating: "x", count: 201)]], headers: [.ifMatch: "\"analysing-1\""])
            try await refused(.notFound, ProblemURN.resourceNotFound, .get, "/v1/refData/talents/Not-A-Code", token: officer)

            // Offers.
            try await bad("hostEntity", in: "query", .get, "/v1/mobility/offers?hostEntity=x", token: hr)
            try await bad("status", in: "query", .get, "/v1/mobility/offers?status=pending", token: hr)
            try await bad("offerId", in: "path", .get, "/v1/mobility/offers/x", token: hr)
            try await refused(.notFound, ProblemURN.resourceNotFound, .patch, "/v1/mobility/offers/\(offer)", token: world.homeHR.token, body: ["title": "x"], headers: [.ifMatch: "\"x\""])
            try await bad("status", in: "body", .post, "/v1/mobility/offers/\(offer)/statusChanges", token: hr, body: ["status": "filled"], headers: [.ifMatch: "\"x\""])
            try await bad("fit", in: "query", .get, "/v1/mobility/candidates/\(world.mira.uuidString)/offers?fit=sideways", token: officer)
            try await bad("minimumScore", in: "query", .get, "/v1/mobility/offers/\(offer)/candidates?minimumScore=2", token: hr)

            // Candidates.
            try await bad("employeeId", in: "path", .get, "/v1/mobility/candidates/x", token: officer)
            try await bad("employeeId", in: "path", .get, "/v1/mobility/candidates/x/restrictions", token: officer)
            try await refused(.notFound, ProblemURN.resourceNotFound, .get, "/v1/mobility/candidates/\(world.mira.uuidString)/restrictions", token: south)

            // Placements.
            try await bad("status", in: "query", .get, "/v1/mobility/placements?status=done", token: officer)
            try await bad("placementId", in: "path", .get, "/v1/mobility/placements/x", token: officer)
            try await bad("status", in: "body", .post, "/v1/mobility/placements/\(placement)/statusChanges", token: officer, body: ["status": "proposed"], headers: [.ifMatch: etag])
            try await refused(.notFound, ProblemURN.resourceNotFound, .post, "/v1/mobility/placements/\(placement)/statusChanges", token: south, body: ["status": "candidateAccepted"], headers: [.ifMatch: etag])
            try await refused(.notFound, ProblemURN.resourceNotFound, .post, "/v1/mobility/placements/\(placement)/evaluations", token: south, body: ["side": "officer", "went": 3])
            try await bad("went", in: "body", .post, "/v1/mobility/placements/\(placement)/evaluations", token: officer, body: ["side": "officer", "went": 9])
            try await refused(.preconditionRequired, ProblemURN.preconditionRequired, .post, "/v1/mobility/placements/\(placement)/statusChanges", token: officer, body: ["status": "candidateAccepted"])

            // Match rounds.
            try await bad("matchRoundId", in: "path", .get, "/v1/mobility/matchRounds/x", token: hr)
            try await bad("minimumScore", in: "body", .post, "/v1/mobility/matchRounds", token: hr, body: ["minimumScore": 1.5])
            try await refused(.notFound, ProblemURN.resourceNotFound, .post, "/v1/mobility/matchRounds/\(round)/acceptance", token: world.approver.token, body: [:])
            try await refused(.notFound, ProblemURN.resourceNotFound, .get, "/v1/mobility/matchRounds/\(round)", token: officer)
        }
    }
}
