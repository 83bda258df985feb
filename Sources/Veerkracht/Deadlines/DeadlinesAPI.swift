import Foundation
import PostgresLibPQ
import VeerkrachtAPI

// Process templates, trigger events and deadlines: map API types to domain values, pass
// through the case gate, call the stores.

extension VeerkrachtAPIService {
    var deadlines: DeadlineStore { DeadlineStore() }
    var processTemplates: ProcessTemplateStore { ProcessTemplateStore() }

    // MARK: - Process templates

    func listProcessTemplates(_ input: Operations.ListProcessTemplates.Input) async throws -> Operations.ListProcessTemplates.Output {
        _ = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let (templates, next) = try await database.withConnection { try await processTemplates.templates(page: page, on: $0) }
        return .ok(.init(
            headers: .init(contentLanguage: language?.rawValue),
            body: .json(.init(
                items: templates.map { Components.Schemas.ProcessTemplate($0, language: language) },
                next: nextPageLink(path: "/v1/processTemplates", query: [("pageSize", String(page.size))], cursor: next),
                pageSize: Int32(page.size)))))
    }

    func getProcessTemplate(_ input: Operations.GetProcessTemplate.Input) async throws -> Operations.GetProcessTemplate.Output {
        _ = try Principal.required()
        let id = input.path.templateId
        guard id.utf8.count <= 64, id.wholeMatch(of: /[a-z0-9]+(-[a-z0-9]+)*/) != nil else {
            throw Problem.badRequest(InputIssue(in: .path, name: "templateId", detail: "Lower-case words joined by hyphens", value: String(id.prefix(64))))
        }
        guard let stored = try await database.withConnection({ try await processTemplates.template(id: id, on: $0) }) else {
            throw Problem.notFound
        }
        let language = Language.preferred(in: input.headers.acceptLanguage)
        // The representation changes with the file and with the language chosen.
        let version = stored.checksum.prefix(8).map { String(format: "%02x", $0) }.joined()
        let etag = "\"\(version)-\(language?.rawValue ?? "all")\""
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(
            headers: .init(eTag: etag, contentLanguage: language?.rawValue),
            body: .json(.init(stored, language: language))))
    }

    // MARK: - Trigger events

    func listTriggerEvents(_ input: Operations.ListTriggerEvents.Input) async throws -> Operations.ListTriggerEvents.Output {
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (events, next) = try await withCase(trajectoryID, .read, audit: .list, .triggerEvent) { _, connection in
            try await deadlines.triggerEvents(trajectoryID: trajectoryID, page: page, on: connection)
        }
        return .ok(.init(body: .json(.init(
            items: events.map(Components.Schemas.TriggerEvent.init),
            next: nextPageLink(path: Href.triggerEvents(of: trajectoryID), query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func recordTriggerEvent(_ input: Operations.RecordTriggerEvent.Input) async throws -> Operations.RecordTriggerEvent.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let today = CalendarDate.today(at: now())
        var issues: [InputIssue] = []
        let event = TriggerEvent(rawValue: body.event)
        if event == nil || event?.isStorable == false {
            issues.append(InputIssue(in: .body, name: "event", detail: "An event code in lowerCamelCase letters, such as requestReceived", value: String(body.event.prefix(64))))
        } else if event == .absenceStart || event == .trajectoryOpened {
            issues.append(InputIssue(
                .invalidInput, in: .body, name: "event",
                detail: "This date comes from the trajectory's absence or its opening; change it there", value: body.event))
        }
        let occurredOn = Self.date(body.occurredOn, name: "occurredOn", notAfter: today, issues: &issues)
        try Input.check(issues)
        guard let event, let occurredOn else { throw Problem.badRequest(issues) }

        let (stored, _) = try await createInCase(trajectoryID, .triggerEvent) { facts, connection in
            // The trajectory is part of the operation: one key cannot record on two trajectories.
            try await idempotency.run(
                key: input.headers.idempotencyKey, userID: principal.userID, operation: "recordTriggerEvent \(trajectoryID)",
                request: body, on: connection
            ) {
                guard facts.status != .closed else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
                guard let template = try await deadlines.template(ofTrajectory: trajectoryID, on: connection) else {
                    throw Problem.conflict("This trajectory follows no process template, so it has no deadlines")
                }
                let recordable = template.recognisedEvents.subtracting([.absenceStart, .trajectoryOpened])
                guard recordable.contains(event) else {
                    throw Problem.badRequest(InputIssue(
                        .invalidInput, in: .body, name: "event",
                        detail: "The template \(template.id) does not use this event; it uses \(recordable.sorted().map(\.rawValue).joined(separator: ", "))",
                        value: body.event))
                }
                let recording = try await deadlines.record(
                    event, occurredOn: occurredOn, trajectoryID: trajectoryID, template: template, actor: principal.userID,
                    today: today, on: connection)
                // Stored with every language, so that a replay answers in the language asked then.
                let resource = Components.Schemas.TriggerEventRecorded(
                    value1: .init(recording.event),
                    value2: .init(
                        previousOccurredOn: recording.previousOccurredOn?.description,
                        deadlines: recording.affected.map { Components.Schemas.Deadline($0, template: template, language: nil) }))
                return Created(
                    resource, status: recording.previousOccurredOn == nil ? 201 : 200,
                    href: Href.triggerEvent(event, of: trajectoryID), etag: Self.etag(recording.event))
            }
        }
        let language = Language.preferred(in: input.headers.acceptLanguage)
        var resource = stored.resource
        resource.value2.deadlines = resource.value2.deadlines.map { $0.restricted(to: language) }
        if stored.status == 201 {
            return .created(.init(
                headers: .init(location: stored.location ?? "", eTag: stored.etag ?? "", contentLanguage: language?.rawValue),
                body: .json(resource)))
        }
        return .ok(.init(headers: .init(eTag: stored.etag ?? "", contentLanguage: language?.rawValue), body: .json(resource)))
    }

    func getTriggerEvent(_ input: Operations.GetTriggerEvent.Input) async throws -> Operations.GetTriggerEvent.Output {
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard let event = TriggerEvent(rawValue: input.path.triggerEventCode), event.isStorable else {
            throw Problem.badRequest(InputIssue(
                in: .path, name: "triggerEventCode", detail: "An event code in lowerCamelCase letters",
                value: String(input.path.triggerEventCode.prefix(64))))
        }
        let recorded = try await withCase(trajectoryID, .read, audit: .read, .triggerEvent) { _, connection in
            guard let recorded = try await deadlines.triggerEvent(event, trajectoryID: trajectoryID, on: connection) else {
                throw Problem.notFound
            }
            return recorded
        }
        let etag = Self.etag(recorded)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(recorded))))
    }

    // MARK: - Deadlines

    func listTrajectoryDeadlines(_ input: Operations.ListTrajectoryDeadlines.Input) async throws -> Operations.ListTrajectoryDeadlines.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let statuses = Array(Set((input.query.status ?? []).compactMap { DeadlineStatus(rawValue: $0.rawValue) }))
        try Input.check(issues)
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let (items, next) = try await withCase(trajectoryID, .read, audit: .list, .deadline) { _, connection in
            let (rows, next) = try await deadlines.deadlines(trajectoryID: trajectoryID, statuses: statuses, page: page, on: connection)
            // Each deadline shown is a read of it, besides the gate's entry for the listing.
            try auditTrail.append(rows.map { AuditEntry(principal, .list, .deadline, id: $0.id, trajectory: trajectoryID) }, on: connection)
            let templates = try await processTemplates.templates(ids: rows.map(\.templateID), on: connection)
            return (rows.map { Components.Schemas.Deadline($0, template: templates[$0.templateID], language: language) }, next)
        }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        query += statuses.map(\.rawValue).sorted().map { ("status", $0) }
        return .ok(.init(
            headers: .init(contentLanguage: language?.rawValue),
            body: .json(.init(
                items: items, next: nextPageLink(path: Href.deadlines(of: trajectoryID), query: query, cursor: next),
                pageSize: Int32(page.size)))))
    }

    func getDeadline(_ input: Operations.GetDeadline.Input) async throws -> Operations.GetDeadline.Output {
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let deadlineID = try Input.uuid(input.path.deadlineId, name: "deadlineId", in: .path)
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let (deadline, template) = try await withCase(trajectoryID, .read, audit: .read, .deadline, resourceID: deadlineID) { _, connection in
            guard let deadline = try await deadlines.deadline(deadlineID, trajectoryID: trajectoryID, on: connection) else {
                throw Problem.notFound
            }
            return (deadline, try await processTemplates.template(id: deadline.templateID, on: connection)?.template)
        }
        let etag = ETag.make(id: deadline.id, version: deadline.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(
            headers: .init(eTag: etag, contentLanguage: language?.rawValue),
            body: .json(.init(deadline, template: template, language: language))))
    }

    func updateDeadline(_ input: Operations.UpdateDeadline.Input) async throws -> Operations.UpdateDeadline.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let deadlineID = try Input.uuid(input.path.deadlineId, name: "deadlineId", in: .path)
        let patch: Components.Schemas.DeadlinePatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let settlement = try Self.settlement(patch, today: CalendarDate.today(at: now()))
        let language = Language.preferred(in: input.headers.acceptLanguage)

        let (settled, template) = try await withCase(trajectoryID, .write, audit: .update, .deadline, resourceID: deadlineID) { facts, connection in
            guard let current = try await deadlines.deadline(deadlineID, trajectoryID: trajectoryID, on: connection) else {
                throw Problem.notFound
            }
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: current.id, version: current.version))
            guard facts.status != .closed else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            guard current.status.canBeSettled(as: settlement.status) else {
                throw Problem(.illegalTransition, detail: "This deadline is \(current.status.rawValue) already; that is final")
            }
            guard let settled = try await deadlines.settle(
                current, version: current.version, as: settlement, actor: principal.userID, on: connection)
            else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            return (settled, try await processTemplates.template(id: settled.templateID, on: connection)?.template)
        }
        return .ok(.init(
            headers: .init(eTag: ETag.make(id: settled.id, version: settled.version), contentLanguage: language?.rawValue),
            body: .json(.init(settled, template: template, language: language))))
    }

    func listUpcomingDeadlines(_ input: Operations.ListUpcomingDeadlines.Input) async throws -> Operations.ListUpcomingDeadlines.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let officerText = input.query.officer ?? "me"
        let officer = officerText == "me" ? principal.userID : Input.uuid(officerText, name: "officer", in: .query, issues: &issues)
        let horizonText = input.query.horizon ?? "30d"
        let horizon = DeadlineHorizon(horizonText)
        if horizon == nil {
            issues.append(InputIssue(
                in: .query, name: "horizon", detail: "Days or weeks such as 30d or 4w, from 0 to 366 days", value: String(horizonText.prefix(16))))
        }
        try Input.check(issues)
        guard let officer, let horizon else { throw Problem.badRequest(issues) }

        let today = CalendarDate.today(at: now())
        let language = Language.preferred(in: input.headers.acceptLanguage)
        let scope = AccessPolicy.caseScope(principal, .read)
        let (rows, next, templates) = try await database.withConnection { connection in
            let (rows, next) = try await deadlines.upcoming(
                officer: officer, lastDay: horizon.lastDay(from: today), scope: scope.predicate("t"), page: page,
                audit: AuditEntry(principal, .list, .deadline, id: nil, trajectory: nil), on: connection)
            return (rows, next, try await processTemplates.templates(ids: rows.map(\.deadline.templateID), on: connection))
        }
        return .ok(.init(
            headers: .init(contentLanguage: language?.rawValue),
            body: .json(.init(
                items: rows.map { Components.Schemas.UpcomingDeadline($0, template: templates[$0.deadline.templateID], today: today, language: language) },
                next: nextPageLink(
                    path: "/v1/deadlines/upcoming", query: [("pageSize", String(page.size)), ("officer", officerText), ("horizon", horizonText)],
                    cursor: next),
                pageSize: Int32(page.size)))))
    }

    // MARK: - Input

    /// A `yyyy-MM-dd` of the body that is not after `notAfter`.
    private static func date(_ text: String, name: String, notAfter today: CalendarDate, issues: inout [InputIssue]) -> CalendarDate? {
        guard let date = CalendarDate(text) else {
            issues.append(InputIssue(in: .body, name: name, detail: "A date as yyyy-MM-dd", value: String(text.prefix(32))))
            return nil
        }
        guard date <= today else {
            issues.append(InputIssue(.invalidInput, in: .body, name: name, detail: "This day has not come yet (Europe/Brussels)", value: text))
            return nil
        }
        return date
    }

    /// Every problem with a deadline patch at once, or the settlement it asks for.
    private static func settlement(_ patch: Components.Schemas.DeadlinePatch, today: CalendarDate) throws(Problem) -> DeadlineSettlement {
        var issues: [InputIssue] = []
        for key in MergePatch.nullKeys.sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; leave it out"))
        }
        let note = DeadlineSettlement.normalisedNote(patch.note)
        if patch.note != nil, note == nil {
            issues.append(InputIssue(in: .body, name: "note", detail: "A note must say something"))
        } else if let note, note.characterCount > DeadlineSettlement.maximumNoteLength {
            issues.append(InputIssue(in: .body, name: "note", detail: "At most \(DeadlineSettlement.maximumNoteLength) characters"))
        }
        var metOn: CalendarDate?
        switch patch.status {
        case .met:
            if let text = patch.metOn {
                metOn = date(text, name: "metOn", notAfter: today, issues: &issues)
            } else {
                issues.append(InputIssue(in: .body, name: "metOn", detail: "Say on which day it was met"))
            }
        case .waived:
            if patch.metOn != nil {
                issues.append(InputIssue(.invalidInput, in: .body, name: "metOn", detail: "A waived deadline was not met; leave metOn out"))
            }
            if patch.note == nil { issues.append(InputIssue(in: .body, name: "note", detail: "Say why it is waived")) }
        }
        try Input.check(issues)
        switch patch.status {
        case .met:
            guard let metOn else { throw Problem.badRequest(issues) }
            return .met(on: metOn, note: note)
        case .waived:
            guard let note else { throw Problem.badRequest(issues) }
            return .waived(note: note)
        }
    }

    /// A trigger event has no version column; the time it was (last) recorded is one.
    private static func etag(_ event: RecordedTriggerEvent) -> String {
        ETag.make(id: event.trajectoryID, version: Int64((event.recordedAt.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}

/// The paths of this feature's resources, for `href` and `Location`.
extension Href {
    static func processTemplate(_ id: String) -> String { "/v1/processTemplates/\(id)" }
    static func triggerEvents(of trajectoryID: UUID) -> String { trajectory(trajectoryID) + "/triggerEvents" }
    static func triggerEvent(_ event: TriggerEvent, of trajectoryID: UUID) -> String { triggerEvents(of: trajectoryID) + "/\(event.rawValue)" }
    static func deadlines(of trajectoryID: UUID) -> String { trajectory(trajectoryID) + "/deadlines" }
    static func deadline(_ id: UUID, of trajectoryID: UUID) -> String { deadlines(of: trajectoryID) + "/\(id.lowercasedString)" }
}

// MARK: - Domain → API

extension Components.Schemas.LocalizedText {
    init(_ text: LocalizedText, language: Language?) {
        self.init(nl: text.nl, fr: text.fr, de: text.de, en: text.en)
        self = restricted(to: language)
    }

    /// Only `language` (all four when nil).
    func restricted(to language: Language?) -> Self {
        guard let language else { return self }
        return Self(
            nl: language == .nl ? nl : nil, fr: language == .fr ? fr : nil, de: language == .de ? de : nil,
            en: language == .en ? en : nil)
    }
}

extension Components.Schemas.ProcessTemplate {
    init(_ stored: StoredProcessTemplate, language: Language?) {
        let template = stored.template
        self.init(
            id: template.id, href: Href.processTemplate(template.id), name: .init(template.name, language: language),
            jurisdiction: template.jurisdiction, source: .init(template.source),
            contactPolicy: .init(
                firstContactWithinDays: Int32(template.contactPolicy.firstContactWithinDays),
                thenEveryDays: Int32(template.contactPolicy.thenEveryDays),
                longestEveryDays: template.contactPolicy.longestEveryDays.map(Int32.init), note: template.contactPolicy.note),
            milestones: template.milestones.map { milestone in
                .init(
                    code: milestone.code, label: .init(milestone.label, language: language), trigger: milestone.trigger.rawValue,
                    offset: .init(amount: Int32(milestone.offset.amount), unit: .init(rawValue: milestone.offset.unit.rawValue) ?? .days),
                    responsible: .init(milestone.responsible), source: .init(milestone.source), parameter: milestone.parameter,
                    note: milestone.note, metBy: milestone.metBy?.rawValue)
            },
            note: template.note, loadedAt: stored.loadedAt)
    }
}

extension Components.Schemas.ProcessTemplateSource {
    init(_ source: LegalSource) {
        self.init(law: source.law, article: source.article, url: source.url)
    }
}

extension Components.Schemas.MilestoneResponsible {
    init(_ responsible: MilestoneResponsible) {
        // The API lists the same codes; an unknown one cannot reach here (templates are checked).
        self = .init(rawValue: responsible.rawValue) ?? .employer
    }
}

extension Components.Schemas.TriggerEvent {
    init(_ event: RecordedTriggerEvent) {
        self.init(
            event: event.event.rawValue, href: Href.triggerEvent(event.event, of: event.trajectoryID),
            trajectoryId: event.trajectoryID.lowercasedString, occurredOn: event.occurredOn.description,
            recordedBy: event.recordedBy?.lowercasedString, recordedAt: event.recordedAt)
    }
}

extension Components.Schemas.Deadline {
    /// `template` nil (removed, or the milestone dropped from it): the deadline without its label.
    init(_ deadline: DeadlineRecord, template: ProcessTemplate?, language: Language?) {
        let milestone = template?.milestone(deadline.milestoneCode)
        self.init(
            id: deadline.id.lowercasedString, href: Href.deadline(deadline.id, of: deadline.trajectoryID),
            trajectoryId: deadline.trajectoryID.lowercasedString, templateId: deadline.templateID,
            milestoneCode: deadline.milestoneCode, label: milestone.map { .init($0.label, language: language) },
            responsible: milestone.map { .init($0.responsible) }, trigger: milestone?.trigger.rawValue,
            parameter: milestone?.parameter, dueOn: deadline.dueOn.description,
            status: .init(rawValue: deadline.status.rawValue) ?? .pending, metOn: deadline.metOn?.description, note: deadline.note,
            resolvedAt: deadline.resolvedAt, resolvedBy: deadline.resolvedBy?.lowercasedString,
            createdAt: deadline.createdAt, updatedAt: deadline.updatedAt)
    }

    func restricted(to language: Language?) -> Self {
        var copy = self
        copy.label = label?.restricted(to: language)
        return copy
    }
}

extension Components.Schemas.UpcomingDeadline {
    init(_ upcoming: UpcomingDeadline, template: ProcessTemplate?, today: CalendarDate, language: Language?) {
        let deadline = upcoming.deadline
        let milestone = template?.milestone(deadline.milestoneCode)
        self.init(
            id: deadline.id.lowercasedString, href: Href.deadline(deadline.id, of: deadline.trajectoryID),
            trajectory: .init(
                id: deadline.trajectoryID.lowercasedString, href: Href.trajectory(deadline.trajectoryID),
                reference: upcoming.trajectoryReference),
            employee: .init(
                id: upcoming.employeeID.lowercasedString, givenName: upcoming.employeeGivenName,
                familyName: upcoming.employeeFamilyName),
            milestoneCode: deadline.milestoneCode, label: milestone.map { .init($0.label, language: language) },
            responsible: milestone.map { .init($0.responsible) }, dueOn: deadline.dueOn.description,
            daysUntilDue: Int32(today.days(until: deadline.dueOn)), status: .init(rawValue: deadline.status.rawValue) ?? .pending)
    }
}
