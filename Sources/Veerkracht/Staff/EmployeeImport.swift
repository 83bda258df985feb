import Foundation

/// A batch of new employees, all or nothing: every row is checked against every rule, and
/// either all rows are fine and each gets its id and manager, or every problem is reported.
///
/// Rows are named as the caller wrote them: `[3].personnelNumber` for the fourth item of a
/// JSON array (counted from 0, as a JSON path), `line 5: personnelNumber` for the record of
/// a CSV text that starts on line 5 (counted from 1; the header is line 1).
public enum EmployeeImport {
    /// Rows per import. The server's body limit (`VEERKRACHT_MAX_BODY_SIZE`, 1 MiB by
    /// default) applies as well and usually comes first for wide rows.
    public static let maximumRows = 5_000

    /// The CSV header's column names (the API's property names); the first five are required.
    public static let columns = [
        "personnelNumber", "givenName", "familyName", "entityId", "weeklyHours",
        "workEmail", "jobTitle", "grade", "managerPersonnelNumber", "active",
    ]
    public static let requiredColumns: Set<String> = ["personnelNumber", "givenName", "familyName", "entityId", "weeklyHours"]

    /// One row as read, before the rules: a value is nil when the row left it out. What
    /// could not even be read (a number that is not one) is already in `problems`.
    public struct Row: Sendable, Hashable {
        public var position: RowPosition
        public var personnelNumber: String?
        public var givenName: String?
        public var familyName: String?
        public var workEmail: String?
        public var entityID: UUID?
        public var jobTitle: String?
        public var grade: String?
        public var weeklyHours: Double?
        public var managerPersonnelNumber: String?
        public var active = true
        public var problems: [Problem] = []
    }

    /// Where a row came from.
    public enum RowPosition: Sendable, Hashable, Comparable {
        /// Index in a JSON array, from 0.
        case index(Int)
        /// Line of a CSV text, from 1.
        case line(Int)

        /// The issue name of a field of this row (the row itself when `field` is nil).
        public func name(_ field: String?) -> String {
            switch self {
            case .index(let index): "[\(index)]" + (field.map { ".\($0)" } ?? "")
            case .line(let line): "line \(line)" + (field.map { ": \($0)" } ?? "")
            }
        }

        /// How a detail refers to this row: `line 3`, `[0]`.
        public var label: String { name(nil) }
    }

    public struct Problem: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// A value that breaks a rule, or is missing.
            case invalid
            /// A column or property the import does not know.
            case unknown
            /// A reference (entity, manager) to nothing the caller may use.
            case notFound
            /// A clash with another row or an existing employee, or a manager cycle.
            case conflict
        }

        /// Nil: the batch as a whole.
        public var position: RowPosition?
        /// Nil: the row (or, at line 1, the header) as a whole.
        public var field: String?
        public var detail: String
        public var kind: Kind

        public init(_ position: RowPosition?, _ field: String?, _ detail: String, kind: Kind = .invalid) {
            self.position = position
            self.field = field
            self.detail = detail
            self.kind = kind
        }

        public var name: String { position?.name(field) ?? field ?? "" }
    }

    /// What the database knows about the batch's values.
    public struct Existing: Sendable {
        /// Personnel numbers of the batch that existing employees have.
        public var personnelNumbers: Set<String> = []
        /// Work e-mail addresses of the batch (lower-cased) that existing employees have.
        public var workEmails: Set<String> = []
        /// Existing employees named as managers, by personnel number, and whether the caller
        /// may see them.
        public var managers: [String: (id: UUID, inScope: Bool)] = [:]
    }

    /// A row that passed, with its new id and its manager's id.
    public struct Planned: Sendable, Hashable {
        public var id: UUID
        public var draft: EmployeeDraft
        public var managerID: UUID?
    }

    // MARK: - Reading CSV

    /// Hours as spreadsheets write them: `38`, `36.5`, or `36,5` as Excel writes a decimal where
    /// the comma is the decimal separator (Belgium, the Netherlands). Digits and at most one
    /// separator only: no sign, exponent, spaces, `inf` or `nan`, which `Double(_:)` would take.
    static func hours(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        let separators = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") || bytes[$0] == UInt8(ascii: ",") }
        guard separators.count <= 1, bytes.allSatisfy({ $0.isASCIIDigit || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ",") }) else {
            return nil
        }
        if let separator = separators.first, separator == 0 || separator == bytes.count - 1 { return nil }
        return Double(String(decoding: bytes.map { $0 == UInt8(ascii: ",") ? UInt8(ascii: ".") : $0 }, as: UTF8.self))
    }

    /// The rows of a CSV text whose first record is the header. Header problems stop here,
    /// since no row can be read without knowing its columns.
    public static func rows(fromCSV records: [CSVRecord]) -> (rows: [Row], problems: [Problem]) {
        guard let header = records.first else {
            return ([], [Problem(.line(1), nil, "The text is empty; the first line must name the columns")])
        }
        let position = RowPosition.line(header.line)
        var problems: [Problem] = []
        var seen: Set<String> = []
        for name in header.fields {
            if !columns.contains(name) {
                problems.append(Problem(position, name.isEmpty ? nil : name, "Unknown column; the columns are \(columns.joined(separator: ", "))", kind: .unknown))
            } else if !seen.insert(name).inserted {
                problems.append(Problem(position, name, "This column appears twice"))
            }
        }
        for name in columns where requiredColumns.contains(name) && !seen.contains(name) {
            problems.append(Problem(position, name, "This column is required"))
        }
        guard problems.isEmpty else { return ([], problems) }

        let rows = records.dropFirst().map { record -> Row in
            let position = RowPosition.line(record.line)
            guard record.fields.count == header.fields.count else {
                return Row(position: position, personnelNumber: nil, givenName: nil, familyName: nil, entityID: nil, weeklyHours: nil, problems: [
                    Problem(position, nil, "This row has \(record.fields.count) fields and the header \(header.fields.count)")
                ])
            }
            // An empty cell is a value left out.
            var cells: [String: String] = [:]
            for (name, value) in zip(header.fields, record.fields) where !value.isEmpty { cells[name] = value }
            var problems: [Problem] = []
            var entityID: UUID?
            if let text = cells["entityId"] {
                entityID = UUID(uuidString: text)
                if entityID == nil { problems.append(Problem(position, "entityId", "This must be a UUID")) }
            }
            var weeklyHours: Double?
            if let text = cells["weeklyHours"] {
                weeklyHours = Self.hours(text)
                if weeklyHours == nil { problems.append(Problem(position, "weeklyHours", "A number such as 38, 36.5 or 36,5")) }
            }
            var active = true
            if let text = cells["active"] {
                switch text.lowercased() {
                case "true": active = true
                case "false": active = false
                default: problems.append(Problem(position, "active", "true or false"))
                }
            }
            return Row(
                position: position, personnelNumber: cells["personnelNumber"], givenName: cells["givenName"],
                familyName: cells["familyName"], workEmail: cells["workEmail"], entityID: entityID, jobTitle: cells["jobTitle"],
                grade: cells["grade"], weeklyHours: weeklyHours, managerPersonnelNumber: cells["managerPersonnelNumber"],
                active: active, problems: problems)
        }
        return (rows, [])
    }

    // MARK: - The rules

    /// Checks every row against the field rules, each other and what exists, for a caller
    /// who may use the entities in `scope`. Either every row is planned or the problems of
    /// all rows are returned, in row order.
    public static func plan(
        _ rows: [Row], existing: Existing, scope: Set<UUID>, makeID: () -> UUID = UUID.init
    ) -> Result<[Planned], ProblemList> {
        guard !rows.isEmpty else { return .failure(ProblemList([Problem(nil, nil, "The batch has no rows")])) }
        guard rows.count <= maximumRows else {
            return .failure(ProblemList([Problem(rows[maximumRows].position, nil, "At most \(maximumRows) rows per import")]))
        }
        var problems: [Problem] = []
        var drafts: [EmployeeDraft?] = []
        var firstRowOfNumber: [String: Int] = [:]
        var firstRowOfEmail: [String: Int] = [:]

        for (index, row) in rows.enumerated() {
            // A row that could not be read as a whole (too few fields) has nothing more to check.
            if row.problems.contains(where: { $0.field == nil }) {
                problems += row.problems
                drafts.append(nil)
                continue
            }
            var rowProblems = row.problems
            let position = row.position
            let required: [(String, Bool)] = [
                ("personnelNumber", row.personnelNumber == nil), ("givenName", row.givenName == nil),
                ("familyName", row.familyName == nil), ("entityId", row.entityID == nil), ("weeklyHours", row.weeklyHours == nil),
            ]
            for (field, isMissing) in required where isMissing && !rowProblems.contains(where: { $0.field == field }) {
                rowProblems.append(Problem(position, field, "This value is required"))
            }
            rowProblems += EmployeeRules.problems(
                personnelNumber: row.personnelNumber, givenName: row.givenName, familyName: row.familyName,
                workEmail: row.workEmail, jobTitle: row.jobTitle, grade: row.grade, weeklyHours: row.weeklyHours
            ).map { Problem(position, $0.field, $0.detail) }
            if let manager = row.managerPersonnelNumber, !EmployeeRules.isValidPersonnelNumber(manager) {
                rowProblems.append(Problem(position, "managerPersonnelNumber", "This is not a personnel number"))
            }
            if let entityID = row.entityID, !scope.contains(entityID) {
                rowProblems.append(Problem(position, "entityId", "No entity in your scope has this id", kind: .notFound))
            }
            // A value that repeats is reported on its later rows; a clash with an existing
            // employee on its first.
            func checkUnique(_ value: String?, _ field: String, _ what: String, firstRows: inout [String: Int], taken: Set<String>) {
                guard let value else { return }
                if let first = firstRows[value] {
                    rowProblems.append(Problem(position, field, "The same \(what) is on \(rows[first].position.label)", kind: .conflict))
                } else {
                    firstRows[value] = index
                    if taken.contains(value) {
                        rowProblems.append(Problem(position, field, "An employee with this \(what) exists already", kind: .conflict))
                    }
                }
            }
            checkUnique(row.personnelNumber, "personnelNumber", "personnel number", firstRows: &firstRowOfNumber, taken: existing.personnelNumbers)
            checkUnique(row.workEmail?.lowercased(), "workEmail", "work e-mail address", firstRows: &firstRowOfEmail, taken: existing.workEmails)
            problems += rowProblems
            if rowProblems.isEmpty, let number = row.personnelNumber, let given = row.givenName, let family = row.familyName,
                let entityID = row.entityID, let hours = row.weeklyHours
            {
                drafts.append(EmployeeDraft(
                    personnelNumber: number, givenName: given, familyName: family, workEmail: row.workEmail, entityID: entityID,
                    jobTitle: row.jobTitle, grade: row.grade, weeklyHours: hours, active: row.active))
            } else {
                drafts.append(nil)
            }
        }

        // Managers: another row of the batch, or an existing employee the caller may see.
        enum Manager { case row(Int), existing(UUID) }
        var managers: [Manager?] = Array(repeating: nil, count: rows.count)
        for (index, row) in rows.enumerated() {
            guard let number = row.managerPersonnelNumber, EmployeeRules.isValidPersonnelNumber(number) else { continue }
            if number == row.personnelNumber {
                problems.append(Problem(row.position, "managerPersonnelNumber", "An employee cannot be their own manager"))
            } else if let managerRow = firstRowOfNumber[number] {
                managers[index] = .row(managerRow)
            } else if let manager = existing.managers[number], manager.inScope {
                managers[index] = .existing(manager.id)
            } else {
                problems.append(Problem(
                    row.position, "managerPersonnelNumber", "No employee in your scope or in this batch has this personnel number",
                    kind: .notFound))
            }
        }
        // A cycle can only run through new rows: existing employees never report to them.
        let managerRows = managers.map { manager -> Int? in if case .row(let row) = manager { row } else { nil } }
        for index in ManagerCycles.members(managerOf: managerRows) {
            let chain = ManagerCycles.cycle(from: index, managerOf: managerRows).compactMap { rows[$0].personnelNumber }
            problems.append(Problem(
                rows[index].position, "managerPersonnelNumber",
                "The managers in this batch form a cycle: \((chain + [chain[0]]).joined(separator: " → "))", kind: .conflict))
        }

        guard problems.isEmpty else { return .failure(ProblemList(problems)) }
        let ids = rows.map { _ in makeID() }
        return .success(zip(drafts, managers).enumerated().map { index, pair in
            let managerID: UUID? = switch pair.1 {
            case .some(.row(let row)): ids[row]
            case .some(.existing(let id)): id
            case .none: nil
            }
            return Planned(id: ids[index], draft: pair.0!, managerID: managerID)
        })
    }

    /// The problems of a batch, in row order (a row's own problems in the order found).
    public struct ProblemList: Error, Sendable, Hashable {
        public var problems: [Problem]

        public init(_ problems: [Problem]) {
            self.problems = problems.enumerated()
                .sorted { ($0.element.position ?? .index(-1), $0.offset) < ($1.element.position ?? .index(-1), $1.offset) }
                .map(\.element)
        }
    }
}

/// Manager chains among employees numbered 0..<n, where `managerOf[i]` is the manager of i.
public enum ManagerCycles {
    /// Every employee that is its own manager's manager's … manager.
    public static func members(managerOf: [Int?]) -> [Int] {
        // 0: not visited, 1: on the current path, 2: done.
        var state = Array(repeating: 0, count: managerOf.count)
        var members: Set<Int> = []
        for start in managerOf.indices where state[start] == 0 {
            var path: [Int] = []
            var current: Int? = start
            while let node = current, state[node] == 0 {
                state[node] = 1
                path.append(node)
                current = managerOf[node]
            }
            if let node = current, state[node] == 1, let loopStart = path.firstIndex(of: node) {
                members.formUnion(path[loopStart...])
            }
            for node in path { state[node] = 2 }
        }
        return members.sorted()
    }

    /// The cycle through `start`, starting there; `start` must be a member.
    public static func cycle(from start: Int, managerOf: [Int?]) -> [Int] {
        var chain = [start]
        var current = managerOf[start]
        while let node = current, node != start, chain.count <= managerOf.count {
            chain.append(node)
            current = managerOf[node]
        }
        return chain
    }
}
