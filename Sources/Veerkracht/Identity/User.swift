import Foundation

/// Someone who signs in to Veerkracht, with the roles they hold and the entities they work for.
public struct User: Sendable, Equatable {
    public var id: UUID
    public var email: String
    public var displayName: String
    public var roles: [Role]
    /// Rights beside the roles (`approveOffers` for an HR user).
    public var permissions: [Permission] = []
    public var entities: [EntityReference]
    public var active: Bool
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

/// A right a role does not give by itself.
public enum Permission: String, Sendable, Hashable, CaseIterable, Codable, StoredCode {
    /// Publish an offer another HR user wrote (the four-eyes rule on offers).
    case approveOffers
}

public enum UserRules {
    public static func isValidEmail(_ email: String) -> Bool {
        (3...254).contains(email.utf8.count) && email.wholeMatch(of: /[^@\s]+@[^@\s]+\.[^@\s]+/) != nil
    }

    public static func isValidDisplayName(_ name: String) -> Bool {
        (1...200).contains(name.count) && !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }
}

/// A token as the administrator sees it: never the secret, never its hash.
public struct TokenRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        case active, expired, revoked
    }

    public var id: UUID
    public var userID: UUID
    public var name: String
    public var prefix: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public func status(at now: Date) -> Status {
        if revokedAt != nil { return .revoked }
        return expiresAt <= now ? .expired : .active
    }
}
