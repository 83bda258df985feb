import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import VeerkrachtAPI

// The staff operations on absences and their work capacity history. Absences are case data:
// every access goes through `withAbsence` or `withAbsences(of:)`, which ask
// `AccessPolicy.mayAccessAbsence` and audit the access, allowed or denied.

extension VeerkrachtAPIService {
    func listEmployeeAbsences(_ input: Operations.ListEmployeeAbsences.Input) async throws -> Operations.ListEmployeeAbsences.Output {
        let principal = try Principal.required()
        let employeeID = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let today = CalendarDate.today(at: now())
        let (absences, next) = try await withAbsences(of: employeeID, .read, audit: .list) { _, connection in
            let (absences, next) = try await staff.absences(
                employeeID: employeeID, entityScope: AccessPolicy.caseScope(principal, .read).entityIDs, today: today, page: page,
                on: connection)
            try auditTrail.append(
                absences.map { AuditEntry(principal, .list, .absence, id: $0.id, trajectory: $0.trajectoryID) }, on: connection)
            return (absences, next)
        }
        return .ok(.init(body: .json(.init(
            items: absences.map(Components.Schemas.Absence.init),
            next: nextPageLink(path: Href.employee(employeeID) + "/absences", query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createAbsence(_ input: Operations.CreateAbsence.Input) async throws -> Operations.CreateAbsence.Output {
        let principal = try Principal.required()
        let employeeID = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let startsOn = Input.date(body.startsOn, name: "startsOn", issues: &issues)
        let expectedEndOn = body.expectedEndOn.flatMap { Input.date($0, name: "expectedEndOn", issues: &issues) }
        let endedOn = body.endedOn.flatMap { Input.date($0, name: "endedOn", issues: &issues) }
        let percent = Int(body.workCapacityPercent ?? 0)
        if !WorkCapacity.isValidPercent(percent) {
            issues.append(InputIssue(in: .body, name: "workCapacityPercent", detail: "From 0 to 100", value: String(percent)))
        }
        var period: AbsencePeriod?
        if let startsOn {
            period = AbsencePeriod(startsOn: startsOn, expectedEndOn: expectedEndOn, endedOn: endedOn)
            issues += period!.problems.map { InputIssue(.invalidInput, in: .body, name: $0.field, detail: $0.detail) }
        }
        try Input.check(issues)
        let kind = AbsenceKind(rawValue: body.kind.rawValue)!
        let today = CalendarDate.today(at: now())

        let stored = try await withAbsences(of: employeeID, .write, audit: .create) { _, connection in
            let (stored, replayed) = try await idempotency.run(
                key: input.headers.idempotencyKey, userID: principal.userID, operation: "createAbsence/\(employeeID)", request: body,
                on: connection
            ) {
                let absence = try await staff.createAbsence(
                    employeeID: employeeID, kind: kind, period: period!, workCapacityPercent: percent, recordedBy: principal.userID,
                    today: today, on: connection)
                return Created(Components.Schemas.Absence(absence), href: Href.absence(absence.id), etag: absence.etag)
            }
            let absence = stored.resource
            // A replay shows what was created before: a read.
            try auditTrail.append(
                AuditEntry(principal, replayed ? .read : .create, .absence, id: UUID(uuidString: absence.id), trajectory: nil), on: connection)
            return stored
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getAbsence(_ input: Operations.GetAbsence.Input) async throws -> Operations.GetAbsence.Output {
        let id = try Input.uuid(input.path.absenceId, name: "absenceId", in: .path)
        let absence = try await withAbsence(id, .read, audit: .read) { absence, _ in absence }
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: absence.etag) { return .notModified(.init(headers: .init(eTag: absence.etag))) }
        return .ok(.init(headers: .init(eTag: absence.etag), body: .json(.init(absence))))
    }

    func updateAbsence(_ input: Operations.UpdateAbsence.Input) async throws -> Operations.UpdateAbsence.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.absenceId, name: "absenceId", in: .path)
        let patch: Components.Schemas.AbsencePatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        var issues: [InputIssue] = []
        for key in MergePatch.nullKeys.intersection(["kind", "startsOn"]).sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        let startsOn = patch.startsOn.flatMap { Input.date($0, name: "startsOn", issues: &issues) }
        let expectedEndOn = Self.mergePatchValue(patch.expectedEndOn, key: "expectedEndOn").map { text in
            text.flatMap { Input.date($0, name: "expectedEndOn", issues: &issues) }
        }
        let endedOn = Self.mergePatchValue(patch.endedOn, key: "endedOn").map { text in
            text.flatMap { Input.date($0, name: "endedOn", issues: &issues) }
        }
        try Input.check(issues)
        let kind = patch.kind.flatMap { AbsenceKind(rawValue: $0.rawValue) }
        let today = CalendarDate.today(at: now())

        let absence = try await withAbsence(id, .write, audit: .update) { current, connection -> Absence in
            try ETag.requireMatch(input.headers.ifMatch, current: current.etag)
            var period = current.period
            if let startsOn { period.startsOn = startsOn }
            if let expectedEndOn { period.expectedEndOn = expectedEndOn }
            if let endedOn { period.endedOn = endedOn }
            let problems = period.problems
            guard problems.isEmpty else {
                throw Problem.badRequest(problems.map { InputIssue(.invalidInput, in: .body, name: $0.field, detail: $0.detail) })
            }
            let history = try await staff.workCapacityDates(absenceID: id, on: connection)
            let rescheduling = WorkCapacity.rescheduling(history, from: current.period, to: period)
            if case .conflict(let detail) = rescheduling { throw Problem.conflict(detail) }
            guard let updated = try await staff.updateAbsence(
                id: id, version: current.version, kind: kind ?? current.kind, period: period, rescheduling: rescheduling, today: today,
                on: connection)
            else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            let payload = AbsenceUpdatedPayload(before: current, after: updated)
            if let trajectoryID = current.trajectoryID, !payload.isEmpty {
                try timeline.append(.absenceUpdated, trajectory: trajectoryID, actor: principal.userID, payload: payload, on: connection)
            }
            // Deadlines count from the absence start, and so does the first contact; an ended
            // absence needs no more contact.
            if let trajectoryID = current.trajectoryID, updated.period.startsOn != current.period.startsOn {
                try await deadlines.recordTriggerEvent(
                    .absenceStart, occurredOn: updated.period.startsOn, trajectoryID: trajectoryID, actor: principal.userID,
                    today: today, on: connection)
            }
            try await contactDue.refresh(absenceID: id, at: now(), on: connection)
            return updated
        }
        return .ok(.init(headers: .init(eTag: absence.etag), body: .json(.init(absence))))
    }

    // MARK: - Work capacity history

    func listWorkCapacityChanges(_ input: Operations.ListWorkCapacityChanges.Input) async throws -> Operations.ListWorkCapacityChanges.Output {
        let id = try Input.uuid(input.path.absenceId, name: "absenceId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (changes, next) = try await withAbsence(id, .read, audit: .list) { _, connection in
            try await staff.workCapacityChanges(absenceID: id, page: page, on: connection)
        }
        return .ok(.init(body: .json(.init(
            items: changes.map(Components.Schemas.WorkCapacityChange.init),
            next: nextPageLink(path: Href.absence(id) + "/workCapacityChanges", query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createWorkCapacityChange(_ input: Operations.CreateWorkCapacityChange.Input) async throws -> Operations.CreateWorkCapacityChange.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.absenceId, name: "absenceId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let effectiveFrom = Input.date(body.effectiveFrom, name: "effectiveFrom", issues: &issues)
        let percent = Int(body.percent)
        if !WorkCapacity.isValidPercent(percent) {
            issues.append(InputIssue(in: .body, name: "percent", detail: "From 0 to 100", value: String(percent)))
        }
        try Input.check(issues)
        let today = CalendarDate.today(at: now())

        let stored = try await withAbsence(id, .write, audit: .update) { absence, connection in
            try await idempotency.run(
                key: input.headers.idempotencyKey, userID: principal.userID, operation: "createWorkCapacityChange/\(id)", request: body,
                on: connection
            ) {
                let problems = WorkCapacity.problems(effectiveFrom: effectiveFrom!, percent: percent, in: absence.period)
                guard problems.isEmpty else {
                    throw Problem.badRequest(problems.map { InputIssue(.invalidInput, in: .body, name: $0.field, detail: $0.detail) })
                }
                guard let change = try await staff.addWorkCapacityChange(
                    absenceID: id, effectiveFrom: effectiveFrom!, percent: percent, recordedBy: principal.userID, today: today,
                    on: connection)
                else { throw Problem.conflict("The history has an entry effective from \(effectiveFrom!) already") }
                if let trajectoryID = absence.trajectoryID {
                    try timeline.append(
                        .workCapacityChanged, trajectory: trajectoryID, actor: principal.userID,
                        payload: WorkCapacityChangedPayload(change), on: connection)
                }
                return Created(Components.Schemas.WorkCapacityChange(change), href: Href.workCapacityChange(id, change.effectiveFrom),
                    etag: change.etag)
            }.created
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getWorkCapacityChange(_ input: Operations.GetWorkCapacityChange.Input) async throws -> Operations.GetWorkCapacityChange.Output {
        let id = try Input.uuid(input.path.absenceId, name: "absenceId", in: .path)
        guard let effectiveFrom = CalendarDate(input.path.effectiveFrom) else {
            throw Problem.badRequest(InputIssue(in: .path, name: "effectiveFrom", detail: "A date as yyyy-MM-dd", value: String(input.path.effectiveFrom.prefix(40))))
        }
        let change = try await withAbsence(id, .read, audit: .read) { _, connection in
            guard let change = try await staff.workCapacityChange(absenceID: id, effectiveFrom: effectiveFrom, on: connection) else {
                throw Problem.notFound
            }
            return change
        }
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: change.etag) { return .notModified(.init(headers: .init(eTag: change.etag))) }
        return .ok(.init(headers: .init(eTag: change.etag), body: .json(.init(change))))
    }

    // MARK: - The gates

    /// Runs `body` in a transaction when the principal may `access` absence `id` (locked
    /// until commit for writes) and audits the access in that transaction, naming the
    /// trajectory that refers to the absence. Otherwise, absent or out of scope alike,
    /// audits the denial and answers 404.
    private func withAbsence<Value: Sendable>(
        _ id: UUID, _ access: AccessPolicy.CaseAccess, audit action: AuditAction,
        _ body: (Absence, PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let principal = try Principal.required()
        let today = CalendarDate.today(at: now())
        let outcome: GateOutcome<Value> = try await database.withTransaction { connection in
            guard let absence = try await staff.absence(id: id, today: today, lock: access == .write, on: connection) else {
                return .denied(trajectory: nil)
            }
            guard AccessPolicy.mayAccessAbsence(principal, access, employeeEntityID: absence.entityID) else {
                return .denied(trajectory: absence.trajectoryID)
            }
            let value = try await body(absence, connection)
            try auditTrail.append(AuditEntry(principal, action, .absence, id: id, trajectory: absence.trajectoryID), on: connection)
            return .allowed(value)
        }
        return try await settle(outcome, principal, action, .absence, id: id)
    }

    /// The gate for an employee's absences as a whole (listing them, adding one): `body`
    /// runs in a transaction when the principal may `access` the absences of employee
    /// `employeeID`, and audits what it reads or writes itself. A refusal is audited (as
    /// `action` on the employee, since no absence is named) and answers 404.
    private func withAbsences<Value: Sendable>(
        of employeeID: UUID, _ access: AccessPolicy.CaseAccess, audit action: AuditAction,
        _ body: (Employee, PostgresConnection) async throws -> Value
    ) async throws -> Value {
        let principal = try Principal.required()
        let outcome: GateOutcome<Value> = try await database.withTransaction { connection in
            guard let employee = try await staff.employee(id: employeeID, on: connection),
                AccessPolicy.mayAccessAbsence(principal, access, employeeEntityID: employee.entityID)
            else { return .denied(trajectory: nil) }
            return .allowed(try await body(employee, connection))
        }
        return try await settle(outcome, principal, action, .employee, id: employeeID)
    }
}

// MARK: - Timeline payloads (the API's spelling; only what changed)

struct AbsenceUpdatedPayload: Codable, Sendable {
    var absenceId: String
    var kind: AbsenceKind?
    var startsOn: CalendarDate?
    var expectedEndOn: CalendarDate?
    var endedOn: CalendarDate?
    /// Dates that were removed: `expectedEndOn`, `endedOn`.
    var removed: [String]?

    init(before: Absence, after: Absence) {
        absenceId = after.id.lowercasedString
        kind = after.kind != before.kind ? after.kind : nil
        startsOn = after.period.startsOn != before.period.startsOn ? after.period.startsOn : nil
        expectedEndOn = after.period.expectedEndOn != before.period.expectedEndOn ? after.period.expectedEndOn : nil
        endedOn = after.period.endedOn != before.period.endedOn ? after.period.endedOn : nil
        var removed: [String] = []
        if before.period.expectedEndOn != nil, after.period.expectedEndOn == nil { removed.append("expectedEndOn") }
        if before.period.endedOn != nil, after.period.endedOn == nil { removed.append("endedOn") }
        self.removed = removed.isEmpty ? nil : removed
    }

    var isEmpty: Bool { kind == nil && startsOn == nil && expectedEndOn == nil && endedOn == nil && removed == nil }
}

struct WorkCapacityChangedPayload: Codable, Sendable {
    var absenceId: String
    var effectiveFrom: CalendarDate
    var percent: Int

    init(_ change: WorkCapacityChange) {
        absenceId = change.absenceID.lowercasedString
        effectiveFrom = change.effectiveFrom
        percent = change.percent
    }
}

// MARK: - Mapping

extension Absence {
    /// The figure of the day is part of the representation, so part of the tag: a change
    /// dated ahead that takes effect changes the tag without a write.
    var etag: String { ETag.make(id: id, version: version * 101 + Int64(workCapacityPercent)) }
}

extension WorkCapacityChange {
    /// Entries never change once recorded.
    var etag: String { ETag.make(id: absenceID, version: Int64(effectiveFrom.dayNumber)) }
}

extension Components.Schemas.Absence {
    init(_ absence: Absence) {
        self.init(
            id: absence.id.lowercasedString, href: Href.absence(absence.id), employeeId: absence.employeeID.lowercasedString,
            kind: Components.Schemas.AbsenceKind(rawValue: absence.kind.rawValue)!, startsOn: absence.period.startsOn.description,
            expectedEndOn: absence.period.expectedEndOn?.description, endedOn: absence.period.endedOn?.description,
            workCapacityPercent: Int32(absence.workCapacityPercent), trajectoryId: absence.trajectoryID?.lowercasedString,
            createdAt: absence.createdAt, updatedAt: absence.updatedAt)
    }
}

extension Components.Schemas.WorkCapacityChange {
    init(_ change: WorkCapacityChange) {
        self.init(
            href: Href.workCapacityChange(change.absenceID, change.effectiveFrom), absenceId: change.absenceID.lowercasedString,
            effectiveFrom: change.effectiveFrom.description, percent: Int32(change.percent),
            recordedBy: change.recordedBy?.lowercasedString, recordedAt: change.recordedAt)
    }
}
