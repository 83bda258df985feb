import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Deadlines of a trajectory")
struct DeadlineTests {
    /// A Dutch case from 6 May 2024: five deadlines, the first on 17 June.
    private func dutchCase(_ world: DeadlineWorld, physician: UUID? = nil) async throws -> UUID {
        try await world.openTrajectory(template: "nl-wet-verbetering-poortwachter", absenceStart: day("2024-05-06"), physician: physician)
    }

    private func mergePatch(_ token: String, ifMatch: String?) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/merge-patch+json"]
        if let ifMatch { fields[.ifMatch] = ifMatch }
        return fields
    }

    @Test func listSoonestFirstPageByPageInTheLanguageAsked() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            try await world.app.test { client in
                let (items, pages) = try await world.app.collectAll(client, DeadlinePath.deadlines(trajectory) + "?pageSize=2", token: world.officerToken)
                #expect(pages == 3)
                #expect(items.map { $0["milestoneCode"] as? String } == [
                    "problemAnalysis", "planOfAction", "sickReportToUWV", "firstYearEvaluation", "reintegrationReport",
                ])
                #expect(items.map { $0["dueOn"] as? String } == ["2024-06-17", "2024-07-01", "2025-02-24", "2025-05-05", "2026-02-02"])
                let first = try #require(items.first)
                #expect(first["status"] as? String == "pending")
                #expect(first["templateId"] as? String == "nl-wet-verbetering-poortwachter")
                #expect(first["trajectoryId"] as? String == trajectory.uuidString.lowercased())
                #expect(first["href"] as? String == DeadlinePath.deadlines(trajectory) + "/\(first["id"] as? String ?? "?")")
                #expect(first["responsible"] as? String == "occupationalPhysician")
                #expect((first["label"] as? [String: String])?.count == 4)

                let dutch = try await client.execute(
                    uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken, [.acceptLanguage: "nl-BE, fr;q=0.5"]))
                #expect(dutch.status == .ok)
                #expect(dutch.headers[.contentLanguage] == "nl")
                let label = dutch.items.first?["label"] as? [String: String]
                #expect(label == ["nl": "Probleemanalyse door de bedrijfsarts"])

                let empty = try await client.execute(
                    uri: DeadlinePath.deadlines(trajectory) + "?status=met&status=waived", method: .get, headers: .bearer(world.officerToken))
                #expect(empty.status == .ok)
                #expect(empty.body.text.contains(#""items":[]"#))
                let pending = try await client.execute(
                    uri: DeadlinePath.deadlines(trajectory) + "?status=pending&pageSize=1", method: .get, headers: .bearer(world.officerToken))
                #expect(pending.items.count == 1)
                let next = try #require(pending.json["next"] as? String)
                #expect(next.contains("status=pending") && next.contains("pageSize=1"))

                let bad = try await client.execute(
                    uri: DeadlinePath.deadlines(trajectory) + "?status=late&pageSize=0", method: .get, headers: .bearer(world.officerToken))
                let issues = expectBadRequest(bad, issue: ProblemURN.schemaViolation, in: "query", name: "status")
                #expect(issues.contains { $0["name"] as? String == "pageSize" }, "\(issues)")
                let badCursor = try await client.execute(
                    uri: DeadlinePath.deadlines(trajectory) + "?cursor=nonsense", method: .get, headers: .bearer(world.officerToken))
                expectBadRequest(badCursor, issue: ProblemURN.schemaViolation, in: "query", name: "cursor")
            }
            // The gate's entry per listing and one per deadline shown: three pages of 2, 2 and 1,
            // all five in Dutch, none of the met or waived, one pending.
            let reads = try await world.audit(trajectory: trajectory).filter { $0.action == "list" && $0.resource == "deadline" }
            let expected: Int = 8 + 6 + 1 + 2
            #expect(reads.count == expected)
        }
    }

    @Test func getWithETagAndNotModified() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            let other = try await dutchCase(world)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let href = try #require(list.items.first?["href"] as? String)
                let response = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken, [.acceptLanguage: "de"]))
                #expect(response.status == .ok)
                #expect(response.json["milestoneCode"] as? String == "problemAnalysis")
                #expect(response.headers[.contentLanguage] == "de")
                let etag = try #require(response.headers[.eTag])
                let again = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken, [.ifNoneMatch: etag]))
                #expect(again.status == .notModified)

                // A deadline asked for under another trajectory does not exist there.
                let id = try #require(list.items.first?["id"] as? String)
                let elsewhere = try await client.execute(
                    uri: DeadlinePath.deadlines(other) + "/\(id)", method: .get, headers: .bearer(world.officerToken))
                expectProblem(elsewhere, .notFound, type: ProblemURN.resourceNotFound)
                let badID = try await client.execute(
                    uri: DeadlinePath.deadlines(other) + "/42", method: .get, headers: .bearer(world.officerToken))
                expectBadRequest(badID, issue: ProblemURN.schemaViolation, in: "path", name: "deadlineId")
            }
            let reads = try await world.audit(trajectory: trajectory).filter { $0.action == "read" && $0.resource == "deadline" }
            #expect(reads.count == 2)
        }
    }

    @Test func meetAndWaiveNeedTheCurrentETagAndAreFinal() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let analysis = try #require(list.items.first?["href"] as? String)
                let plan = try #require(list.items.dropFirst().first?["href"] as? String)
                let current = try await client.execute(uri: analysis, method: .get, headers: .bearer(world.officerToken))
                let etag = try #require(current.headers[.eTag])
                let met = ByteBuffer.json(["status": "met", "metOn": "2024-05-30"])

                let without = try await client.execute(uri: analysis, method: .patch, headers: mergePatch(world.officerToken, ifMatch: nil), body: met)
                expectProblem(without, .preconditionRequired, type: ProblemURN.preconditionRequired)
                let stale = try await client.execute(uri: analysis, method: .patch, headers: mergePatch(world.officerToken, ifMatch: "\"0000-9\""), body: met)
                expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)

                let done = try await client.execute(uri: analysis, method: .patch, headers: mergePatch(world.officerToken, ifMatch: etag), body: met)
                #expect(done.status == .ok, "\(done.body.text)")
                #expect(done.json["status"] as? String == "met")
                #expect(done.json["metOn"] as? String == "2024-05-30")
                #expect(done.json["resolvedBy"] as? String == world.officer.id.uuidString.lowercased())
                #expect(done.json["resolvedAt"] is String)
                let newETag = try #require(done.headers[.eTag])
                #expect(newETag != etag)

                let again = try await client.execute(
                    uri: analysis, method: .patch, headers: mergePatch(world.officerToken, ifMatch: newETag),
                    body: .json(["status": "waived", "note": "Changed my mind"]))
                expectProblem(again, .conflict, type: "urn:problem-type:veerkracht:illegalTransition")

                let planNow = try await client.execute(uri: plan, method: .get, headers: .bearer(world.officerToken))
                let waived = try await client.execute(
                    uri: plan, method: .patch, headers: mergePatch(world.officerToken, ifMatch: planNow.headers[.eTag]),
                    body: .json(["status": "waived", "note": "  Back at work full time before week 8  "]))
                #expect(waived.status == .ok, "\(waived.body.text)")
                #expect(waived.json["status"] as? String == "waived")
                #expect(waived.json["note"] as? String == "Back at work full time before week 8")
                #expect(waived.json["metOn"] == nil)
            }
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored["problemAnalysis"]?.status == "met")
            #expect(stored["problemAnalysis"]?.metOn == day("2024-05-30"))
            #expect(stored["planOfAction"]?.status == "waived")
            let timeline = try await world.timeline(of: trajectory)
            #expect(Array(timeline.suffix(2)) == ["deadline_met", "deadline_waived"])
            let updates = try await world.audit(trajectory: trajectory).filter { $0.action == "update" && $0.resource == "deadline" }
            #expect(updates.count == 2)
        }
    }

    @Test func aMissedDeadlineCanStillBeMetLate() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await world.openTrajectory(template: "active-presence", absenceStart: day("2024-02-20"))
            let swept = try await DeadlineSweeper().sweep(world.app.client, today: DeadlineWorld.today)
            #expect(swept == 1)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let review = try #require(list.items.first)
                #expect(review["status"] as? String == "missed")
                #expect(review["resolvedBy"] == nil, "the sweep did it")
                let href = try #require(review["href"] as? String)
                let etag = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken)).headers[.eTag]
                let late = try await client.execute(
                    uri: href, method: .patch, headers: mergePatch(world.officerToken, ifMatch: etag),
                    body: .json(["status": "met", "metOn": "2024-05-29", "note": "Review held two weeks late"]))
                #expect(late.status == .ok, "\(late.body.text)")
                #expect(late.json["status"] as? String == "met")
                #expect(late.json["dueOn"] as? String == "2024-05-20")
            }
        }
    }

    @Test func badPatchesAreRefusedWithEveryIssueAndNothingIsWritten() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            let before = try await world.timeline(of: trajectory)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let href = try #require(list.items.first?["href"] as? String)
                let etag = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken)).headers[.eTag]
                func patch(_ body: Any) async throws -> TestResponse {
                    try await client.execute(uri: href, method: .patch, headers: mergePatch(world.officerToken, ifMatch: etag), body: .json(body))
                }
                let metWithoutDay = try await patch(["status": "met", "note": "   "])
                let issues = expectBadRequest(metWithoutDay, issue: ProblemURN.schemaViolation, in: "body", name: "metOn")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["metOn", "note"])
                let future = try await patch(["status": "met", "metOn": "2024-06-04"])
                expectBadRequest(future, issue: ProblemURN.invalidInput, in: "body", name: "metOn")
                let notADate = try await patch(["status": "met", "metOn": "30/05/2024"])
                expectBadRequest(notADate, issue: ProblemURN.schemaViolation, in: "body", name: "metOn")
                let waivedWithoutReason = try await patch(["status": "waived", "metOn": "2024-05-30"])
                let waivedIssues = expectBadRequest(waivedWithoutReason, issue: ProblemURN.invalidInput, in: "body", name: "metOn")
                #expect(Set(waivedIssues.compactMap { $0["name"] as? String }) == ["metOn", "note"])
                let longNote = try await patch(["status": "waived", "note": String(repeating: "x", count: 2001)])
                expectBadRequest(longNote, issue: ProblemURN.schemaViolation, in: "body", name: "note")
                let removed = try await patch(["status": "waived", "note": NSNull()])
                expectBadRequest(removed, issue: ProblemURN.schemaViolation, in: "body", name: "note")
                let byHand = try await patch(["status": "missed"])
                expectBadRequest(byHand, issue: ProblemURN.schemaViolation, in: "body")
                let noStatus = try await patch(["metOn": "2024-05-30"])
                expectBadRequest(noStatus, issue: ProblemURN.schemaViolation, in: "body", name: "status")
                let unknown = try await patch(["status": "met", "metOn": "2024-05-30", "dueOn": "2024-09-01"])
                expectBadRequest(unknown, issue: ProblemURN.unknownInput, in: "body")
            }
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored.values.allSatisfy { $0.status == "pending" })
            let after = try await world.timeline(of: trajectory)
            #expect(after == before)
        }
    }

    @Test func physiciansReadTheirCasesOthersGet404AndTheDenialIsAudited() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world, physician: world.physician.id)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.physicianToken))
                #expect(list.status == .ok)
                #expect(list.items.count == 5)
                let href = try #require(list.items.first?["href"] as? String)
                let read = try await client.execute(uri: href, method: .get, headers: .bearer(world.physicianToken))
                #expect(read.status == .ok)
                let etag = try #require(read.headers[.eTag])
                let body = ByteBuffer.json(["status": "met", "metOn": "2024-05-30"])
                let physicianWrite = try await client.execute(uri: href, method: .patch, headers: mergePatch(world.physicianToken, ifMatch: etag), body: body)
                expectProblem(physicianWrite, .notFound, type: ProblemURN.resourceNotFound)
                for token in [world.outsiderToken, world.hrToken, world.app.adminToken] {
                    let listing = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(token))
                    expectProblem(listing, .notFound, type: ProblemURN.resourceNotFound)
                    let single = try await client.execute(uri: href, method: .get, headers: .bearer(token))
                    expectProblem(single, .notFound, type: ProblemURN.resourceNotFound)
                    let write = try await client.execute(uri: href, method: .patch, headers: mergePatch(token, ifMatch: etag), body: body)
                    expectProblem(write, .notFound, type: ProblemURN.resourceNotFound)
                }
            }
            let audit = try await world.audit(trajectory: trajectory)
            let denials = audit.filter { $0.outcome == "denied" }
            #expect(denials.count == 1 + 3 * 3)
            #expect(denials.contains { $0.actor == world.physician.id && $0.action == "update" && $0.resource == "deadline" })
            #expect(denials.contains { $0.actor == world.outsider.id && $0.action == "read" && $0.resource == "deadline" })
            let stored = try await world.deadlines(of: trajectory)
            #expect(stored["problemAnalysis"]?.status == "pending")
        }
    }

    @Test func aClosedTrajectorysDeadlinesAreReadOnly() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            try await world.close(trajectory)
            try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let href = try #require(list.items.first?["href"] as? String)
                let etag = try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken)).headers[.eTag]
                let response = try await client.execute(
                    uri: href, method: .patch, headers: mergePatch(world.officerToken, ifMatch: etag),
                    body: .json(["status": "met", "metOn": "2024-05-30"]))
                expectProblem(response, .conflict, type: ProblemURN.conflict)
            }
        }
    }

    @Test func twoPatchesWithTheSameETagExactlyOneWins() async throws {
        try await DeadlineWorld.with { world in
            let trajectory = try await dutchCase(world)
            let (href, etag) = try await world.app.test { client in
                let list = try await client.execute(uri: DeadlinePath.deadlines(trajectory), method: .get, headers: .bearer(world.officerToken))
                let href = try #require(list.items.first?["href"] as? String)
                let etag = try #require(try await client.execute(uri: href, method: .get, headers: .bearer(world.officerToken)).headers[.eTag])
                return (href, etag)
            }
            let bodies: [[String: String]] = [["status": "met", "metOn": "2024-05-30"], ["status": "waived", "note": "Not needed"]]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for body in bodies {
                    group.addTask {
                        try await world.app.test { client in
                            try await client.execute(
                                uri: href, method: .patch, headers: mergePatch(world.officerToken, ifMatch: etag), body: .json(body)).status
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .preconditionFailed])
            let timeline = try await world.timeline(of: trajectory)
            #expect(timeline.filter { $0 == "deadline_met" || $0 == "deadline_waived" }.count == 1)
        }
    }
}
