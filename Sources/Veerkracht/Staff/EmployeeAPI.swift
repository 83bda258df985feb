import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import VeerkrachtAPI

// The staff operations on employees: map API types to domain values, ask the policy, call
// the store. Employees are not case data, so nothing here is audited.

extension VeerkrachtAPIService {
    var staff: StaffStore { StaffStore() }

    func listEmployees(_ input: Operations.ListEmployees.Input) async throws -> Operations.ListEmployees.Output {
        let principal = try Principal.required()
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let entities = (input.query.entity ?? []).compactMap { Input.uuid($0, name: "entity", in: .query, issues: &issues) }
        let manager = input.query.manager.flatMap { Input.uuid($0, name: "manager", in: .query, issues: &issues) }
        if let q = input.query.q, !(1...100).contains(q.characterCount) {
            issues.append(InputIssue(in: .query, name: "q", detail: "1 to 100 characters"))
        }
        try Input.check(issues)
        let filter = StaffStore.EmployeeFilter(
            scope: AccessPolicy.employeeScope(principal), entityIDs: entities, managerID: manager, active: input.query.active,
            prefix: input.query.q)
        let (employees, next) = try await database.withConnection { try await staff.employees(filter, page: page, on: $0) }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        query += entities.map { ("entity", $0.lowercasedString) }
        if let manager { query.append(("manager", manager.lowercasedString)) }
        if let active = input.query.active { query.append(("active", String(active))) }
        if let q = input.query.q { query.append(("q", q)) }
        return .ok(.init(body: .json(.init(
            items: employees.map(Components.Schemas.Employee.init), next: nextPageLink(path: "/v1/employees", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createEmployee(_ input: Operations.CreateEmployee.Input) async throws -> Operations.CreateEmployee.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        issues += EmployeeRules.problems(
            personnelNumber: body.personnelNumber, givenName: body.givenName, familyName: body.familyName, workEmail: body.workEmail,
            jobTitle: body.jobTitle, grade: body.grade, weeklyHours: body.weeklyHours
        ).map { InputIssue(in: .body, name: $0.field, detail: $0.detail) }
        let entityID = Input.uuid(body.entityId, name: "entityId", in: .body, issues: &issues)
        if let entityID, !AccessPolicy.mayAccessEmployee(principal, entityID: entityID) { issues.append(Self.unknownEntity) }
        let managerID = body.managerId.flatMap { Input.uuid($0, name: "managerId", in: .body, issues: &issues) }
        try Input.check(issues)
        let draft = EmployeeDraft(
            personnelNumber: body.personnelNumber, givenName: body.givenName, familyName: body.familyName, workEmail: body.workEmail,
            entityID: entityID!, jobTitle: body.jobTitle, grade: body.grade, weeklyHours: body.weeklyHours, active: body.active ?? true)

        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createEmployee", request: body, on: connection) {
                if let managerID { try await requireVisibleManager(managerID, principal: principal, on: connection) }
                let employee = try await staff.createEmployee(draft, managerID: managerID, on: connection)
                return Created(Components.Schemas.Employee(employee), href: Href.employee(employee.id), etag: employee.etag)
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getEmployee(_ input: Operations.GetEmployee.Input) async throws -> Operations.GetEmployee.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        guard let employee = try await database.withConnection({ try await staff.employee(id: id, on: $0) }),
            AccessPolicy.mayAccessEmployee(principal, entityID: employee.entityID)
        else { throw Problem.notFound }
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: employee.etag) { return .notModified(.init(headers: .init(eTag: employee.etag))) }
        return .ok(.init(headers: .init(eTag: employee.etag), body: .json(.init(employee))))
    }

    func updateEmployee(_ input: Operations.UpdateEmployee.Input) async throws -> Operations.UpdateEmployee.Output {
        let principal = try Principal.required()
        let id = try Input.uuid(input.path.employeeId, name: "employeeId", in: .path)
        let patch: Components.Schemas.EmployeePatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        var issues: [InputIssue] = []
        let required: Set<String> = ["personnelNumber", "givenName", "familyName", "entityId", "weeklyHours", "active"]
        for key in MergePatch.nullKeys.intersection(required).sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        var changes = StaffStore.EmployeeChanges()
        changes.personnelNumber = patch.personnelNumber
        changes.givenName = patch.givenName
        changes.familyName = patch.familyName
        changes.workEmail = Self.mergePatchValue(patch.workEmail, key: "workEmail")
        changes.jobTitle = Self.mergePatchValue(patch.jobTitle, key: "jobTitle")
        changes.grade = Self.mergePatchValue(patch.grade, key: "grade")
        changes.weeklyHours = patch.weeklyHours
        changes.active = patch.active
        issues += EmployeeRules.problems(
            personnelNumber: patch.personnelNumber, givenName: patch.givenName, familyName: patch.familyName,
            workEmail: patch.workEmail, jobTitle: patch.jobTitle, grade: patch.grade, weeklyHours: patch.weeklyHours
        ).map { InputIssue(in: .body, name: $0.field, detail: $0.detail) }
        changes.entityID = patch.entityId.flatMap { Input.uuid($0, name: "entityId", in: .body, issues: &issues) }
        if let entityID = changes.entityID, !AccessPolicy.mayAccessEmployee(principal, entityID: entityID) { issues.append(Self.unknownEntity) }
        if MergePatch.nullKeys.contains("managerId") {
            changes.managerID = .some(nil)
        } else if let text = patch.managerId, let managerID = Input.uuid(text, name: "managerId", in: .body, issues: &issues) {
            if managerID == id {
                issues.append(InputIssue(.invalidInput, in: .body, name: "managerId", detail: "An employee cannot be their own manager"))
            }
            changes.managerID = .some(managerID)
        }
        try Input.check(issues)

        let employee = try await database.withTransaction { connection -> Employee in
            guard let current = try await staff.employee(id: id, lock: true, on: connection),
                AccessPolicy.mayAccessEmployee(principal, entityID: current.entityID)
            else { throw Problem.notFound }
            try ETag.requireMatch(input.headers.ifMatch, current: current.etag)
            if case .some(.some(let managerID)) = changes.managerID, managerID != current.managerID {
                try await requireVisibleManager(managerID, principal: principal, on: connection)
                try await staff.lockManagerChanges(on: connection)
                if try await staff.wouldCycle(employee: id, newManager: managerID, on: connection) {
                    throw Problem.conflict("This manager reports, directly or further up, to the employee")
                }
            }
            guard let updated = try await staff.updateEmployee(id: id, version: current.version, changes, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            return updated
        }
        return .ok(.init(headers: .init(eTag: employee.etag), body: .json(.init(employee))))
    }

    // MARK: - Import

    func importEmployees(_ input: Operations.ImportEmployees.Input) async throws -> Operations.ImportEmployees.Output {
        let principal = try Principal.required()
        let rows: [EmployeeImport.Row]
        let request: ImportRequest
        switch input.body {
        case .json(let items):
            guard items.count <= EmployeeImport.maximumRows else {
                throw Problem.badRequest(InputIssue(in: .body, name: "", detail: "At most \(EmployeeImport.maximumRows) rows per import"))
            }
            rows = items.enumerated().map { EmployeeImport.Row($0.element, position: .index($0.offset)) }
            request = .json(items)
        case .csv(let body):
            // The body limit middleware has read the whole body already; this only collects it.
            let bytes = try await [UInt8](collecting: body, upTo: Int.max)
            let delimiter: CSV.Delimiter? = switch input.query.delimiter {
            case .semicolon?: .semicolon
            case .comma?: .comma
            case nil: nil
            }
            let records: [CSVRecord]
            do throws(CSVError) {
                records = try CSV.parse(bytes, delimiter: delimiter)
            } catch {
                throw Problem.badRequest(InputIssue(in: .body, name: EmployeeImport.RowPosition.line(error.line).label, detail: error.description))
            }
            // The header and one row more than allowed are enough to refuse a batch that is too long.
            guard records.count <= EmployeeImport.maximumRows + 1 else {
                throw Problem.badRequest(InputIssue(
                    in: .body, name: EmployeeImport.RowPosition.line(records[EmployeeImport.maximumRows + 1].line).label,
                    detail: "At most \(EmployeeImport.maximumRows) rows per import"))
            }
            let (read, headerProblems) = EmployeeImport.rows(fromCSV: records)
            guard headerProblems.isEmpty else { throw Problem.badRequest(headerProblems.map(InputIssue.init)) }
            rows = read
            // Parsed, so UTF-8. The delimiter needs no binding: a header is only valid with the
            // separator it uses, which is the one detected.
            request = .csv(String(decoding: bytes, as: UTF8.self))
        }

        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "importEmployees", request: request, on: connection) {
                let scope = Set(AccessPolicy.employeeScope(principal))
                let existing = try await staff.existing(for: rows, scope: scope, on: connection)
                switch EmployeeImport.plan(rows, existing: existing, scope: scope) {
                case .failure(let list):
                    throw Problem.badRequest(list.problems.map(InputIssue.init))
                case .success(let planned):
                    let created = try await staff.insert(planned, on: connection)
                    let result = Components.Schemas.EmployeeImportResult(created: Int32(created))
                    return Created(result, status: 200)
                }
            }
        }
        return .ok(.init(body: .json(stored.resource)))
    }

    /// What the idempotency key is bound to: the rows as sent, in either format.
    private enum ImportRequest: Encodable {
        case json([Components.Schemas.EmployeeImportRow])
        case csv(String)
    }

    // MARK: - Helpers

    private static let unknownEntity = InputIssue(
        .referencedResourceNotFound, in: .body, name: "entityId", detail: "No entity in your scope has this id")

    /// A manager must be an employee the caller may see.
    private func requireVisibleManager(_ managerID: UUID, principal: Principal, on connection: PostgresConnection) async throws {
        guard let manager = try await staff.employee(id: managerID, on: connection),
            AccessPolicy.mayAccessEmployee(principal, entityID: manager.entityID)
        else {
            throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "managerId", detail: "No employee in your scope has this id"))
        }
    }

    /// A merge patch's optional value: nil to leave it, `.some(nil)` to remove it.
    static func mergePatchValue<Value>(_ value: Value?, key: String) -> Value?? {
        MergePatch.nullKeys.contains(key) ? .some(nil) : value.map { .some($0) }
    }
}

/// The paths of staff resources, for `href` and `Location`.
extension Href {
    static func employee(_ id: UUID) -> String { "/v1/employees/\(id.lowercasedString)" }
    static func absence(_ id: UUID) -> String { "/v1/absences/\(id.lowercasedString)" }
    static func workCapacityChange(_ absenceID: UUID, _ effectiveFrom: CalendarDate) -> String {
        absence(absenceID) + "/workCapacityChanges/\(effectiveFrom)"
    }
}

extension Employee {
    var etag: String { ETag.make(id: id, version: version) }
}

extension Components.Schemas.Employee {
    init(_ employee: Employee) {
        self.init(
            id: employee.id.lowercasedString, href: Href.employee(employee.id), personnelNumber: employee.personnelNumber,
            givenName: employee.givenName, familyName: employee.familyName, workEmail: employee.workEmail,
            entityId: employee.entityID.lowercasedString, jobTitle: employee.jobTitle, grade: employee.grade,
            weeklyHours: employee.weeklyHours, managerId: employee.managerID?.lowercasedString, active: employee.active,
            createdAt: employee.createdAt, updatedAt: employee.updatedAt)
    }
}

extension EmployeeImport.Row {
    /// A JSON row: the schema has checked types and required properties already.
    init(_ item: Components.Schemas.EmployeeImportRow, position: EmployeeImport.RowPosition) {
        var problems: [EmployeeImport.Problem] = []
        let entityID = UUID(uuidString: item.entityId)
        if entityID == nil { problems.append(.init(position, "entityId", "This must be a UUID")) }
        self.init(
            position: position, personnelNumber: item.personnelNumber, givenName: item.givenName, familyName: item.familyName,
            workEmail: item.workEmail, entityID: entityID, jobTitle: item.jobTitle, grade: item.grade, weeklyHours: item.weeklyHours,
            managerPersonnelNumber: item.managerPersonnelNumber, active: item.active ?? true, problems: problems)
    }
}

extension InputIssue {
    init(_ problem: EmployeeImport.Problem) {
        let kind: InputIssue.Kind = switch problem.kind {
        case .invalid: .schemaViolation
        case .unknown: .unknownInput
        case .notFound: .referencedResourceNotFound
        case .conflict: .invalidInput
        }
        self.init(kind, in: .body, name: problem.name, detail: problem.detail)
    }
}
