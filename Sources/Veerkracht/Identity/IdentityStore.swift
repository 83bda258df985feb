import Foundation
import PostgresLibPQ

/// The SQL of identity: entities, users, tokens. Every function takes the connection (or
/// transaction) it runs on, so callers decide what happens atomically.
public struct IdentityStore: Sendable {
    public init() {}

    // MARK: - Authentication

    /// What a bearer token's prefix finds: the token, its user and the user's scope.
    public struct TokenHolder: Sendable {
        public var tokenID: UUID
        public var secretHash: Data
        public var expiresAt: Date
        public var revokedAt: Date?
        public var lastUsedAt: Date?
        public var user: User
        public var scopeEntityIDs: Set<UUID>
    }

    /// One round trip: the token, the user as `/v1/me` shows it, and every entity below the
    /// user's own (UNION stops at a cycle, should one ever exist).
    public func tokenHolder(prefix: String, on connection: PostgresConnection) async throws -> TokenHolder? {
        let rows = try await connection.query("""
            WITH RECURSIVE token AS (
                SELECT id, user_id, secret_hash, expires_at, revoked_at, last_used_at
                FROM api_tokens WHERE prefix = \(prefix)
            ), scope(id) AS (
                SELECT ue.entity_id FROM user_entities ue JOIN token ON ue.user_id = token.user_id
                UNION
                SELECT e.id FROM entities e JOIN scope ON e.parent_id = scope.id
            )
            SELECT token.id, token.secret_hash, token.expires_at, token.revoked_at, token.last_used_at,
                   \(unsafeRaw: Self.userColumns), ARRAY(SELECT id FROM scope) AS scope_ids
            FROM token JOIN users u ON u.id = token.user_id
            """)
        guard let row = try rows.singleRow() else { return nil }
        return TokenHolder(
            tokenID: try row.decode("id"), secretHash: try row.decode("secret_hash"),
            expiresAt: try row.decode("expires_at"), revokedAt: try row.decode("revoked_at"),
            lastUsedAt: try row.decode("last_used_at"), user: try Self.user(from: row, idColumn: "user_id"),
            scopeEntityIDs: Set(try row.decode("scope_ids", as: [UUID].self)))
    }

    /// Records use at most once a minute per token, so reads do not all turn into writes.
    public func touch(tokenID: UUID, on connection: PostgresConnection) async throws {
        try await connection.query("""
            UPDATE api_tokens SET last_used_at = now()
            WHERE id = \(tokenID) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            """)
    }

    // MARK: - Users

    /// The columns of a user, with their entities as three arrays in code order.
    static let userColumns = """
        u.id AS user_id, u.email::text AS email, u.display_name, u.roles, u.permissions, u.active, u.version,
        u.created_at, u.updated_at,
        ARRAY(SELECT e.id FROM user_entities ue JOIN entities e ON e.id = ue.entity_id WHERE ue.user_id = u.id ORDER BY e.code) AS entity_ids,
        ARRAY(SELECT e.code FROM user_entities ue JOIN entities e ON e.id = ue.entity_id WHERE ue.user_id = u.id ORDER BY e.code) AS entity_codes,
        ARRAY(SELECT e.name FROM user_entities ue JOIN entities e ON e.id = ue.entity_id WHERE ue.user_id = u.id ORDER BY e.code) AS entity_names
        """

    static func user(from row: PostgresRow, idColumn: String = "user_id") throws -> User {
        let ids = try row.decode("entity_ids", as: [UUID].self)
        let codes = try row.decode("entity_codes", as: [String].self)
        let names = try row.decode("entity_names", as: [String].self)
        return User(
            id: try row.decode(idColumn), email: try row.decode("email"), displayName: try row.decode("display_name"),
            roles: try row.decode("roles", as: [String].self).compactMap(Role.init(rawValue:)).sorted(),
            permissions: try row.decode("permissions", as: [String].self).compactMap(Permission.init(sqlValue:)),
            entities: zip(ids, zip(codes, names)).map { EntityReference(id: $0.0, code: $0.1.0, name: $0.1.1) },
            active: try row.decode("active"), version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func user(id: UUID, on connection: PostgresConnection) async throws -> User? {
        let rows = try await connection.query("SELECT \(unsafeRaw: Self.userColumns) FROM users u WHERE u.id = \(id)")
        return try rows.singleRow().map { try Self.user(from: $0) }
    }

    public struct UserFilter: Sendable {
        public var roles: [Role] = []
        public var entityID: UUID?
        public var active: Bool?
        public init(roles: [Role] = [], entityID: UUID? = nil, active: Bool? = nil) {
            self.roles = roles
            self.entityID = entityID
            self.active = active
        }
    }

    /// Users by e-mail address (case-insensitively), one page at a time.
    public func users(_ filter: UserFilter, page: PageRequest, on connection: PostgresConnection) async throws -> (users: [User], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.userColumns), lower(u.email::text) AS sort_key FROM users u WHERE true"
        if !filter.roles.isEmpty { query.append(" AND u.roles && \(filter.roles.map(\.rawValue))") }
        if let entity = filter.entityID {
            query.append(" AND EXISTS (SELECT 1 FROM user_entities ue WHERE ue.user_id = u.id AND ue.entity_id = \(entity))")
        }
        if let active = filter.active { query.append(" AND u.active = \(active)") }
        if let after = page.after { query.append(" AND (lower(u.email::text), u.id) > (\(after.key), \(after.id))") }
        query.append(" ORDER BY lower(u.email::text), u.id LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        let (page, next) = try page.split(rows, { (user: try Self.user(from: $0), sortKey: try $0.decode("sort_key", as: String.self)) }) {
            Cursor(key: $0.sortKey, id: $0.user.id)
        }
        return (page.map(\.user), next)
    }

    public func createUser(
        email: String, displayName: String, roles: [Role], permissions: [Permission] = [], entityIDs: [UUID],
        on connection: PostgresConnection
    ) async throws -> User {
        let id = try await connection.query("""
            INSERT INTO users (email, display_name, roles, permissions)
            VALUES (\(email), \(displayName), \(roles.map(\.rawValue)), \(permissions.map(\.sqlValue)))
            RETURNING id
            """)[0].decode(0, as: UUID.self)
        try await setEntities(of: id, to: entityIDs, on: connection)
        guard let user = try await user(id: id, on: connection) else { throw Problem(.internalServerError) }
        return user
    }

    public struct UserChanges: Sendable {
        public var displayName: String?
        public var roles: [Role]?
        public var permissions: [Permission]?
        public var entityIDs: [UUID]?
        public var active: Bool?
        public init(
            displayName: String? = nil, roles: [Role]? = nil, permissions: [Permission]? = nil, entityIDs: [UUID]? = nil,
            active: Bool? = nil
        ) {
            self.displayName = displayName
            self.roles = roles
            self.permissions = permissions
            self.entityIDs = entityIDs
            self.active = active
        }
    }

    /// Applies the changes if the row is still at `version`; nil when it is not.
    public func updateUser(id: UUID, version: Int64, _ changes: UserChanges, on connection: PostgresConnection) async throws -> User? {
        let updated = try await connection.query("""
            UPDATE users SET
                display_name = coalesce(\(changes.displayName), display_name),
                roles = coalesce(\(changes.roles?.map(\.rawValue)), roles),
                permissions = coalesce(\(changes.permissions?.map(\.sqlValue)), permissions),
                active = coalesce(\(changes.active), active),
                version = version + 1
            WHERE id = \(id) AND version = \(version)
            """)
        guard updated.affectedRows == 1 else { return nil }
        if let entityIDs = changes.entityIDs { try await setEntities(of: id, to: entityIDs, on: connection) }
        return try await user(id: id, on: connection)
    }

    private func setEntities(of userID: UUID, to entityIDs: [UUID], on connection: PostgresConnection) async throws {
        try await connection.query("DELETE FROM user_entities WHERE user_id = \(userID)")
        try await connection.query("""
            INSERT INTO user_entities (user_id, entity_id) SELECT \(userID), unnest(\(entityIDs))
            """)
    }

    /// Locks the active administrators' rows (so two demotions cannot both pass) and counts
    /// those other than `userID`.
    public func otherActiveAdministrators(than userID: UUID, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("""
            SELECT id FROM users WHERE active AND 'admin' = ANY (roles) AND id <> \(userID) ORDER BY id FOR UPDATE
            """).count
    }

    public func userExists(id: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM users WHERE id = \(id))")[0].decode(0, as: Bool.self)
    }

    public func userExists(email: String, on connection: PostgresConnection) async throws -> Bool {
        !(try await connection.query("SELECT 1 FROM users WHERE email = \(email)::citext").isEmpty)
    }

    public func countUsers(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM users")[0].decode(0, as: Int.self)
    }

    // MARK: - Entities

    static let entityColumns = "id, code, name, parent_id, version, created_at, updated_at"

    static func entity(from row: PostgresRow) throws -> Entity {
        Entity(
            id: try row.decode("id"), code: try row.decode("code"), name: try row.decode("name"),
            parentID: try row.decode("parent_id"), version: try row.decode("version"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    public func entity(id: UUID, on connection: PostgresConnection) async throws -> Entity? {
        let rows = try await connection.query("SELECT \(unsafeRaw: Self.entityColumns) FROM entities WHERE id = \(id)")
        return try rows.singleRow().map(Self.entity(from:))
    }

    /// Which of `ids` do not exist.
    public func missingEntities(_ ids: [UUID], on connection: PostgresConnection) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        return try await connection.query("""
            SELECT wanted.id FROM unnest(\(ids)) AS wanted(id) WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = wanted.id)
            """).map { try $0.decode(0, as: UUID.self) }
    }

    public func entities(parent: UUID?, page: PageRequest, on connection: PostgresConnection) async throws -> (entities: [Entity], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.entityColumns) FROM entities WHERE true"
        if let parent { query.append(" AND parent_id = \(parent)") }
        if let after = page.after { query.append(" AND (code, id) > (\(after.key), \(after.id))") }
        query.append(" ORDER BY code, id LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.entity(from:)) { Cursor(key: $0.code, id: $0.id) }
    }

    public func createEntity(code: String, name: String, parentID: UUID?, on connection: PostgresConnection) async throws -> Entity {
        try Self.entity(from: try await connection.query("""
            INSERT INTO entities (code, name, parent_id) VALUES (\(code), \(name), \(parentID))
            RETURNING \(unsafeRaw: Self.entityColumns)
            """)[0])
    }

    /// Whether making `newParent` the parent of `entity` would put the entity below itself.
    public func wouldCycle(entity: UUID, newParent: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            WITH RECURSIVE above(id, parent_id) AS (
                SELECT id, parent_id FROM entities WHERE id = \(newParent)
                UNION
                SELECT e.id, e.parent_id FROM entities e JOIN above ON e.id = above.parent_id
            )
            SELECT EXISTS (SELECT 1 FROM above WHERE id = \(entity))
            """)[0].decode(0, as: Bool.self)
    }

    /// `parent` is `.some(nil)` to make the entity a root, nil to leave it.
    public func updateEntity(
        id: UUID, version: Int64, name: String?, parent: UUID??, on connection: PostgresConnection
    ) async throws -> Entity? {
        let changesParent = parent != nil
        let rows = try await connection.query("""
            UPDATE entities SET
                name = coalesce(\(name), name),
                parent_id = CASE WHEN \(changesParent) THEN \(parent ?? nil) ELSE parent_id END,
                version = version + 1
            WHERE id = \(id) AND version = \(version)
            RETURNING \(unsafeRaw: Self.entityColumns)
            """)
        return try rows.singleRow().map(Self.entity(from:))
    }

    // MARK: - Tokens

    static let tokenColumns = "id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at"

    static func token(from row: PostgresRow) throws -> TokenRecord {
        TokenRecord(
            id: try row.decode("id"), userID: try row.decode("user_id"), name: try row.decode("name"),
            prefix: try row.decode("prefix"), createdAt: try row.decode("created_at"), expiresAt: try row.decode("expires_at"),
            lastUsedAt: try row.decode("last_used_at"), revokedAt: try row.decode("revoked_at"))
    }

    public func createToken(
        userID: UUID, name: String, expiresAt: Date, on connection: PostgresConnection
    ) async throws -> (record: TokenRecord, token: AccessToken) {
        let token = AccessToken.generate()
        let row = try await connection.query("""
            INSERT INTO api_tokens (user_id, name, prefix, secret_hash, expires_at)
            VALUES (\(userID), \(name), \(token.prefix), \(token.secretHash), \(expiresAt))
            RETURNING \(unsafeRaw: Self.tokenColumns)
            """)[0]
        return (try Self.token(from: row), token)
    }

    public func token(id: UUID, userID: UUID, on connection: PostgresConnection) async throws -> TokenRecord? {
        let rows = try await connection.query("SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens WHERE id = \(id) AND user_id = \(userID)")
        return try rows.singleRow().map(Self.token(from:))
    }

    /// Newest first.
    public func tokens(userID: UUID, page: PageRequest, on connection: PostgresConnection) async throws -> (tokens: [TokenRecord], next: Cursor?) {
        var query: PostgresQuery = "SELECT \(unsafeRaw: Self.tokenColumns) FROM api_tokens WHERE user_id = \(userID)"
        if let after = page.after, let createdAt = after.instant {
            query.append(" AND (created_at, id) < (\(createdAt), \(after.id))")
        }
        query.append(" ORDER BY created_at DESC, id DESC LIMIT \(page.limit)")
        let rows = try await connection.query(query)
        return try page.split(rows, Self.token(from:)) { Cursor(instant: $0.createdAt, id: $0.id) }
    }

    /// Revokes the token if it is the user's; revoking twice keeps the first time. False when
    /// the user has no such token.
    public func revokeToken(id: UUID, userID: UUID, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query("""
            UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) AND user_id = \(userID)
            """).affectedRows == 1
    }
}
