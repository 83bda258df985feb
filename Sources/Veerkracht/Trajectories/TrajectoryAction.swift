import Foundation

/// One action of a trajectory's plan.
public struct TrajectoryAction: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
        case conversation, workplaceAdaptation, training, trialPlacement, assessment, other
    }

    /// Who does it: a user of Veerkracht, or the staff member, or their manager.
    public enum Owner: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
        case user, employee, manager
    }

    public static let maximumTitleLength = 200
    public static let maximumNoteLength = 2000
    public static let noteLengthRule = "1 to \(maximumNoteLength) characters; for no note, leave it out (or set it to null in a change)"

    public var id: UUID
    public var trajectoryID: UUID
    public var title: String
    public var kind: Kind
    public var owner: Owner
    public var ownerUserID: UUID?
    public var dueOn: CalendarDate?
    public var doneAt: Date?
    public var note: String?
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}
