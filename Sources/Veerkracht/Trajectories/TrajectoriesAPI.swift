import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import VeerkrachtAPI

// The trajectory operations: map API types to domain values, pass through the case gate
// (`withCase`), call the store, write the timeline.

extension VeerkrachtAPIService {
    var trajectories: TrajectoryStore { TrajectoryStore() }

    // MARK: - Opening and reading

    func openTrajectory(_ input: Operations.OpenTrajectory.Input) async throws -> Operations.OpenTrajectory.Output {
        let principal = try Principal.required()
        guard principal.has(.officer) else { throw Problem.missingPermission }
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let employeeID = Input.uuid(body.employeeId, name: "employeeId", in: .body, issues: &issues)
        let absenceID = body.absenceId.flatMap { Input.uuid($0, name: "absenceId", in: .body, issues: &issues) }
        let officerID = body.officerId.map { Input.uuid($0, name: "officerId", in: .body, issues: &issues) } ?? principal.userID
        let physicianID = body.physicianId.flatMap { Input.uuid($0, name: "physicianId", in: .body, issues: &issues) }
        let targetReturnOn = body.targetReturnOn.flatMap { Input.date($0, name: "targetReturnOn", issues: &issues) }
        try Input.check(issues)
        guard let employeeID, let officerID else { throw Problem.badRequest(issues) }
        let now = now()

        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "openTrajectory", request: body, on: connection) {
                // References are checked in the transaction; any miss is a 400 and nothing is written.
                var issues: [InputIssue] = []
                let employee = try await trajectories.employeeEntity(employeeID, on: connection)
                guard let employee, AccessPolicy.isInScope(principal, entity: employee.entityID) else {
                    throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "employeeId", detail: "No such employee in your entities"))
                }
                if !employee.active { issues.append(InputIssue(in: .body, name: "employeeId", detail: "The employee is no longer active")) }
                var absenceStart: CalendarDate?
                if let absenceID {
                    absenceStart = try await trajectories.absenceStart(absenceID, of: employeeID, on: connection)
                    if absenceStart == nil {
                        issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "absenceId", detail: "No such absence of this employee"))
                    }
                }
                if !(try await trajectories.userCanServe(officerID, as: .officer, entity: employee.entityID, on: connection)) {
                    issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "officerId", detail: "No active officer of the employee's entity with this id"))
                }
                if let physicianID, !(try await trajectories.activeUser(physicianID, hasRole: .physician, on: connection)) {
                    issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "physicianId", detail: "No active physician with this id"))
                }
                if let templateID = body.templateId, !(try await trajectories.templateExists(templateID, on: connection)) {
                    issues.append(InputIssue(.referencedResourceNotFound, in: .body, name: "templateId", detail: "No process template with this id"))
                }
                try Input.check(issues)

                let today = CalendarDate.today(at: now)
                let trajectory = Trajectory(
                    id: UUID.random(), reference: try await trajectories.nextReference(year: today.year, on: connection),
                    employeeID: employeeID, entityID: employee.entityID, absenceID: absenceID, officerID: officerID,
                    physicianID: physicianID, goal: body.goal.map(TrajectoryGoal.init) ?? .undetermined, templateID: body.templateId,
                    targetReturnOn: targetReturnOn, openedAt: now,
                    consent: TrajectoryConsent(
                        visibleToHRForMobility: body.consent?.visibleToHrForMobility ?? false,
                        contactByExperienceExpert: body.consent?.contactByExperienceExpert ?? false))
                do {
                    try await trajectories.insert(trajectory, on: connection)
                } catch let error as PostgresError where error.constraint == "trajectories_one_open_per_employee" {
                    throw Problem.conflict("This employee already has an open trajectory")
                }
                try timeline.append(
                    .opened, trajectory: trajectory.id, actor: principal.userID,
                    payload: TimelinePayload.Opened(reference: trajectory.reference.description, officerId: officerID.lowercasedString, goal: trajectory.goal.rawValue),
                    on: connection)
                try auditTrail.append(AuditEntry(principal, .create, .trajectory, id: trajectory.id, trajectory: trajectory.id), on: connection)
                if let templateID = trajectory.templateID {
                    try await deadlines.createDeadlines(
                        trajectoryID: trajectory.id, templateID: templateID, absenceStart: absenceStart, openedOn: today,
                        actor: principal.userID, on: connection)
                }
                try await contactDue.refresh(trajectoryID: trajectory.id, at: now, on: connection)
                guard let record = try await trajectories.record(id: trajectory.id, on: connection) else { throw Problem.notFound }
                return Created(Components.Schemas.Trajectory(record), href: Href.trajectory(trajectory.id),
                    etag: ETag.make(id: trajectory.id, version: record.trajectory.version))
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getTrajectory(_ input: Operations.GetTrajectory.Input) async throws -> Operations.GetTrajectory.Output {
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        // One statement: the scope check is part of the read.
        let record = try await readCase(id, audit: .read, .trajectory) { scope, connection in
            try await trajectories.record(id: id, in: scope, on: connection)
        }
        let etag = ETag.make(id: id, version: record.trajectory.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(record))))
    }

    func listTrajectories(_ input: Operations.ListTrajectories.Input) async throws -> Operations.ListTrajectories.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        var filter = TrajectoryStore.Filter()
        filter.status = input.query.status.map(TrajectoryStatus.init)
        filter.goal = input.query.goal.map(TrajectoryGoal.init)
        filter.blocked = input.query.blocked
        filter.officerID = input.query.officer.flatMap { $0 == "me" ? principal.userID : Input.uuid($0, name: "officer", in: .query, issues: &issues) }
        filter.entityID = input.query.entity.flatMap { Input.uuid($0, name: "entity", in: .query, issues: &issues) }
        filter.employeeID = input.query.employee.flatMap { Input.uuid($0, name: "employee", in: .query, issues: &issues) }
        let openedFrom = input.query.openedFrom.flatMap { Input.date($0, name: "openedFrom", in: .query, issues: &issues) }
        let openedTo = input.query.openedTo.flatMap { Input.date($0, name: "openedTo", in: .query, issues: &issues) }
        if let openedFrom, let openedTo, openedTo < openedFrom {
            issues.append(InputIssue(.invalidInput, in: .query, name: "openedTo", detail: "openedTo is before openedFrom"))
        }
        try Input.check(issues)
        filter.openedFrom = openedFrom?.start()
        filter.openedBefore = openedTo?.adding(days: 1).start()

        let scope = AccessPolicy.caseScope(principal, .read)
        let (records, next) = try await database.withTransaction { connection in
            let page = try await trajectories.list(scope: scope, filter: filter, page: page, on: connection)
            try auditTrail.append(
                page.records.map { AuditEntry(principal, .list, .trajectory, id: $0.trajectory.id, trajectory: $0.trajectory.id) }, on: connection)
            return page
        }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        for (name, value) in [
            ("status", input.query.status?.rawValue), ("officer", input.query.officer), ("entity", input.query.entity),
            ("employee", input.query.employee), ("goal", input.query.goal?.rawValue), ("blocked", input.query.blocked.map(String.init)),
            ("openedFrom", input.query.openedFrom), ("openedTo", input.query.openedTo),
        ] {
            if let value { query.append((name, value)) }
        }
        return .ok(.init(body: .json(.init(
            items: records.map(Components.Schemas.Trajectory.init), next: nextPageLink(path: "/v1/trajectories", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    // MARK: - Changing

    func updateTrajectory(_ input: Operations.UpdateTrajectory.Input) async throws -> Operations.UpdateTrajectory.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let patch: Components.Schemas.TrajectoryPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let nulls = MergePatch.nullKeys
        var issues: [InputIssue] = []
        for key in nulls.subtracting(["targetReturnOn", "physicianId", "blocked"]).sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        let targetReturnOn = patch.targetReturnOn.flatMap { Input.date($0, name: "targetReturnOn", issues: &issues) }
        let physicianID = patch.physicianId.flatMap { Input.uuid($0, name: "physicianId", in: .body, issues: &issues) }
        var blockReason: String?
        switch patch.blocked {
        case .TrajectoryBlock(let block):
            blockReason = block.reason
        case .case2:
            // The generated type keeps whatever else was sent here (a null is a removal, seen in `nulls`).
            issues.append(InputIssue(in: .body, name: "blocked", detail: "An object with a reason, or null to lift the block"))
        case nil:
            break
        }
        let now = now()
        if let blockReason {
            // The flag's own rule (said, at most its length), checked before anything is read.
            do throws(TrajectoryRuleError) { _ = try BlockedFlag(reason: blockReason, since: now) } catch {
                issues.append(InputIssue(in: .body, name: "blocked.reason", detail: error.description))
            }
        }
        try Input.check(issues)

        let record = try await withCase(id, .write, audit: .update, .trajectory) { facts, connection in
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: id, version: facts.version))
            guard var trajectory = try await trajectories.record(id: id, on: connection)?.trajectory else { throw Problem.notFound }
            guard !trajectory.isReadOnly else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            var changed: [String] = []
            if let goal = patch.goal.map(TrajectoryGoal.init), goal != trajectory.goal {
                trajectory.goal = goal
                changed.append("goal")
            }
            if nulls.contains("targetReturnOn") || targetReturnOn != nil, targetReturnOn != trajectory.targetReturnOn {
                trajectory.targetReturnOn = targetReturnOn
                changed.append("targetReturnOn")
            }
            if nulls.contains("physicianId") || physicianID != nil, physicianID != trajectory.physicianID {
                if let physicianID, !(try await trajectories.activeUser(physicianID, hasRole: .physician, on: connection)) {
                    throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "physicianId", detail: "No active physician with this id"))
                }
                trajectory.physicianID = physicianID
                changed.append("physicianId")
            }
            if let consent = patch.consent {
                let updated = TrajectoryConsent(
                    visibleToHRForMobility: consent.visibleToHrForMobility ?? trajectory.consent.visibleToHRForMobility,
                    contactByExperienceExpert: consent.contactByExperienceExpert ?? trajectory.consent.contactByExperienceExpert)
                if updated != trajectory.consent {
                    trajectory.consent = updated
                    changed.append("consent")
                }
            }
            if let blockReason {
                try trajectory.block(reason: blockReason, at: now)
                try timeline.append(.blocked, trajectory: id, actor: principal.userID, payload: ["reason": blockReason], on: connection)
            } else if nulls.contains("blocked"), try trajectory.unblock() != nil {
                try timeline.append(.unblocked, trajectory: id, actor: principal.userID, payload: [String: String](), on: connection)
            }
            if !changed.isEmpty {
                try timeline.append(.updated, trajectory: id, actor: principal.userID, payload: ["changed": changed], on: connection)
            }
            return try await save(trajectory, expectedVersion: facts.version, on: connection)
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: record.trajectory.version)), body: .json(.init(record))))
    }

    func changeTrajectoryStatus(_ input: Operations.ChangeTrajectoryStatus.Input) async throws -> Operations.ChangeTrajectoryStatus.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let target = TrajectoryStatus(body.status)
        let outcome = body.outcome.map(TrajectoryOutcome.init)
        let now = now()

        let record = try await withCase(id, .write, audit: .update, .trajectory) { facts, connection in
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: id, version: facts.version))
            guard var trajectory = try await trajectories.record(id: id, on: connection)?.trajectory else { throw Problem.notFound }
            if trajectory.status == .closed, target == .active, trajectory.officerID != principal.userID {
                throw Problem(.missingPermission, detail: "Only the trajectory's own officer may reopen it")
            }
            let change: TrajectoryStatusChange
            do throws(TrajectoryTransitionError) {
                change = try trajectory.transition(to: target, outcome: outcome, reason: body.reason, at: now)
            } catch {
                throw Self.problem(for: error)
            }
            try timeline.append(
                .statusChanged, trajectory: id, actor: principal.userID,
                payload: TimelinePayload.StatusChanged(from: change.from.rawValue, to: change.to.rawValue, outcome: change.outcome?.rawValue, reason: change.reason),
                on: connection)
            let saved = try await save(trajectory, expectedVersion: facts.version, on: connection)
            guard change.kind == .close || change.kind == .reopen else { return saved }
            // A closed case is off the work list; a reopened one is back on it.
            try await contactDue.refresh(trajectoryID: id, at: now, on: connection)
            return try await trajectories.record(id: id, on: connection) ?? saved
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: record.trajectory.version)), body: .json(.init(record))))
    }

    func reassignTrajectory(_ input: Operations.ReassignTrajectory.Input) async throws -> Operations.ReassignTrajectory.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let officerID = Input.uuid(body.officerId, name: "officerId", in: .body, issues: &issues)
        let note = body.handoverNote?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let note, note.characterCount > 2000 { issues.append(InputIssue(in: .body, name: "handoverNote", detail: "At most 2000 characters")) }
        try Input.check(issues)
        guard let officerID else { throw Problem.badRequest(issues) }

        let record = try await withCase(id, .write, audit: .update, .trajectory) { facts, connection in
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: id, version: facts.version))
            guard var trajectory = try await trajectories.record(id: id, on: connection)?.trajectory else { throw Problem.notFound }
            guard !trajectory.isReadOnly else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            guard officerID != trajectory.officerID else {
                throw Problem.conflict("This officer is already responsible for the trajectory")
            }
            guard try await trajectories.userCanServe(officerID, as: .officer, entity: trajectory.entityID, on: connection) else {
                throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "officerId", detail: "No active officer of the trajectory's entity with this id"))
            }
            let previous = trajectory.officerID
            trajectory.officerID = officerID
            try timeline.append(
                .officerReassigned, trajectory: id, actor: principal.userID,
                payload: TimelinePayload.Reassigned(fromOfficerId: previous.lowercasedString, toOfficerId: officerID.lowercasedString, handoverNote: note?.isEmpty == false ? note : nil),
                on: connection)
            return try await save(trajectory, expectedVersion: facts.version, on: connection)
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: id, version: record.trajectory.version)), body: .json(.init(record))))
    }

    /// Writes a changed trajectory read under `withCase(.write)`, and reads it back as the API shows it.
    private func save(_ trajectory: Trajectory, expectedVersion: Int64, on connection: PostgresConnection) async throws -> TrajectoryRecord {
        guard let record = try await trajectories.save(trajectory, expectedVersion: expectedVersion, on: connection) else {
            throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
        }
        return record
    }

    static func problem(for error: TrajectoryTransitionError) -> Problem {
        switch error {
        case .illegalTransition:
            Problem(.illegalTransition, detail: error.description)
        case .outcomeRequired, .outcomeNotAllowed:
            Problem.badRequest(InputIssue(.invalidInput, in: .body, name: "outcome", detail: error.description))
        case .reasonRequired, .reasonTooLong:
            Problem.badRequest(InputIssue(.invalidInput, in: .body, name: "reason", detail: error.description))
        }
    }

    // MARK: - Timeline

    func getTrajectoryTimeline(_ input: Operations.GetTrajectoryTimeline.Input) async throws -> Operations.GetTrajectoryTimeline.Output {
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (events, next) = try await withCase(id, .read, audit: .read, .timeline) { _, connection in
            try await trajectories.timeline(trajectoryID: id, page: page, on: connection)
        }
        let items = try events.map { event in
            Components.Schemas.TimelineEvent(
                id: event.id, _type: event._typeForAPI, actorId: event.actorID?.lowercasedString, occurredAt: event.occurredAt,
                payload: try APICoding.decoder.decode(Components.Schemas.TimelineEvent.PayloadPayload.self, from: Data(event.payload.utf8)))
        }
        return .ok(.init(body: .json(.init(
            items: items, next: nextPageLink(path: Href.trajectory(id) + "/timeline", query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    // MARK: - Action plan

    func listTrajectoryActions(_ input: Operations.ListTrajectoryActions.Input) async throws -> Operations.ListTrajectoryActions.Output {
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (actions, next) = try await withCase(id, .read, audit: .list, .action) { _, connection in
            try await trajectories.actions(trajectoryID: id, page: page, on: connection)
        }
        return .ok(.init(body: .json(.init(
            items: actions.map(Components.Schemas.TrajectoryAction.init),
            next: nextPageLink(path: Href.trajectory(id) + "/actions", query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func addTrajectoryAction(_ input: Operations.AddTrajectoryAction.Input) async throws -> Operations.AddTrajectoryAction.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let title = body.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(1...TrajectoryAction.maximumTitleLength).contains(title.characterCount) {
            issues.append(InputIssue(in: .body, name: "title", detail: "1 to \(TrajectoryAction.maximumTitleLength) characters, not only spaces"))
        }
        if let note = body.note, !(1...TrajectoryAction.maximumNoteLength).contains(note.characterCount) {
            issues.append(InputIssue(in: .body, name: "note", detail: TrajectoryAction.noteLengthRule))
        }
        let owner = TrajectoryAction.Owner(body.owner)
        let ownerUserID = body.ownerUserId.flatMap { Input.uuid($0, name: "ownerUserId", in: .body, issues: &issues) }
        if (owner == .user) != (body.ownerUserId != nil) {
            issues.append(InputIssue(.invalidInput, in: .body, name: "ownerUserId", detail: "Give ownerUserId exactly when the owner is a user"))
        }
        let dueOn = body.dueOn.flatMap { Input.date($0, name: "dueOn", issues: &issues) }
        try Input.check(issues)

        let (stored, _) = try await createInCase(id, .action) { facts, connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "addTrajectoryAction", request: body, on: connection) {
                guard facts.status.isOpen else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
                if let ownerUserID, !(try await identity.userExists(id: ownerUserID, on: connection)) {
                    throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "ownerUserId", detail: "No user with this id"))
                }
                let action = try await trajectories.insertAction(
                    trajectoryID: id, title: title, kind: TrajectoryAction.Kind(body.kind), owner: owner, ownerUserID: ownerUserID,
                    dueOn: dueOn, note: body.note, on: connection)
                try timeline.append(.actionAdded, trajectory: id, actor: principal.userID, payload: ["actionId": action.id.lowercasedString, "title": title], on: connection)
                return Created(Components.Schemas.TrajectoryAction(action), href: Href.action(action.id, of: id),
                    etag: ETag.make(id: action.id, version: action.version))
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getTrajectoryAction(_ input: Operations.GetTrajectoryAction.Input) async throws -> Operations.GetTrajectoryAction.Output {
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let actionID = try Input.uuid(input.path.actionId, name: "actionId", in: .path)
        // One statement with the scope in it; an action that is not there is a denial, audited as one.
        let action = try await readCase(id, audit: .read, .action, resourceID: actionID) { scope, connection in
            try await trajectories.action(id: actionID, trajectoryID: id, in: scope, on: connection)
        }
        let etag = ETag.make(id: action.id, version: action.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(action))))
    }

    func updateTrajectoryAction(_ input: Operations.UpdateTrajectoryAction.Input) async throws -> Operations.UpdateTrajectoryAction.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let actionID = try Input.uuid(input.path.actionId, name: "actionId", in: .path)
        let patch: Components.Schemas.TrajectoryActionPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let nulls = MergePatch.nullKeys
        var issues: [InputIssue] = []
        for key in nulls.subtracting(["dueOn", "doneAt", "note"]).sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        let title = patch.title?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let title, !(1...TrajectoryAction.maximumTitleLength).contains(title.characterCount) {
            issues.append(InputIssue(in: .body, name: "title", detail: "1 to \(TrajectoryAction.maximumTitleLength) characters, not only spaces"))
        }
        if let note = patch.note, !(1...TrajectoryAction.maximumNoteLength).contains(note.characterCount) {
            issues.append(InputIssue(in: .body, name: "note", detail: TrajectoryAction.noteLengthRule))
        }
        let dueOn = patch.dueOn.flatMap { Input.date($0, name: "dueOn", issues: &issues) }
        try Input.check(issues)

        let action = try await withCase(id, .write, audit: .update, .action, resourceID: actionID) { facts, connection in
            guard var action = try await trajectories.action(id: actionID, trajectoryID: id, on: connection) else { throw Problem.notFound }
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: action.id, version: action.version))
            guard facts.status.isOpen else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            if let title { action.title = title }
            if dueOn != nil || nulls.contains("dueOn") { action.dueOn = dueOn }
            if patch.doneAt != nil || nulls.contains("doneAt") { action.doneAt = patch.doneAt }
            if patch.note != nil || nulls.contains("note") { action.note = patch.note }
            guard let saved = try await trajectories.saveAction(action, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            try timeline.append(.actionUpdated, trajectory: id, actor: principal.userID, payload: ["actionId": actionID.lowercasedString], on: connection)
            return saved
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: action.id, version: action.version)), body: .json(.init(action))))
    }
}

/// What the timeline records for the trajectory's own events.
enum TimelinePayload {
    // Ids as strings: JSONEncoder would write a UUID in upper case, unlike the rest of the API.
    struct Opened: Codable, Sendable {
        var reference: String
        var officerId: String
        var goal: String
    }

    struct StatusChanged: Codable, Sendable {
        var from: String
        var to: String
        var outcome: String?
        var reason: String?
    }

    struct Reassigned: Codable, Sendable {
        var fromOfficerId: String
        var toOfficerId: String
        var handoverNote: String?
    }
}

extension Href {
    static func trajectory(_ id: UUID) -> String { "/v1/trajectories/\(id.lowercasedString)" }
    static func action(_ id: UUID, of trajectoryID: UUID) -> String { trajectory(trajectoryID) + "/actions/\(id.lowercasedString)" }
}

extension TrajectoryStore.TimelineEvent {
    /// The type in the API's spelling (`status_changed` → `statusChanged`).
    var _typeForAPI: String { TimelineEventType(sqlValue: type)?.rawValue ?? type }
}

// MARK: - Mapping to the API's types

extension TrajectoryGoal {
    init(_ goal: Components.Schemas.TrajectoryGoal) { self = TrajectoryGoal(rawValue: goal.rawValue)! }
}

extension TrajectoryStatus {
    init(_ status: Components.Schemas.TrajectoryStatus) { self = TrajectoryStatus(rawValue: status.rawValue)! }
}

extension TrajectoryOutcome {
    init(_ outcome: Components.Schemas.TrajectoryOutcome) { self = TrajectoryOutcome(rawValue: outcome.rawValue)! }
}

extension TrajectoryAction.Kind {
    init(_ kind: Components.Schemas.TrajectoryActionKind) { self = TrajectoryAction.Kind(rawValue: kind.rawValue)! }
}

extension TrajectoryAction.Owner {
    init(_ owner: Components.Schemas.TrajectoryActionOwner) { self = TrajectoryAction.Owner(rawValue: owner.rawValue)! }
}

extension Components.Schemas.Trajectory {
    init(_ record: TrajectoryRecord) {
        let trajectory = record.trajectory
        self.init(
            id: trajectory.id.lowercasedString, href: Href.trajectory(trajectory.id), reference: trajectory.reference.description,
            employee: .init(
                id: record.employee.id.lowercasedString, href: Href.employee(record.employee.id),
                personnelNumber: record.employee.personnelNumber, givenName: record.employee.givenName, familyName: record.employee.familyName),
            entityId: trajectory.entityID.lowercasedString, absenceId: trajectory.absenceID?.lowercasedString,
            officerId: trajectory.officerID.lowercasedString, physicianId: trajectory.physicianID?.lowercasedString,
            goal: .init(rawValue: trajectory.goal.rawValue)!, templateId: trajectory.templateID,
            status: .init(rawValue: trajectory.status.rawValue)!,
            blocked: trajectory.blocked.map { .init(reason: $0.reason, since: $0.since) },
            targetReturnOn: trajectory.targetReturnOn?.description, openedAt: trajectory.openedAt, closedAt: trajectory.closedAt,
            outcome: trajectory.outcome.map { .init(rawValue: $0.rawValue)! },
            consent: .init(
                visibleToHrForMobility: trajectory.consent.visibleToHRForMobility,
                contactByExperienceExpert: trajectory.consent.contactByExperienceExpert),
            lastContactAt: record.lastContactAt, contactDueOn: record.contactDueOn?.description,
            createdAt: record.createdAt, updatedAt: record.updatedAt)
    }
}

extension Components.Schemas.TrajectoryAction {
    init(_ action: TrajectoryAction) {
        self.init(
            id: action.id.lowercasedString, href: Href.action(action.id, of: action.trajectoryID),
            trajectoryId: action.trajectoryID.lowercasedString, title: action.title, kind: .init(rawValue: action.kind.rawValue)!,
            owner: .init(rawValue: action.owner.rawValue)!, ownerUserId: action.ownerUserID?.lowercasedString,
            dueOn: action.dueOn?.description, doneAt: action.doneAt, note: action.note, createdAt: action.createdAt,
            updatedAt: action.updatedAt)
    }
}
