import Foundation
import PostgresLibPQ

/// What the command line does to users and tokens (the first administrator has no token
/// to call the API with). Same rules as the API.
public struct IdentityAdministration: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let database: PostgresClient
    let store = IdentityStore()

    public init(database: PostgresClient) {
        self.database = database
    }

    /// `entities` are entity codes or ids.
    public func createUser(email: String, name: String, roles: [Role], entities: [String]) async throws -> User {
        guard UserRules.isValidEmail(email) else { throw Failure(description: "not an e-mail address: \(email)") }
        guard UserRules.isValidDisplayName(name) else { throw Failure(description: "the name must be 1 to 200 characters") }
        return try await database.withTransaction { connection in
            var entityIDs: [UUID] = []
            for reference in entities {
                let rows = try await connection.query("""
                    SELECT id FROM entities WHERE id::text = \(reference.lowercased()) OR code = \(reference.uppercased())
                    """)
                guard let row = rows.first else { throw Failure(description: "no entity with code or id \(reference)") }
                entityIDs.append(try row.decode(0, as: UUID.self))
            }
            guard try await !store.userExists(email: email, on: connection) else {
                throw Failure(description: "a user with this e-mail address exists already")
            }
            return try await store.createUser(email: email, displayName: name, roles: Array(Set(roles)).sorted(), entityIDs: entityIDs, on: connection)
        }
    }

    /// `user` is an e-mail address or a user id.
    public func createToken(user reference: String, name: String, expiresInDays: Int) async throws -> (TokenRecord, AccessToken) {
        guard (1...TokenLifetime.maximumDays).contains(expiresInDays) else {
            throw Failure(description: "a token lives 1 to \(TokenLifetime.maximumDays) days")
        }
        return try await database.withTransaction { connection in
            let rows = try await connection.query("""
                SELECT id, active FROM users WHERE id::text = \(reference.lowercased()) OR email = \(reference)::citext
                """)
            guard let row = rows.first else { throw Failure(description: "no user with e-mail address or id \(reference)") }
            guard try row.decode("active", as: Bool.self) else { throw Failure(description: "that user is deactivated") }
            return try await store.createToken(
                userID: try row.decode("id"), name: name, expiresAt: Date().addingTimeInterval(Double(expiresInDays) * 86_400),
                on: connection)
        }
    }

    /// `token` is the token's id, its prefix, or the whole secret.
    public func revokeToken(_ token: String) async throws {
        let prefix = AccessToken(bearerValue: token)?.prefix ?? token
        let revoked = try await database.withConnection { connection in
            try await connection.query("""
                UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE prefix = \(prefix) OR id::text = \(token.lowercased())
                """).affectedRows
        }
        guard revoked == 1 else { throw Failure(description: "no token with that id or prefix") }
    }
}
