import Crypto
import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import VeerkrachtAPI

// Contact moments during absence, the staff member's contact preferences and the officer's
// work list. Everything about one trajectory goes through `withCase`; the work list filters
// by the case scope in its one statement.

extension VeerkrachtAPIService {
    var contacts: ContactStore { ContactStore() }
    var contactDue: ContactDueStore { ContactDueStore() }

    // MARK: - Contact moments

    func listContactMoments(_ input: Operations.ListContactMoments.Input) async throws -> Operations.ListContactMoments.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (moments, next) = try await withCase(trajectoryID, .read, audit: .list, .contactMoment) { _, connection in
            let found = try await contacts.moments(trajectoryID: trajectoryID, page: page, on: connection)
            try auditTrail.append(
                found.moments.map { AuditEntry(principal, .list, .contactMoment, id: $0.id, trajectory: trajectoryID) }, on: connection)
            return found
        }
        return .ok(.init(body: .json(.init(
            items: moments.map(Components.Schemas.ContactMoment.init),
            next: nextPageLink(path: Href.contactMoments(of: trajectoryID), query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createContactMoment(_ input: Operations.CreateContactMoment.Input) async throws -> Operations.CreateContactMoment.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let now = now()
        var issues: [InputIssue] = []
        if ContactMoment.isInFuture(body.occurredAt, now: now) {
            issues.append(InputIssue(.invalidInput, in: .body, name: "occurredAt", detail: "A contact is recorded once it happened; this time is in the future"))
        }
        if !ContactMoment.isValidSummary(body.summary) { issues.append(Self.summaryIssue) }
        let wellbeing = body.wellbeing.flatMap { Self.wellbeing($0, issues: &issues) }
        let nextContactOn = body.nextContactOn.flatMap { Self.date($0, name: "nextContactOn", issues: &issues) }
        if let nextContactOn, !ContactMoment.isValidAgreedNextContact(nextContactOn, after: CalendarDate.today(at: body.occurredAt)) {
            issues.append(Self.agreedNextContactIssue)
        }
        let inputIssues = issues
        let id = IdempotencyStore.resourceID(key: input.headers.idempotencyKey, userID: principal.userID, scope: "contactMoment", trajectoryID)

        let (stored, _) = try await createInCase(trajectoryID, .contactMoment, resourceID: id) { facts, connection in
            try await idempotency.run(
                key: input.headers.idempotencyKey, userID: principal.userID, operation: "createContactMoment \(trajectoryID)",
                request: body, on: connection
            ) {
                // The absence start is only known from the database; every issue is reported together.
                func check(_ situation: ContactSituation?) throws {
                    guard let situation else { throw Problem.notFound }
                    var allIssues = inputIssues
                    if ContactMoment.isBeforeStart(body.occurredAt, start: situation.countsFrom) {
                        allIssues.append(InputIssue(
                            .invalidInput, in: .body, name: "occurredAt",
                            detail: "The contact lies before the absence started (\(situation.countsFrom)); it does not belong to this trajectory"))
                    }
                    try Input.check(allIssues)
                    guard facts.status.isOpen else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
                }
                // Refused input, or a closed case, is refused before anything is written. The
                // usual case inserts and, in the same round trip, reads the situation with the
                // new contact in it: one read that checks the contact and gives the next due
                // date (a refusal there rolls the insert back).
                if !inputIssues.isEmpty || !facts.status.isOpen {
                    try check(try await contactDue.situation(trajectoryID: trajectoryID, on: connection))
                }
                let (inserted, situation) = try await connection.run(
                    contacts.insert(ContactMoment(
                        id: id, trajectoryID: trajectoryID, occurredAt: body.occurredAt, channel: .init(body.channel),
                        initiative: .init(body.initiative), madeBy: .init(body.madeBy), summary: body.summary, wellbeing: wellbeing,
                        nextContactOn: nextContactOn, recordedBy: principal.userID)),
                    contactDue.situation(trajectoryID: trajectoryID))
                guard let moment = inserted else {
                    throw Problem(.idempotencyKeyReused, detail: "This Idempotency-Key was used before, more than a day ago; use a new key")
                }
                try check(situation)
                try timeline.append(
                    .contactRecorded, trajectory: trajectoryID, actor: principal.userID, payload: ContactRecorded(moment), on: connection)
                try contactDue.refresh(trajectoryID: trajectoryID, situation: situation, at: now, on: connection)
                return Created(Components.Schemas.ContactMoment(moment), href: Href.contactMoment(moment.id, of: trajectoryID),
                    etag: ETag.make(id: moment.id, version: moment.version))
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getContactMoment(_ input: Operations.GetContactMoment.Input) async throws -> Operations.GetContactMoment.Output {
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let id = try Input.uuid(input.path.contactMomentId, name: "contactMomentId", in: .path)
        let moment = try await withContactMoment(id, of: trajectoryID, .read, audit: .read) { _, moment, _ in moment }
        let etag = ETag.make(id: moment.id, version: moment.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(moment))))
    }

    func updateContactMoment(_ input: Operations.UpdateContactMoment.Input) async throws -> Operations.UpdateContactMoment.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let id = try Input.uuid(input.path.contactMomentId, name: "contactMomentId", in: .path)
        let patch: Components.Schemas.ContactMomentPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        let removed = MergePatch.nullKeys
        var issues: [InputIssue] = []
        for key in ["channel", "initiative", "madeBy", "summary"] where removed.contains(key) {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        if let summary = patch.summary, !ContactMoment.isValidSummary(summary) { issues.append(Self.summaryIssue) }
        var changes = ContactStore.MomentChanges(
            channel: patch.channel.map(ContactChannel.init), initiative: patch.initiative.map(ContactInitiative.init),
            madeBy: patch.madeBy.map(ContactPerson.init), summary: patch.summary)
        if removed.contains("wellbeing") {
            changes.wellbeing = .some(nil)
        } else if let value = patch.wellbeing, let score = Self.wellbeing(value, issues: &issues) {
            changes.wellbeing = .some(score)
        }
        if removed.contains("nextContactOn") {
            changes.nextContactOn = .some(nil)
        } else if let text = patch.nextContactOn, let date = Self.date(text, name: "nextContactOn", issues: &issues) {
            changes.nextContactOn = .some(date)
        }
        try Input.check(issues)

        let moment = try await withContactMoment(id, of: trajectoryID, .write, audit: .update) { facts, current, connection in
            guard facts.status.isOpen else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: current.id, version: current.version))
            if case .some(.some(let next)) = changes.nextContactOn,
                !ContactMoment.isValidAgreedNextContact(next, after: current.occurredOn())
            {
                throw Problem.badRequest(Self.agreedNextContactIssue)
            }
            guard let updated = try await contacts.updateMoment(id: id, version: current.version, changes, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            try timeline.append(
                .contactUpdated, trajectory: trajectoryID, actor: principal.userID,
                payload: ContactUpdated(updated, changed: Self.changedProperties(changes)), on: connection)
            try await contactDue.refresh(trajectoryID: trajectoryID, at: now(), on: connection)
            return updated
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: moment.id, version: moment.version)), body: .json(.init(moment))))
    }

    /// `withCase` for one contact moment of the trajectory: a moment that is not the
    /// trajectory's answers 404 and is audited as denied, like an out-of-scope trajectory.
    private func withContactMoment<Value: Sendable>(
        _ id: UUID, of trajectoryID: UUID, _ access: AccessPolicy.CaseAccess, audit action: AuditAction,
        _ body: (CaseFacts, ContactMoment, PostgresConnection) async throws -> Value
    ) async throws -> Value {
        do {
            return try await withCase(trajectoryID, access, audit: action, .contactMoment, resourceID: id) { facts, connection in
                guard let moment = try await contacts.moment(id: id, trajectoryID: trajectoryID, on: connection) else { throw ContactMomentNotInCase() }
                return try await body(facts, moment, connection)
            }
        } catch is ContactMomentNotInCase {
            try await auditDenial(try Principal.required(), action, .contactMoment, id: id, trajectory: trajectoryID)
            throw Problem.notFound
        }
    }

    // MARK: - Contact preferences

    func getContactPreferences(_ input: Operations.GetContactPreferences.Input) async throws -> Operations.GetContactPreferences.Output {
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        let stored = try await withCase(trajectoryID, .read, audit: .read, .contactPreferences) { _, connection in
            try await contacts.preferences(trajectoryID: trajectoryID, on: connection)
        }
        let etag = Self.preferencesETag(trajectoryID, stored)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(trajectoryID: trajectoryID, stored))))
    }

    func replaceContactPreferences(
        _ input: Operations.ReplaceContactPreferences.Input
    ) async throws -> Operations.ReplaceContactPreferences.Output {
        let principal = try Principal.required()
        let trajectoryID = try Input.uuid(input.path.trajectoryId, name: "trajectoryId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        let notBefore = body.notBefore.flatMap { Self.date($0, name: "notBefore", issues: &issues) }
        if let everyDays = body.everyDays, !ContactPolicy.allowedDays.contains(Int(everyDays)) {
            issues.append(InputIssue(in: .body, name: "everyDays", detail: "From 1 to 365 days", value: String(everyDays)))
        }
        try Input.check(issues)
        let preferences = ContactPreferences(
            channel: body.channel.map(ContactChannel.init), contactPerson: body.contactPerson.map(ContactPerson.init),
            notBefore: notBefore, preferredEveryDays: body.everyDays.map(Int.init))

        let stored = try await withCase(trajectoryID, .write, audit: .update, .contactPreferences) { facts, connection in
            guard facts.status.isOpen else { throw Problem.conflict(TrajectoryRuleError.closedIsReadOnly.description) }
            let current = try await contacts.preferences(trajectoryID: trajectoryID, on: connection)
            // The first time there is nothing to lose, so If-Match may be left out.
            if current != nil || input.headers.ifMatch != nil {
                try ETag.requireMatch(input.headers.ifMatch, current: Self.preferencesETag(trajectoryID, current))
            }
            let stored = try await contacts.replacePreferences(trajectoryID: trajectoryID, with: preferences, on: connection)
            try timeline.append(
                .contactPreferencesChanged, trajectory: trajectoryID, actor: principal.userID,
                payload: ContactPreferencesChanged(preferences), on: connection)
            try await contactDue.refresh(trajectoryID: trajectoryID, at: now(), on: connection)
            return stored
        }
        return .ok(.init(
            headers: .init(eTag: Self.preferencesETag(trajectoryID, stored)), body: .json(.init(trajectoryID: trajectoryID, stored))))
    }

    /// Preferences never set have version 0, so that a first PUT can name it too.
    private static func preferencesETag(_ trajectoryID: UUID, _ stored: ContactStore.StoredPreferences?) -> String {
        ETag.make(id: trajectoryID, version: stored?.version ?? 0)
    }

    // MARK: - The officer's work list

    func listContactsDue(_ input: Operations.ListContactsDue.Input) async throws -> Operations.ListContactsDue.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let officer = input.query.officer ?? "me"
        let officerID = officer == "me" ? principal.userID : Input.uuid(officer, name: "officer", in: .query, issues: &issues)
        let horizonText = input.query.horizon ?? "0d"
        let horizon = ContactHorizon(horizonText)
        if horizon == nil {
            issues.append(InputIssue(
                in: .query, name: "horizon", detail: "Days or weeks such as 0d, 7d or 2w, at most \(ContactHorizon.longestDays) days",
                value: String(horizonText.prefix(16))))
        }
        guard let officerID, let horizon, issues.isEmpty else { throw Problem.badRequest(issues) }

        // The list holds the cases the caller may work on, which is the write scope: officers
        // of the cases' entities. Physicians read their cases but do not keep this list, so
        // they, like every caller without the officer role, get an empty one.
        let scope = AccessPolicy.caseScope(principal, .write)
        let today = CalendarDate.today(at: now())
        var due: [ContactDueStore.DueTrajectory] = []
        var next: Cursor?
        if !scope.isEmpty {
            (due, next) = try await database.withConnection { connection in
                try await contactDue.dueTrajectories(
                    officerID: officerID, scope: scope, today: today, until: today.adding(days: horizon.days), page: page, on: connection)
            }
            try await auditWriter.append(due.map { AuditEntry(principal, .list, .trajectory, id: $0.trajectoryID, trajectory: $0.trajectoryID) })
        }
        let query = [("officer", officer == "me" ? officer : officerID.lowercasedString), ("horizon", horizon.description),
                     ("pageSize", String(page.size))]
        return .ok(.init(body: .json(.init(
            items: due.map { Components.Schemas.ContactDue($0, today: today) },
            next: nextPageLink(path: "/v1/contacts/due", query: query, cursor: next), pageSize: Int32(page.size)))))
    }

    // MARK: - Input

    private static let summaryIssue = InputIssue(
        in: .body, name: "summary", detail: "1 to \(ContactMoment.maximumSummaryLength) characters, not only spaces; no medical information")

    private static let agreedNextContactIssue = InputIssue(
        .invalidInput, in: .body, name: "nextContactOn",
        detail: "The next contact falls 1 to \(ContactMoment.longestAgreedGapDays) days after the day of this one")

    private static func wellbeing(_ value: Int32, issues: inout [InputIssue]) -> WellbeingScore? {
        guard let score = WellbeingScore(Int(value)) else {
            issues.append(InputIssue(in: .body, name: "wellbeing", detail: "A score from 1 to 5", value: String(value)))
            return nil
        }
        return score
    }

    private static func date(_ text: String, name: String, issues: inout [InputIssue]) -> CalendarDate? {
        guard let date = CalendarDate(text) else {
            issues.append(InputIssue(in: .body, name: name, detail: "A date as yyyy-MM-dd", value: String(text.prefix(40))))
            return nil
        }
        return date
    }

    private static func changedProperties(_ changes: ContactStore.MomentChanges) -> [String] {
        [("channel", changes.channel != nil), ("initiative", changes.initiative != nil), ("madeBy", changes.madeBy != nil),
         ("summary", changes.summary != nil), ("wellbeing", changes.wellbeing != nil),
         ("nextContactOn", changes.nextContactOn != nil)].filter(\.1).map(\.0)
    }
}

/// A contact moment id that names no contact moment of the trajectory at hand.
private struct ContactMomentNotInCase: Error {}

extension IdempotencyStore {
    /// The id a create gives its new resource: with an Idempotency-Key, derived from the key
    /// (a name-based UUID), so that a replay is audited under the id of the resource it
    /// returns; without one, random. `scope` and `parent` keep keys of other operations and
    /// other trajectories apart.
    static func resourceID(key: String?, userID: UUID, scope: String, _ parent: UUID) -> UUID {
        guard let key else { return UUID.random() }
        let digest = Array(SHA256.hash(data: Data("\(scope)\u{0}\(userID)\u{0}\(parent)\u{0}\(key)".utf8)))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8: custom (RFC 9562)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // the RFC variant
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }
}

extension Href {
    static func contactMoments(of trajectoryID: UUID) -> String {
        "/v1/trajectories/\(trajectoryID.lowercasedString)/contactMoments"
    }

    static func contactMoment(_ id: UUID, of trajectoryID: UUID) -> String {
        contactMoments(of: trajectoryID) + "/\(id.lowercasedString)"
    }

    static func contactPreferences(of trajectoryID: UUID) -> String { trajectory(trajectoryID) + "/contactPreferences" }
}

// MARK: - Timeline payloads (what changed, in the API's spelling; never the summary)

struct ContactRecorded: Codable, Sendable {
    var contactMomentId: String
    var occurredAt: Date
    var channel: ContactChannel
    var initiative: ContactInitiative
    var madeBy: ContactPerson
    var nextContactOn: CalendarDate?

    init(_ moment: ContactMoment) {
        contactMomentId = moment.id.lowercasedString
        occurredAt = moment.occurredAt
        channel = moment.channel
        initiative = moment.initiative
        madeBy = moment.madeBy
        nextContactOn = moment.nextContactOn
    }
}

struct ContactUpdated: Codable, Sendable {
    var contactMomentId: String
    /// The properties the patch set, among them `summary` and `wellbeing` without their values.
    var changed: [String]
    var channel: ContactChannel?
    var initiative: ContactInitiative?
    var madeBy: ContactPerson?
    var nextContactOn: CalendarDate?

    init(_ moment: ContactMoment, changed: [String]) {
        contactMomentId = moment.id.lowercasedString
        self.changed = changed
        channel = changed.contains("channel") ? moment.channel : nil
        initiative = changed.contains("initiative") ? moment.initiative : nil
        madeBy = changed.contains("madeBy") ? moment.madeBy : nil
        nextContactOn = changed.contains("nextContactOn") ? moment.nextContactOn : nil
    }
}

struct ContactPreferencesChanged: Codable, Sendable {
    var channel: ContactChannel?
    var contactPerson: ContactPerson?
    var notBefore: CalendarDate?
    var everyDays: Int?

    init(_ preferences: ContactPreferences) {
        channel = preferences.channel
        contactPerson = preferences.contactPerson
        notBefore = preferences.notBefore
        everyDays = preferences.preferredEveryDays
    }
}

// MARK: - API types ↔ domain values

extension ContactChannel {
    init(_ channel: Components.Schemas.ContactChannel) { self.init(rawValue: channel.rawValue)! }
}

extension ContactInitiative {
    init(_ initiative: Components.Schemas.ContactInitiative) { self.init(rawValue: initiative.rawValue)! }
}

extension ContactPerson {
    init(_ person: Components.Schemas.ContactPerson) { self.init(rawValue: person.rawValue)! }
}

extension Components.Schemas.ContactMoment {
    init(_ moment: ContactMoment) {
        self.init(
            id: moment.id.lowercasedString, href: Href.contactMoment(moment.id, of: moment.trajectoryID),
            trajectoryId: moment.trajectoryID.lowercasedString, occurredAt: moment.occurredAt,
            channel: .init(rawValue: moment.channel.rawValue)!, initiative: .init(rawValue: moment.initiative.rawValue)!,
            madeBy: .init(rawValue: moment.madeBy.rawValue)!, summary: moment.summary, wellbeing: moment.wellbeing.map { Int32($0.value) },
            nextContactOn: moment.nextContactOn?.description, recordedBy: moment.recordedBy.lowercasedString,
            recordedAt: moment.recordedAt ?? moment.occurredAt, updatedAt: moment.updatedAt ?? moment.occurredAt)
    }
}

extension Components.Schemas.ContactPreferences {
    init(trajectoryID: UUID, _ stored: ContactStore.StoredPreferences?) {
        let preferences = stored?.preferences ?? ContactPreferences()
        self.init(
            trajectoryId: trajectoryID.lowercasedString, href: Href.contactPreferences(of: trajectoryID),
            channel: preferences.channel.map { .init(rawValue: $0.rawValue)! },
            contactPerson: preferences.contactPerson.map { .init(rawValue: $0.rawValue)! },
            notBefore: preferences.notBefore?.description, everyDays: preferences.preferredEveryDays.map(Int32.init),
            updatedAt: stored?.updatedAt)
    }
}

extension Components.Schemas.ContactDue {
    init(_ due: ContactDueStore.DueTrajectory, today: CalendarDate) {
        self.init(
            href: Href.trajectory(due.trajectoryID), trajectoryId: due.trajectoryID.lowercasedString,
            trajectoryReference: due.reference,
            employee: .init(id: due.employeeID.lowercasedString, givenName: due.employeeGivenName, familyName: due.employeeFamilyName),
            dueOn: due.dueOn.description, daysOverdue: Int32(due.dueOn.days(until: today)),
            reason: .init(rawValue: due.reason.rawValue)!, preferredChannel: due.preferredChannel.map { .init(rawValue: $0.rawValue)! },
            preferredContactPerson: due.preferredContactPerson.map { .init(rawValue: $0.rawValue)! }, lastContactAt: due.lastContactAt)
    }
}
