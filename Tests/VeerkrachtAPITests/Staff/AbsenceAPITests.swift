import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Veerkracht

@Suite("Staff: absences")
struct AbsenceAPITests {
    /// 2025-03-12 at noon in Brussels: "today" for these tests.
    static let now: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_741_777_200) }

    @Test func recordGetAndListAreAuditedWithoutAnyDiagnosis() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let response = try await client.execute(
                    uri: "/v1/employees/\(employeeID)/absences", method: .post, headers: .json(world.officer.token),
                    body: .json(["kind": "workAccident", "startsOn": "2025-03-03", "expectedEndOn": "2025-04-30", "workCapacityPercent": 20]))
                #expect(response.status == .created, "\(response.body.text)")
                let id = try #require(response.json["id"] as? String)
                let location = try #require(response.headers[.location])
                #expect(location.hasSuffix("/v1/absences/\(id)"))
                let etag = try #require(response.headers[.eTag])
                #expect(response.json["kind"] as? String == "workAccident")
                #expect(response.json["startsOn"] as? String == "2025-03-03")
                #expect(response.json["expectedEndOn"] as? String == "2025-04-30")
                #expect(response.json["endedOn"] == nil)
                #expect(response.json["workCapacityPercent"] as? Int == 20)
                #expect(response.json["employeeId"] as? String == employeeID)
                #expect(Set(response.json.keys) == ["id", "href", "employeeId", "kind", "startsOn", "expectedEndOn", "workCapacityPercent", "createdAt", "updatedAt"])

                let fetched = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(fetched.status == .ok)
                #expect(fetched.headers[.eTag] == etag)
                let notModified = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token, [.ifNoneMatch: etag]))
                #expect(notModified.status == .notModified)
                let list = try await client.execute(uri: "/v1/employees/\(employeeID)/absences", method: .get, headers: .bearer(world.officer.token))
                #expect(list.status == .ok)
                #expect(list.items.compactMap { $0["id"] as? String } == [id])
                let history = try await client.execute(uri: "/v1/absences/\(id)/workCapacityChanges", method: .get, headers: .bearer(world.officer.token))
                #expect(history.items.map { "\($0["effectiveFrom"]!) \($0["percent"]!)" } == ["2025-03-03 20"])

                let audit = try await world.audit(of: world.officer.id)
                #expect(audit.map { "\($0.action) \($0.resourceType) \($0.outcome)" } == [
                    "create absence allowed", "read absence allowed", "read absence allowed", "list absence allowed", "list absence allowed",
                ])
                #expect(audit.allSatisfy { $0.resourceID == id && $0.trajectoryID == nil })
            }
        }
    }

    @Test func badInputIs400AndWritesNothing() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let uri = "/v1/employees/\(employeeID)/absences"
                let wrongOrder = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token),
                    body: .json(["kind": "illness", "startsOn": "2025-03-10", "expectedEndOn": "2025-03-09", "endedOn": "2025-03-01", "workCapacityPercent": 101]))
                let issues = expectBadRequest(wrongOrder, issue: ProblemURN.invalidInput, in: "body", name: "endedOn")
                #expect(Set(issues.compactMap { $0["name"] as? String }) == ["expectedEndOn", "endedOn", "workCapacityPercent"])
                let badDate = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["kind": "illness", "startsOn": "2025-02-30"]))
                expectBadRequest(badDate, issue: ProblemURN.schemaViolation, in: "body", name: "startsOn")
                let unknownKind = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["kind": "burnout", "startsOn": "2025-03-10"]))
                expectBadRequest(unknownKind, issue: ProblemURN.schemaViolation, in: "body")
                let diagnosis = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token),
                    body: .json(["kind": "illness", "startsOn": "2025-03-10", "diagnosis": "anything"]))
                expectBadRequest(diagnosis, issue: ProblemURN.unknownInput, in: "body", name: "diagnosis")
                let absences = try await app.count("absences")
                let history = try await app.count("absence_work_capacity")
                #expect(absences == 0 && history == 0)
            }
        }
    }

    @Test func outOfScopeIs404AndTheDenialIsAudited() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let (absence, etag) = try await world.absence(client, of: employeeID, ["kind": "illness", "startsOn": "2025-03-03"])
                let id = try #require(absence["id"] as? String)
                let trajectoryID = try await world.trajectory(employee: employeeID, absence: id)

                // HR may see the employee, not the absence; the agency's officer neither.
                for user in [world.hr, world.outsider, world.auditor] {
                    let requests: [(String, HTTPRequest.Method, [String: Any]?)] = [
                        ("/v1/employees/\(employeeID)/absences", .get, nil),
                        ("/v1/employees/\(employeeID)/absences", .post, ["kind": "illness", "startsOn": "2025-06-01"]),
                        ("/v1/absences/\(id)", .get, nil),
                        ("/v1/absences/\(id)", .patch, ["kind": "otherLongAbsence"]),
                        ("/v1/absences/\(id)/workCapacityChanges", .get, nil),
                        ("/v1/absences/\(id)/workCapacityChanges", .post, ["effectiveFrom": "2025-03-10", "percent": 50]),
                        ("/v1/absences/\(id)/workCapacityChanges/2025-03-03", .get, nil),
                    ]
                    for (uri, method, body) in requests {
                        let response = try await client.execute(
                            uri: uri, method: method, headers: .json(user.token, [.ifMatch: etag]), body: body.map { ByteBuffer.json($0) })
                        expectProblem(response, .notFound, type: ProblemURN.resourceNotFound)
                    }
                    let audit = try await world.audit(of: user.id)
                    #expect(audit.map(\.description) == [
                        "list employee \(employeeID) - denied",
                        "create employee \(employeeID) - denied",
                        "read absence \(id) \(trajectoryID.uuidString.lowercased()) denied",
                        "update absence \(id) \(trajectoryID.uuidString.lowercased()) denied",
                        "list absence \(id) \(trajectoryID.uuidString.lowercased()) denied",
                        "update absence \(id) \(trajectoryID.uuidString.lowercased()) denied",
                        "read absence \(id) \(trajectoryID.uuidString.lowercased()) denied",
                    ])
                }
                let unknown = UUID().uuidString.lowercased()
                let missing = try await client.execute(uri: "/v1/absences/\(unknown)", method: .get, headers: .bearer(world.officer.token))
                expectProblem(missing, .notFound, type: ProblemURN.resourceNotFound)
                let officerAudit = try await world.audit(of: world.officer.id)
                #expect(officerAudit.last?.description == "read absence \(unknown) - denied")
                let absences = try await app.count("absences")
                #expect(absences == 1)
                let unchanged = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(unchanged.headers[.eTag] == etag)
            }
        }
    }

    @Test func overlappingAbsencesOfOneEmployeeAre409() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let otherID = try await world.employeeID(client, "P2")
                _ = try await world.absence(client, of: employeeID, ["kind": "illness", "startsOn": "2025-01-06", "endedOn": "2025-01-31"])
                let running = try await world.absence(client, of: employeeID, ["kind": "illness", "startsOn": "2025-03-03"])
                let uri = "/v1/employees/\(employeeID)/absences"
                for body: [String: Any] in [
                    ["kind": "illness", "startsOn": "2025-01-31", "endedOn": "2025-02-10"],
                    ["kind": "workAccident", "startsOn": "2025-12-01"],
                    ["kind": "illness", "startsOn": "2024-12-01"],
                ] {
                    let response = try await client.execute(uri: uri, method: .post, headers: .json(world.officer.token), body: .json(body))
                    let problem = expectProblem(response, .conflict, type: ProblemURN.conflict)
                    #expect((problem["detail"] as? String)?.contains("another absence") == true)
                }
                let between = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token),
                    body: .json(["kind": "otherLongAbsence", "startsOn": "2025-02-01", "endedOn": "2025-03-02"]))
                #expect(between.status == .created)
                _ = try await world.absence(client, of: otherID, ["kind": "illness", "startsOn": "2025-01-01"])

                // Changing dates into another absence is refused the same way.
                let runningID = try #require(running.json["id"] as? String)
                let earlier = try await client.execute(
                    uri: "/v1/absences/\(runningID)", method: .patch, headers: .json(world.officer.token, [.ifMatch: running.etag]),
                    body: .json(["startsOn": "2025-03-02"]))
                expectProblem(earlier, .conflict, type: ProblemURN.conflict)
                let absences = try await app.count("absences")
                #expect(absences == 4)
            }
        }
    }

    @Test func twoConcurrentOverlappingCreatesGiveOne201AndOne409() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let uri = "/v1/employees/\(employeeID)/absences"
                for round in 0..<5 {
                    let start = CalendarDate(year: 2025, month: 1, day: 1)!.adding(days: round * 30)
                    let token = world.officer.token
                    async let first = client.execute(
                        uri: uri, method: .post, headers: .json(token),
                        body: .json(["kind": "illness", "startsOn": "\(start)", "endedOn": "\(start.adding(days: 10))"]))
                    async let second = client.execute(
                        uri: uri, method: .post, headers: .json(token),
                        body: .json(["kind": "workAccident", "startsOn": "\(start.adding(days: 5))", "endedOn": "\(start.adding(days: 20))"]))
                    let statuses = [try await first.status, try await second.status]
                    #expect(statuses.sorted { $0.code < $1.code } == [.created, .conflict], "round \(round): \(statuses)")
                }
                let absences = try await app.count("absences")
                #expect(absences == 5)
            }
        }
    }

    @Test func anIdempotentReplayReturnsTheFirstAbsence() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let uri = "/v1/employees/\(employeeID)/absences"
                let headers = HTTPFields.json(world.officer.token, [.idempotencyKey: "absence-1"])
                let body: [String: Any] = ["kind": "illness", "startsOn": "2025-03-03"]
                let first = try await client.execute(uri: uri, method: .post, headers: headers, body: .json(body))
                let again = try await client.execute(uri: uri, method: .post, headers: headers, body: .json(body))
                #expect(first.status == .created && again.status == .created, "a replay is not an overlap")
                #expect(again.json["id"] as? String == first.json["id"] as? String)
                #expect(again.headers[.location] == first.headers[.location])
                let other = try await client.execute(uri: uri, method: .post, headers: headers, body: .json(["kind": "illness", "startsOn": "2025-09-01"]))
                expectProblem(other, .unprocessableContent, type: ProblemURN.idempotencyKeyReused)
                let absences = try await app.count("absences")
                #expect(absences == 1)
            }
        }
    }

    @Test func patchChangesDatesWritesTheTimelineAndNeedsIfMatch() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let (absence, etag) = try await world.absence(
                    client, of: employeeID, ["kind": "illness", "startsOn": "2025-03-03", "expectedEndOn": "2025-03-31", "workCapacityPercent": 0])
                let id = try #require(absence["id"] as? String)
                let trajectoryID = try await world.trajectory(employee: employeeID, absence: id)
                let uri = "/v1/absences/\(id)"

                let missing = try await client.execute(uri: uri, method: .patch, headers: .json(world.officer.token), body: .json(["endedOn": "2025-03-20"]))
                expectProblem(missing, .preconditionRequired, type: ProblemURN.preconditionRequired)
                let wrongOrder = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["endedOn": "2025-03-02"]))
                expectBadRequest(wrongOrder, issue: ProblemURN.invalidInput, in: "body", name: "endedOn")
                let removeStart = try await client.execute(
                    uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["startsOn": NSNull()]))
                expectBadRequest(removeStart, issue: ProblemURN.schemaViolation, in: "body", name: "startsOn")

                var headers = HTTPFields.json(world.officer.token, [.ifMatch: etag])
                headers[.contentType] = "application/merge-patch+json"
                let changed = try await client.execute(
                    uri: uri, method: .patch, headers: headers,
                    body: .json(["kind": "occupationalDisease", "startsOn": "2025-03-01", "expectedEndOn": NSNull(), "endedOn": "2025-03-20"]))
                #expect(changed.status == .ok, "\(changed.body.text)")
                #expect(changed.json["kind"] as? String == "occupationalDisease")
                #expect(changed.json["startsOn"] as? String == "2025-03-01")
                #expect(changed.json["expectedEndOn"] == nil)
                #expect(changed.json["endedOn"] as? String == "2025-03-20")
                #expect(changed.json["trajectoryId"] as? String == trajectoryID.uuidString.lowercased())
                let newETag = try #require(changed.headers[.eTag])
                #expect(newETag != etag)
                let stale = try await client.execute(uri: uri, method: .patch, headers: .json(world.officer.token, [.ifMatch: etag]), body: .json(["endedOn": NSNull()]))
                expectProblem(stale, .preconditionFailed, type: ProblemURN.preconditionFailed)

                let history = try await client.execute(uri: uri + "/workCapacityChanges", method: .get, headers: .bearer(world.officer.token))
                #expect(history.items.compactMap { $0["effectiveFrom"] as? String } == ["2025-03-01"], "the first entry moves with the start")

                let events = try await world.timeline(of: trajectoryID)
                #expect(events.map(\.type) == ["absence_updated"])
                let payload = try #require(events.first?.payload)
                #expect(payload["absenceId"] as? String == id)
                #expect(payload["kind"] as? String == "occupationalDisease")
                #expect(payload["startsOn"] as? String == "2025-03-01")
                #expect(payload["endedOn"] as? String == "2025-03-20")
                #expect(payload["removed"] as? [String] == ["expectedEndOn"])
                let audit = try await world.audit(of: world.officer.id)
                #expect(audit.contains(AuditRow(
                    action: "update", resourceType: "absence", resourceID: id, trajectoryID: trajectoryID.uuidString.lowercased(), outcome: "allowed")))
            }
        }
    }

    @Test func workCapacityChangesKeepAHistoryAndSetTheFigureOfTheDay() async throws {
        try await TestApp.with(now: Self.now) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let (absence, etag) = try await world.absence(client, of: employeeID, ["kind": "illness", "startsOn": "2025-02-03"])
                let id = try #require(absence["id"] as? String)
                let trajectoryID = try await world.trajectory(employee: employeeID, absence: id)
                let uri = "/v1/absences/\(id)/workCapacityChanges"

                let past = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["effectiveFrom": "2025-03-10", "percent": 50]))
                #expect(past.status == .created, "\(past.body.text)")
                let location = try #require(past.headers[.location])
                #expect(location.hasSuffix("/v1/absences/\(id)/workCapacityChanges/2025-03-10"))
                #expect(past.json["recordedBy"] as? String == world.officer.id.uuidString.lowercased())
                let single = try await client.execute(uri: TestApp.relative(location), method: .get, headers: .bearer(world.officer.token))
                #expect(single.status == .ok)
                #expect(single.json["percent"] as? Int == 50)
                #expect(single.headers[.eTag] == past.headers[.eTag])

                // Effective later than today: recorded, but the figure of today stays.
                let future = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["effectiveFrom": "2025-04-01", "percent": 80]))
                #expect(future.status == .created)
                let current = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(current.json["workCapacityPercent"] as? Int == 50)
                #expect(current.headers[.eTag] != etag)
                let stored = try await app.client.query("SELECT work_capacity_percent FROM absences")[0].decode(0, as: Int.self)
                #expect(stored == 50)

                let sameDay = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["effectiveFrom": "2025-03-10", "percent": 60]))
                expectProblem(sameDay, .conflict, type: ProblemURN.conflict)
                let beforeStart = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["effectiveFrom": "2025-02-02", "percent": 101]))
                let issues = expectBadRequest(beforeStart, issue: ProblemURN.schemaViolation, in: "body", name: "percent")
                #expect(issues.count == 1, "the percent is checked before the absence is read")
                let outside = try await client.execute(
                    uri: uri, method: .post, headers: .json(world.officer.token), body: .json(["effectiveFrom": "2025-02-02", "percent": 10]))
                expectBadRequest(outside, issue: ProblemURN.invalidInput, in: "body", name: "effectiveFrom")
                let missingEntry = try await client.execute(uri: uri + "/2025-03-11", method: .get, headers: .bearer(world.officer.token))
                expectProblem(missingEntry, .notFound, type: ProblemURN.resourceNotFound)
                let badDay = try await client.execute(uri: uri + "/yesterday", method: .get, headers: .bearer(world.officer.token))
                expectBadRequest(badDay, issue: ProblemURN.schemaViolation, in: "path", name: "effectiveFrom")

                let (list, pages) = try await app.collectAll(client, uri + "?pageSize=2", token: world.officer.token)
                #expect(pages == 2)
                #expect(list.map { "\($0["effectiveFrom"]!) \($0["percent"]!)" } == ["2025-02-03 0", "2025-03-10 50", "2025-04-01 80"])
                let rows = try await app.count("absence_work_capacity")
                #expect(rows == 3)

                let events = try await world.timeline(of: trajectoryID)
                #expect(events.map(\.type) == ["work_capacity_changed", "work_capacity_changed"])
                #expect(events.first?.payload["percent"] as? Int == 50)
                #expect(events.first?.payload["effectiveFrom"] as? String == "2025-03-10")

                // An end before a recorded change would leave it outside the absence.
                let currentETag = try #require(current.headers[.eTag])
                let tooEarly = try await client.execute(
                    uri: "/v1/absences/\(id)", method: .patch, headers: .json(world.officer.token, [.ifMatch: currentETag]),
                    body: .json(["endedOn": "2025-03-31"]))
                let problem = expectProblem(tooEarly, .conflict, type: ProblemURN.conflict)
                #expect((problem["detail"] as? String)?.contains("2025-04-01") == true)
            }
        }
    }

    @Test func aChangeDatedAheadTakesEffectOnItsDay() async throws {
        let clock = TestClock()
        clock.advance(days: Self.now().timeIntervalSince(clock.now) / 86_400)
        try await TestApp.with(now: { clock.now }) { app in
            try await app.test { client in
                let world = try await StaffWorld.make(app, client)
                let employeeID = try await world.employeeID(client, "P1")
                let (absence, _) = try await world.absence(client, of: employeeID, ["kind": "illness", "startsOn": "2025-02-03", "workCapacityPercent": 10])
                let id = try #require(absence["id"] as? String)
                let change = try await client.execute(
                    uri: "/v1/absences/\(id)/workCapacityChanges", method: .post, headers: .json(world.officer.token),
                    body: .json(["effectiveFrom": "2025-03-13", "percent": 50]))
                #expect(change.status == .created)
                let today = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(today.json["workCapacityPercent"] as? Int == 10)
                clock.advance(days: 1)
                let tomorrow = try await client.execute(uri: "/v1/absences/\(id)", method: .get, headers: .bearer(world.officer.token))
                #expect(tomorrow.json["workCapacityPercent"] as? Int == 50)
                #expect(tomorrow.headers[.eTag] != today.headers[.eTag], "the figure of the day is part of the tag")
            }
        }
    }
}
