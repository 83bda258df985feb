import Foundation

/// A staff member of the employer: who they are in the personnel system, where they work and
/// for how many hours. Not case data: nothing here says why someone is absent.
public struct Employee: Sendable, Hashable {
    public var id: UUID
    public var personnelNumber: String
    public var givenName: String
    public var familyName: String
    public var workEmail: String?
    public var entityID: UUID
    public var jobTitle: String?
    public var grade: String?
    public var weeklyHours: Double
    public var managerID: UUID?
    public var active: Bool
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// The fields of a new employee, as a create or an import row gives them; the manager is
/// resolved by the caller (an id, or a personnel number in an import).
public struct EmployeeDraft: Sendable, Hashable {
    public var personnelNumber: String
    public var givenName: String
    public var familyName: String
    public var workEmail: String?
    public var entityID: UUID
    public var jobTitle: String?
    public var grade: String?
    public var weeklyHours: Double
    public var active = true
}

/// One field of an employee or an absence that breaks a rule, named as in the API.
public struct StaffFieldProblem: Sendable, Hashable {
    public var field: String
    public var detail: String
}

/// The rules for an employee's fields; the schema's CHECK constraints say the same and are
/// only the last line.
public enum EmployeeRules {
    public static let maximumNameLength = 100
    public static let maximumJobTitleLength = 200
    public static let maximumGradeLength = 50
    public static let maximumEmailLength = 254
    public static let weeklyHoursRange = "more than 0 and at most 60"

    /// 1 to 32 characters: letters, digits, `.`, `_`, `/`, `-`, starting with a letter or digit
    /// (what personnel systems issue: `P012345`, `2019/0042`).
    public static func isValidPersonnelNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...32).contains(bytes.count), isASCIIAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isASCIIAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "-") }
    }

    /// One `@` with something on both sides and no spaces, at most 254 characters: the
    /// address is the employer's, so deeper checks belong to its mail system.
    public static func isValidWorkEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.utf8.count <= maximumEmailLength && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }

    /// Contractual hours per week: more than 0, at most 60.
    public static func isValidWeeklyHours(_ hours: Double) -> Bool {
        hours.isFinite && hours > 0 && hours <= 60
    }

    /// The problems of whichever fields are given (nil: not given, so not checked).
    public static func problems(
        personnelNumber: String? = nil, givenName: String? = nil, familyName: String? = nil, workEmail: String? = nil,
        jobTitle: String? = nil, grade: String? = nil, weeklyHours: Double? = nil
    ) -> [StaffFieldProblem] {
        var problems: [StaffFieldProblem] = []
        if let personnelNumber, !isValidPersonnelNumber(personnelNumber) {
            problems.append(.init(field: "personnelNumber", detail: "1 to 32 letters, digits, '.', '_', '/' or '-', starting with a letter or digit"))
        }
        func checkText(_ value: String?, _ field: String, maximumLength: Int) {
            if let value, !TextRules.isLine(value, maximumLength: maximumLength) {
                problems.append(.init(field: field, detail: "1 to \(maximumLength) characters on one line, not only spaces"))
            }
        }
        checkText(givenName, "givenName", maximumLength: maximumNameLength)
        checkText(familyName, "familyName", maximumLength: maximumNameLength)
        if let workEmail, !isValidWorkEmail(workEmail) {
            problems.append(.init(field: "workEmail", detail: "This is not an e-mail address"))
        }
        checkText(jobTitle, "jobTitle", maximumLength: maximumJobTitleLength)
        checkText(grade, "grade", maximumLength: maximumGradeLength)
        if let weeklyHours, !isValidWeeklyHours(weeklyHours) {
            problems.append(.init(field: "weeklyHours", detail: "Hours per week: \(weeklyHoursRange)"))
        }
        return problems
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        byte.isASCIILowercaseLetter || byte.isASCIIUppercaseLetter || byte.isASCIIDigit
    }
}
