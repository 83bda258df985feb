import Foundation
import PostgresLibPQ
import VeerkrachtAPI

extension VeerkrachtAPIService {
    func listAuditEntries(_ input: Operations.ListAuditEntries.Input) async throws -> Operations.ListAuditEntries.Output {
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        var filter = AuditStore.Filter(from: input.query.from, to: input.query.to)
        filter.trajectoryID = input.query.trajectory.flatMap { Input.uuid($0, name: "trajectory", in: .query, issues: &issues) }
        filter.actorID = input.query.actor.flatMap { Input.uuid($0, name: "actor", in: .query, issues: &issues) }
        if let from = filter.from, let to = filter.to, to <= from {
            issues.append(InputIssue(.invalidInput, in: .query, name: "to", detail: "to must be after from"))
        }
        try Input.check(issues)
        let (entries, next) = try await database.withConnection { try await auditTrail.entries(filter, page: page, on: $0) }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        if let value = input.query.trajectory { query.append(("trajectory", value)) }
        if let value = input.query.actor { query.append(("actor", value)) }
        if let value = input.query.from { query.append(("from", try RFC3339DateTranscoder().encode(value))) }
        if let value = input.query.to { query.append(("to", try RFC3339DateTranscoder().encode(value))) }
        return .ok(.init(body: .json(.init(
            items: entries.map { entry in
                Components.Schemas.AuditEntry(
                    id: entry.id, occurredAt: entry.occurredAt, actorId: entry.entry.actorID?.lowercasedString,
                    actorRoles: entry.entry.actorRoles.map { .init(rawValue: $0.rawValue)! },
                    action: .init(rawValue: entry.entry.action.rawValue)!, resourceType: .init(rawValue: entry.entry.resourceType.rawValue)!,
                    resourceId: entry.entry.resourceID?.lowercasedString, trajectoryId: entry.entry.trajectoryID?.lowercasedString,
                    requestId: entry.entry.requestID, outcome: .init(rawValue: entry.entry.outcome.rawValue)!)
            },
            next: nextPageLink(path: "/v1/audit", query: query, cursor: next), pageSize: Int32(page.size)))))
    }
}
