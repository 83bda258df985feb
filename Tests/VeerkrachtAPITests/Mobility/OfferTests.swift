import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Mobility: offers")
struct OfferTests {
    @Test func anOfferIsPostedSubmittedAndPublishedByAnotherHRUser() async throws {
        try await MobilityWorld.with { app, client, world in
            let (offer, etag) = try await world.postOffer(client)
            let id = offer["id"] as! String
            #expect(offer["status"] as? String == "draft")
            #expect((offer["reference"] as? String)?.hasPrefix("MO-2026-") == true)
            #expect(offer["positionsTaken"] as? Int == 0)
            // A draft is HR's own: the officer of another entity does not see it.
            let hidden = try await client.execute(uri: "/v1/mobility/offers/\(id)", method: .get, headers: .bearer(world.officer.token))
            expectProblem(hidden, .notFound, type: ProblemURN.resourceNotFound)

            let submitted = try await world.changeOffer(client, id, to: "submitted", etag: etag, token: world.hostHR.token)
            #expect(submitted.status == .ok, "\(submitted.body.text)")
            let submittedTag = try #require(submitted.headers[.eTag])
            // The author may not publish their own offer, nor may HR without the permission.
            let own = try await world.changeOffer(client, id, to: "open", etag: submittedTag, token: world.hostHR.token)
            expectProblem(own, .forbidden, type: ProblemURN.missingPermission)
            try await app.client.query("UPDATE users SET permissions = '{approve_offers}' WHERE id = \(world.hostHR.user.id)")
            let stillOwn = try await world.changeOffer(client, id, to: "open", etag: submittedTag, token: world.hostHR.token)
            expectProblem(stillOwn, .forbidden, type: ProblemURN.missingPermission)
            // HR of another entity does not see the submitted offer at all.
            let other = try await world.changeOffer(client, id, to: "open", etag: submittedTag, token: world.homeHR.token)
            expectProblem(other, .notFound, type: ProblemURN.resourceNotFound)

            let published = try await world.changeOffer(client, id, to: "open", etag: submittedTag, token: world.approver.token)
            #expect(published.status == .ok, "\(published.body.text)")
            #expect(published.json["status"] as? String == "open")
            #expect(published.json["approvedBy"] as? String == world.approver.user.id.lowercasedString)
            #expect(published.json["publishedAt"] is String)

            // Published and visible to every entity: the officer reads it now and finds it in the list.
            let read = try await client.execute(uri: "/v1/mobility/offers/\(id)", method: .get, headers: .bearer(world.officer.token))
            #expect(read.status == .ok)
            let listed = try await app.collectAll(client, "/v1/mobility/offers?status=open", token: world.officer.token)
            #expect(listed.items.map { $0["id"] as? String } == [id])
            // Open is not a draft: it cannot change any more, only close.
            let change = try await client.execute(
                uri: "/v1/mobility/offers/\(id)", method: .patch, headers: .json(world.hostHR.token, [.ifMatch: published.headers[.eTag]!]),
                body: .json(["title": "Another title"]))
            expectProblem(change, .conflict, type: ProblemURN.illegalTransition)
            let back = try await world.changeOffer(client, id, to: "draft", etag: published.headers[.eTag]!, token: world.hostHR.token)
            expectProblem(back, .conflict, type: ProblemURN.illegalTransition)
            let closed = try await world.changeOffer(client, id, to: "closed", etag: published.headers[.eTag]!, token: world.hostHR.token)
            #expect(closed.json["status"] as? String == "closed")
        }
    }

    @Test func aDraftChangesWithMergePatchAndItsVisibilityIsScoped() async throws {
        try await MobilityWorld.with { app, client, world in
            let (offer, etag) = try await world.postOffer(client, ["visibleToEntityIds": [world.south.uuidString]])
            let id = offer["id"] as! String
            let stale = try await client.execute(
                uri: "/v1/mobility/offers/\(id)", method: .patch, headers: .json(world.hostHR.token, [.ifMatch: "\"00000000-9\""]),
                body: .json(["title": "x"]))
            expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)
            let changed = try await client.execute(
                uri: "/v1/mobility/offers/\(id)", method: .patch, headers: .json(world.hostHR.token, [.ifMatch: etag]),
                body: .json(["hoursPerWeek": 19, "demands": ["physicalLoad": "low"], "competencies": [["code": "legalDrafting", "level": 2]]]))
            #expect(changed.status == .ok, "\(changed.body.text)")
            #expect(changed.json["hoursPerWeek"] as? Double == 19)
            #expect((changed.json["demands"] as? [String: String]) == ["physicalLoad": "low", "emotionalLoad": "medium", "screenWork": "high"])
            #expect((changed.json["competencies"] as? [[String: Any]])?.map { $0["code"] as? String } == ["legalDrafting"])
            #expect((changed.json["visibleToEntityIds"] as? [String]) == [world.south.lowercasedString])

            // Published, visible only to SOUTH: NORTH's officer does not see it, SOUTH's does.
            let submitted = try await world.changeOffer(client, id, to: "submitted", etag: changed.headers[.eTag]!, token: world.hostHR.token)
            _ = try await world.changeOffer(client, id, to: "open", etag: submitted.headers[.eTag]!, token: world.approver.token)
            let north = try await client.execute(uri: "/v1/mobility/offers/\(id)", method: .get, headers: .bearer(world.officer.token))
            expectProblem(north, .notFound, type: ProblemURN.resourceNotFound)
            let south = try await client.execute(uri: "/v1/mobility/offers/\(id)", method: .get, headers: .bearer(world.southOfficer.token))
            #expect(south.status == .ok)
            let auditor = try await client.execute(uri: "/v1/mobility/offers/\(id)", method: .get, headers: .bearer(world.auditor.token))
            expectProblem(auditor, .notFound, type: ProblemURN.resourceNotFound)
            let none = try await app.collectAll(client, "/v1/mobility/offers", token: world.officer.token)
            #expect(none.items.isEmpty)
        }
    }

    @Test func badOffersAreRefusedAndNothingIsWritten() async throws {
        try await MobilityWorld.with { app, client, world in
            let tables = ["offers", "offer_competencies"]
            for (extra, name) in [
                (["hoursPerWeek": 3.7] as [String: Any], "hoursPerWeek"),  // below a tenth of 38 hours
                (["endsOn": "2028-02-01"], "endsOn"),  // more than 12 months
                (["endsOn": "2027-01-01"], "endsOn"),  // before the start
                (["competencies": [["code": "astrology", "level": 2]]], "competencies[0].code"),
                (["talentTags": ["nonsense"]], "talentTags[0]"),
                (["hostEntityId": world.north.uuidString], "hostEntityId"),  // not the author's entity
                (["visibleToEntityIds": [UUID().uuidString]], "visibleToEntityIds[0]"),
                (["title": "   "], "title"),
                (["startsOn": "2027-02-30"], "startsOn"),
            ] {
                try await app.expectRefused(.badRequest, type: name == "hoursPerWeek" || name == "title" || name == "startsOn"
                        ? ProblemURN.schemaViolation : (name.hasPrefix("endsOn") ? ProblemURN.invalidInput : ProblemURN.referencedResourceNotFound),
                    issue: name, unchanged: tables) {
                    try await client.execute(uri: "/v1/mobility/offers", method: .post, headers: .json(world.hostHR.token), body: .json(world.offerBody(extra)))
                }
            }
            // Wrong types and unknown fields are schema problems too.
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, unchanged: tables) {
                try await client.execute(uri: "/v1/mobility/offers", method: .post, headers: .json(world.hostHR.token), body: .json(world.offerBody(["positions": "two"])))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.unknownInput, unchanged: tables) {
                try await client.execute(uri: "/v1/mobility/offers", method: .post, headers: .json(world.hostHR.token), body: .json(world.offerBody(["salary": 1])))
            }
            // Only HR posts offers.
            try await app.expectRefused(.forbidden, type: ProblemURN.missingPermission, unchanged: tables) {
                try await client.execute(uri: "/v1/mobility/offers", method: .post, headers: .json(world.officer.token), body: .json(world.offerBody()))
            }
        }
    }

    @Test func theSweepExpiresOpenOffersWhoseStartPassedWithoutAPlacement() async throws {
        try await MobilityWorld.with { app, client, world in
            let id = try await world.openOffer(client)
            let later = try await world.openOffer(client, ["startsOn": "2027-03-01", "endsOn": "2027-08-31"])
            let context = MobilityContext(
                database: app.client, auditWriter: AuditWriter(database: app.client), settings: MobilitySettings(),
                now: { try! Date("2027-01-16T08:00:00Z", strategy: .iso8601) })
            #expect(try await Offers(context: context).expireStale() == 1)
            #expect(try await Offers(context: context).expireStale() == 0)
            let statuses = try await app.client.query("SELECT id, status FROM offers ORDER BY starts_on").map { try $0.decode((UUID, String).self) }
            #expect(statuses.map(\.0.lowercasedString) == [id, later])
            #expect(statuses.map(\.1) == ["expired", "open"])
        }
    }
}

@Suite("Mobility: reference data")
struct CatalogueAPITests {
    @Test func theCataloguesFollowAcceptLanguageAndOnlyAdministratorsKeepThem() async throws {
        try await MobilityWorld.with { app, client, world in
            let all = try await app.collectAll(client, "/v1/refData/competencies?pageSize=10", token: world.officer.token)
            #expect(all.items.count >= 30)
            #expect(all.pages > 1)
            let codes = all.items.compactMap { $0["code"] as? String }
            #expect(codes == codes.sorted())
            let french = try await client.execute(
                uri: "/v1/refData/talents/analysing", method: .get, headers: .bearer(world.hostHR.token, [.acceptLanguage: "fr-BE, nl;q=0.8"]))
            #expect(french.status == .ok)
            #expect(french.headers[.contentLanguage] == "fr")
            #expect((french.json["label"] as? [String: String])?.keys.sorted() == ["fr"])

            let created = try await client.execute(
                uri: "/v1/refData/competencies", method: .post, headers: .json(app.adminToken),
                body: .json(["code": "beekeeping", "label": ["nl": "Imkeren", "fr": "Apiculture", "de": "Imkerei", "en": "Beekeeping"]]))
            #expect(created.status == .created, "\(created.body.text)")
            #expect(created.headers[.location] == "/v1/refData/competencies/beekeeping")
            try await app.expectRefused(.conflict, type: ProblemURN.conflict, unchanged: ["competencies"]) {
                try await client.execute(
                    uri: "/v1/refData/competencies", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "beekeeping", "label": ["nl": "a", "fr": "b", "de": "c", "en": "d"]]))
            }
            try await app.expectRefused(.forbidden, type: ProblemURN.missingPermission, unchanged: ["competencies"]) {
                try await client.execute(
                    uri: "/v1/refData/competencies", method: .post, headers: .json(world.hostHR.token),
                    body: .json(["code": "sailing", "label": ["nl": "a", "fr": "b", "de": "c", "en": "d"]]))
            }
            try await app.expectRefused(.badRequest, type: ProblemURN.schemaViolation, unchanged: ["competencies"]) {
                try await client.execute(
                    uri: "/v1/refData/competencies", method: .post, headers: .json(app.adminToken),
                    body: .json(["code": "Not-A-Code", "label": ["nl": "a", "fr": "b", "de": "c", "en": "d"]]))
            }
            let retired = try await client.execute(
                uri: "/v1/refData/competencies/beekeeping", method: .patch, headers: .json(app.adminToken, [.ifMatch: created.headers[.eTag]!]),
                body: .json(["active": false, "label": ["en": "Bee keeping"]]))
            #expect(retired.status == .ok, "\(retired.body.text)")
            #expect(retired.json["active"] as? Bool == false)
            #expect((retired.json["label"] as? [String: String])?["en"] == "Bee keeping")
            // A retired code is no longer chosen for an offer.
            let refused = try await client.execute(
                uri: "/v1/mobility/offers", method: .post, headers: .json(world.hostHR.token),
                body: .json(world.offerBody(["competencies": [["code": "beekeeping", "level": 1]]])))
            expectBadRequest(refused, issue: ProblemURN.referencedResourceNotFound, in: "body", name: "competencies[0].code")
            let missing = try await client.execute(uri: "/v1/refData/talents/unknownThing", method: .get, headers: .bearer(world.officer.token))
            expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
        }
    }
}
