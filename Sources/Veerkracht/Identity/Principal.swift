import Foundation

/// The authenticated user a request acts for, as their token found them.
public struct Principal: Sendable, Equatable {
    public var user: User
    public var tokenID: UUID
    /// The user's entities and every entity below them: what "their own entities" means.
    public var scopeEntityIDs: Set<UUID>

    public init(user: User, tokenID: UUID, scopeEntityIDs: Set<UUID>) {
        self.user = user
        self.tokenID = tokenID
        self.scopeEntityIDs = scopeEntityIDs
    }

    public var userID: UUID { user.id }
    public func has(_ role: Role) -> Bool { user.roles.contains(role) }

    @TaskLocal public static var current: Principal?

    /// The principal of the request being served; handlers of authenticated operations run
    /// only after the authentication middleware set it.
    public static func required() throws(Problem) -> Principal {
        guard let current else { throw Problem.unauthorized(.noAccessToken, detail: "This operation needs an access token") }
        return current
    }
}
