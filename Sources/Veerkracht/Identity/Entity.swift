import Foundation

/// An organisational unit: a department, an agency below it, a service below that.
public struct Entity: Sendable, Equatable {
    public var id: UUID
    public var code: String
    public var name: String
    public var parentID: UUID?
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// An entity as other resources mention it.
public struct EntityReference: Sendable, Equatable {
    public var id: UUID
    public var code: String
    public var name: String
}

public enum EntityRules {
    /// Short upper-case codes such as `DEP-FIN` or `AG-WORK2`.
    public static func isValidCode(_ code: String) -> Bool {
        (2...32).contains(code.count) && code.wholeMatch(of: /[A-Z][A-Z0-9]*(-[A-Z0-9]+)*/) != nil
    }

    public static func isValidName(_ name: String) -> Bool {
        (1...200).contains(name.count) && !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}
