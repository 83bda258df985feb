import Foundation
import Testing
@testable import Veerkracht

@Suite("Staff: employee rules")
struct StaffEmployeeRulesTests {
    @Test(arguments: ["P1", "012345", "2019/0042", "ab.cd_ef-gh", String(repeating: "9", count: 32)])
    func validPersonnelNumbers(_ number: String) {
        #expect(EmployeeRules.isValidPersonnelNumber(number))
    }

    @Test(arguments: ["", "-P1", ".1", "P 1", "P1 ", "é1", "P#1", String(repeating: "9", count: 33), "P1\n"])
    func invalidPersonnelNumbers(_ number: String) {
        #expect(!EmployeeRules.isValidPersonnelNumber(number))
    }

    @Test func textFieldsHaveOneToTheirLimitOfCharactersOnOneLineNotOnlySpaces() {
        let limit = EmployeeRules.maximumNameLength
        #expect(TextRules.isLine("Anne-Marie", maximumLength: limit))
        #expect(TextRules.isLine("Ö", maximumLength: limit))
        #expect(TextRules.isLine(String(repeating: "a", count: limit), maximumLength: limit))
        #expect(!TextRules.isLine(String(repeating: "a", count: limit + 1), maximumLength: limit))
        #expect(!TextRules.isLine("", maximumLength: limit))
        #expect(!TextRules.isLine("   ", maximumLength: limit))
        #expect(!TextRules.isLine("Jan\u{0}", maximumLength: limit))
        #expect(!TextRules.isLine("Jan\nPeeters", maximumLength: limit))
        // Counted as PostgreSQL counts: e + combining accent is two characters there.
        #expect(!TextRules.isLine(String(repeating: "e\u{301}", count: 51), maximumLength: limit))
    }

    @Test func weeklyHoursAreAboveZeroAndAtMostSixty() {
        for hours in [0.5, 19, 38, 60] { #expect(EmployeeRules.isValidWeeklyHours(hours)) }
        for hours in [0, -1, 60.01, .infinity, .nan] { #expect(!EmployeeRules.isValidWeeklyHours(hours)) }
    }

    @Test func workEmails() {
        #expect(EmployeeRules.isValidWorkEmail("jan.peeters@example.be"))
        for email in ["jan", "@example.be", "jan@", "jan@@example.be", "jan peeters@example.be", "a@b@c"] {
            #expect(!EmployeeRules.isValidWorkEmail(email), "\(email)")
        }
        #expect(!EmployeeRules.isValidWorkEmail(String(repeating: "a", count: 250) + "@x.be"))
    }

    @Test func problemsNameEveryBadFieldAndSkipFieldsNotGiven() {
        let problems = EmployeeRules.problems(
            personnelNumber: "no spaces allowed", givenName: "", familyName: "Peeters", workEmail: "nope", jobTitle: " ",
            grade: String(repeating: "x", count: 51), weeklyHours: 0)
        #expect(problems.map(\.field) == ["personnelNumber", "givenName", "workEmail", "jobTitle", "grade", "weeklyHours"])
        #expect(EmployeeRules.problems().isEmpty)
        #expect(EmployeeRules.problems(weeklyHours: 38).isEmpty)
    }
}

@Suite("Staff: manager cycles")
struct StaffManagerCycleTests {
    @Test func chainsWithoutCyclesHaveNoMembers() {
        #expect(ManagerCycles.members(managerOf: [nil, 0, 1, 1]).isEmpty)
        #expect(ManagerCycles.members(managerOf: []).isEmpty)
    }

    @Test func everyEmployeeOnACycleIsAMemberAndThoseBelowItAreNot() {
        // 0 → 1 → 2 → 0, and 3 reports into the cycle without being on it; 4 → 5 → 4.
        let managerOf: [Int?] = [1, 2, 0, 0, 5, 4, nil]
        #expect(ManagerCycles.members(managerOf: managerOf) == [0, 1, 2, 4, 5])
        #expect(ManagerCycles.cycle(from: 1, managerOf: managerOf) == [1, 2, 0])
    }

    @Test func selfManagementIsACycleOfOne() {
        #expect(ManagerCycles.members(managerOf: [0]) == [0])
    }
}

@Suite("Staff: import rules")
struct StaffImportTests {
    static let entity = UUID()
    static let otherEntity = UUID()

    private func row(
        _ index: Int, _ number: String?, manager: String? = nil, email: String? = nil, entity: UUID? = StaffImportTests.entity,
        hours: Double? = 38
    ) -> EmployeeImport.Row {
        EmployeeImport.Row(
            position: .index(index), personnelNumber: number, givenName: "Given \(index)", familyName: "Family \(index)",
            workEmail: email, entityID: entity, weeklyHours: hours, managerPersonnelNumber: manager)
    }

    private func problems(_ rows: [EmployeeImport.Row], existing: EmployeeImport.Existing = .init()) -> [EmployeeImport.Problem] {
        guard case .failure(let list) = EmployeeImport.plan(rows, existing: existing, scope: [Self.entity]) else { return [] }
        return list.problems
    }

    @Test func rowsAreNamedAsTheCallerWroteThem() {
        #expect(EmployeeImport.RowPosition.index(3).name("personnelNumber") == "[3].personnelNumber")
        #expect(EmployeeImport.RowPosition.line(5).name("personnelNumber") == "line 5: personnelNumber")
        #expect(EmployeeImport.RowPosition.line(5).name(nil) == "line 5")
        #expect(EmployeeImport.RowPosition.index(0).label == "[0]")
    }

    @Test func aGoodBatchIsPlannedWithManagersFromTheBatchAndFromExistingEmployees() throws {
        let boss = UUID()
        let rows = [row(0, "P2", manager: "P1"), row(1, "P1", manager: "B1"), row(2, "P3")]
        var ids = [UUID(), UUID(), UUID()].makeIterator()
        let existing = EmployeeImport.Existing(managers: ["B1": (boss, true)])
        let planned = try EmployeeImport.plan(rows, existing: existing, scope: [Self.entity], makeID: { ids.next()! }).get()
        #expect(planned.map(\.draft.personnelNumber) == ["P2", "P1", "P3"])
        #expect(planned[0].managerID == planned[1].id, "a later row may be the manager")
        #expect(planned[1].managerID == boss)
        #expect(planned[2].managerID == nil)
        #expect(Set(planned.map(\.id)).count == 3)
    }

    @Test func everyBadRowIsReportedInRowOrder() {
        let rows = [
            row(0, "P1"),
            row(1, "bad number", hours: 0),
            row(2, nil, entity: nil),
            row(3, "P4", entity: Self.otherEntity),
        ]
        let found = problems(rows)
        #expect(found.map(\.name) == [
            "[1].personnelNumber", "[1].weeklyHours", "[2].personnelNumber", "[2].entityId", "[3].entityId",
        ])
        #expect(found.first { $0.name == "[3].entityId" }?.kind == .notFound)
    }

    @Test func duplicatesInsideTheBatchNameTheFirstRow() {
        let found = problems([row(0, "P1", email: "a@x.be"), row(1, "P2", email: "A@X.be"), row(2, "P1")])
        #expect(found.map(\.name) == ["[1].workEmail", "[2].personnelNumber"])
        #expect(found.allSatisfy { $0.kind == .conflict && $0.detail.contains("[0]") })
    }

    @Test func clashesWithExistingEmployees() {
        let existing = EmployeeImport.Existing(personnelNumbers: ["P2"], workEmails: ["taken@x.be"])
        let found = problems([row(0, "P1", email: "Taken@X.be"), row(1, "P2")], existing: existing)
        #expect(found.map(\.name) == ["[0].workEmail", "[1].personnelNumber"])
    }

    @Test func managersMustBeInTheBatchOrVisibleAndNotTheRowItself() {
        let existing = EmployeeImport.Existing(managers: ["HIDDEN": (UUID(), false)])
        let found = problems(
            [row(0, "P1", manager: "P1"), row(1, "P2", manager: "HIDDEN"), row(2, "P3", manager: "NOBODY"), row(3, "P4", manager: "not valid")],
            existing: existing)
        #expect(found.map(\.name) == [
            "[0].managerPersonnelNumber", "[1].managerPersonnelNumber", "[2].managerPersonnelNumber", "[3].managerPersonnelNumber",
        ])
        #expect(found[1].kind == .notFound && found[2].kind == .notFound)
        #expect(found[1].detail == found[2].detail, "an employee out of scope looks like none")
    }

    @Test func aManagerCycleInsideTheBatchIsReportedOnEachOfItsRows() {
        let found = problems([row(0, "P1", manager: "P2"), row(1, "P2", manager: "P3"), row(2, "P3", manager: "P1"), row(3, "P4", manager: "P1")])
        #expect(found.map(\.name) == ["[0].managerPersonnelNumber", "[1].managerPersonnelNumber", "[2].managerPersonnelNumber"])
        #expect(found[0].detail.contains("P1 → P2 → P3 → P1"))
    }

    @Test func emptyAndOversizedBatchesAreRefused() {
        #expect(problems([]).map(\.name) == [""])
        let many = (0...EmployeeImport.maximumRows).map { row($0, "P\($0)") }
        #expect(problems(many).map(\.name) == ["[\(EmployeeImport.maximumRows)]"])
    }

    @Test func csvRowsAreReadByTheirHeader() throws {
        let text = "weeklyHours,personnelNumber,givenName,familyName,entityId,active,managerPersonnelNumber\r\n"
            + "36.5,P1,Ann,Peeters,\(Self.entity),false,\r\n"
            + "38,P2,\"Jan, Jr.\",Janssens,\(Self.entity),,P1\r\n"
        let (rows, headerProblems) = EmployeeImport.rows(fromCSV: try CSV.parse(text.utf8))
        #expect(headerProblems.isEmpty)
        #expect(rows.count == 2)
        #expect(rows[0].position == .line(2))
        #expect(rows[0].weeklyHours == 36.5 && rows[0].active == false && rows[0].managerPersonnelNumber == nil)
        #expect(rows[1].givenName == "Jan, Jr." && rows[1].active && rows[1].managerPersonnelNumber == "P1")
        let planned = try EmployeeImport.plan(rows, existing: .init(), scope: [Self.entity]).get()
        #expect(planned[1].managerID == planned[0].id)
    }

    @Test func csvHeaderProblemsStopBeforeTheRows() throws {
        let (rows, problems) = EmployeeImport.rows(fromCSV: try CSV.parse("personnelNumber,givenName,nickname,givenName\nP1,A,B,C\n".utf8))
        #expect(rows.isEmpty)
        #expect(problems.map(\.name) == ["line 1: nickname", "line 1: givenName", "line 1: familyName", "line 1: entityId", "line 1: weeklyHours"])
        #expect(problems[0].kind == .unknown)
        #expect(EmployeeImport.rows(fromCSV: []).problems.map(\.name) == ["line 1"])
    }

    @Test func csvValuesThatCannotBeReadAreReportedWithTheirLine() throws {
        let text = "personnelNumber,givenName,familyName,entityId,weeklyHours,active\n"
            + "P1,Ann,Peeters,not-a-uuid,38,yes\n"
            + "P2,Jan,Janssens,\(Self.entity),38\n"
            + "\n"
            + "P3,,Claes,\(Self.entity),38 h,true\n"
        let (rows, _) = EmployeeImport.rows(fromCSV: try CSV.parse(text.utf8))
        guard case .failure(let list) = EmployeeImport.plan(rows, existing: .init(), scope: [Self.entity]) else {
            Issue.record("the batch should be refused")
            return
        }
        #expect(list.problems.map(\.name) == [
            "line 2: entityId", "line 2: active", "line 3", "line 5: weeklyHours", "line 5: givenName",
        ])
    }
}
