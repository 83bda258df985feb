import Foundation
import OpenAPIRuntime
import PostgresLibPQ
import VeerkrachtAPI

// The identity operations: map API types to domain values, ask the policy, call the store.

extension VeerkrachtAPIService {
    // MARK: - Me

    func getCurrentUser(_ input: Operations.GetCurrentUser.Input) async throws -> Operations.GetCurrentUser.Output {
        let principal = try Principal.required()
        let etag = ETag.make(id: principal.user.id, version: principal.user.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(principal.user))))
    }

    // MARK: - Entities

    func listEntities(_ input: Operations.ListEntities.Input) async throws -> Operations.ListEntities.Output {
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let parent = input.query.parent.flatMap { Input.uuid($0, name: "parent", in: .query, issues: &issues) }
        try Input.check(issues)
        let (entities, next) = try await database.withConnection { try await identity.entities(parent: parent, page: page, on: $0) }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        if let parent { query.append(("parent", parent.lowercasedString)) }
        return .ok(.init(body: .json(.init(
            items: entities.map(Components.Schemas.Entity.init), next: nextPageLink(path: "/v1/entities", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createEntity(_ input: Operations.CreateEntity.Input) async throws -> Operations.CreateEntity.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        if !EntityRules.isValidCode(body.code) {
            issues.append(InputIssue(in: .body, name: "code", detail: "2 to 32 upper-case letters, digits and single hyphens, starting with a letter", value: body.code))
        }
        if !EntityRules.isValidName(body.name) { issues.append(InputIssue(in: .body, name: "name", detail: "1 to 200 characters, not only spaces")) }
        let parent = body.parentId.flatMap { Input.uuid($0, name: "parentId", in: .body, issues: &issues) }
        try Input.check(issues)

        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createEntity", request: body, on: connection) {
                if let parent, try await identity.entity(id: parent, on: connection) == nil {
                    throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "parentId", detail: "No entity has this id"))
                }
                let entity = try await identity.createEntity(code: body.code, name: body.name, parentID: parent, on: connection)
                return Created(Components.Schemas.Entity(entity), href: Href.entity(entity.id), etag: ETag.make(id: entity.id, version: entity.version))
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getEntity(_ input: Operations.GetEntity.Input) async throws -> Operations.GetEntity.Output {
        let id = try Input.uuid(input.path.entityId, name: "entityId", in: .path)
        guard let entity = try await database.withConnection({ try await identity.entity(id: id, on: $0) }) else { throw Problem.notFound }
        let etag = ETag.make(id: entity.id, version: entity.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(entity))))
    }

    func updateEntity(_ input: Operations.UpdateEntity.Input) async throws -> Operations.UpdateEntity.Output {
        let id = try Input.uuid(input.path.entityId, name: "entityId", in: .path)
        let patch: Components.Schemas.EntityPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        var issues: [InputIssue] = []
        if MergePatch.nullKeys.contains("name") { issues.append(InputIssue(in: .body, name: "name", detail: "An entity always has a name")) }
        if let name = patch.name, !EntityRules.isValidName(name) {
            issues.append(InputIssue(in: .body, name: "name", detail: "1 to 200 characters, not only spaces"))
        }
        // `.some(nil)`: make it a root; nil: leave the parent as it is.
        var parent: UUID?? = MergePatch.nullKeys.contains("parentId") ? .some(nil) : nil
        if let text = patch.parentId, let newParent = Input.uuid(text, name: "parentId", in: .body, issues: &issues) { parent = .some(newParent) }
        try Input.check(issues)

        let entity = try await database.withTransaction { connection -> Entity in
            guard let current = try await identity.entity(id: id, on: connection) else { throw Problem.notFound }
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: current.id, version: current.version))
            if case .some(.some(let newParent)) = parent {
                guard try await identity.entity(id: newParent, on: connection) != nil else {
                    throw Problem.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: "parentId", detail: "No entity has this id"))
                }
                if try await identity.wouldCycle(entity: id, newParent: newParent, on: connection) {
                    throw Problem.conflict("An entity cannot be moved below itself")
                }
            }
            guard let updated = try await identity.updateEntity(id: id, version: current.version, name: patch.name, parent: parent, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            return updated
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: entity.id, version: entity.version)), body: .json(.init(entity))))
    }

    // MARK: - Users

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        let roles = (input.query.role ?? []).compactMap { Role(rawValue: $0.rawValue) }
        let entity = input.query.entity.flatMap { Input.uuid($0, name: "entity", in: .query, issues: &issues) }
        try Input.check(issues)
        let filter = IdentityStore.UserFilter(roles: roles, entityID: entity, active: input.query.active)
        let (users, next) = try await database.withConnection { try await identity.users(filter, page: page, on: $0) }
        var query: [(String, String)] = [("pageSize", String(page.size))]
        query += roles.map { ("role", $0.rawValue) }
        if let entity { query.append(("entity", entity.lowercasedString)) }
        if let active = input.query.active { query.append(("active", String(active))) }
        return .ok(.init(body: .json(.init(
            items: users.map(Components.Schemas.User.init), next: nextPageLink(path: "/v1/users", query: query, cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let principal = try Principal.required()
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        var issues: [InputIssue] = []
        if !UserRules.isValidEmail(body.email) { issues.append(InputIssue(in: .body, name: "email", detail: "This is not an e-mail address")) }
        if !UserRules.isValidDisplayName(body.displayName) {
            issues.append(InputIssue(in: .body, name: "displayName", detail: "1 to 200 characters, not only spaces"))
        }
        let roles = Self.roles(body.roles, issues: &issues)
        let permissions = Self.permissions(body.permissions ?? [], roles: roles, issues: &issues)
        let entityIDs = Self.entityIDs(body.entityIds ?? [], issues: &issues)
        try Input.check(issues)

        let (stored, _) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createUser", request: body, on: connection) {
                try await requireEntitiesExist(entityIDs, on: connection)
                if try await identity.userExists(email: body.email, on: connection) {
                    throw Problem.conflict("Another user has this e-mail address")
                }
                let user = try await identity.createUser(
                    email: body.email, displayName: body.displayName, roles: roles, permissions: permissions, entityIDs: entityIDs,
                    on: connection)
                return Created(Components.Schemas.User(user), href: Href.user(user.id), etag: ETag.make(id: user.id, version: user.version))
            }
        }
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(stored.resource)))
    }

    func getUser(_ input: Operations.GetUser.Input) async throws -> Operations.GetUser.Output {
        let id = try Input.uuid(input.path.userId, name: "userId", in: .path)
        guard let user = try await database.withConnection({ try await identity.user(id: id, on: $0) }) else { throw Problem.notFound }
        let etag = ETag.make(id: user.id, version: user.version)
        if ETag.noneMatchHits(input.headers.ifNoneMatch, current: etag) { return .notModified(.init(headers: .init(eTag: etag))) }
        return .ok(.init(headers: .init(eTag: etag), body: .json(.init(user))))
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        let id = try Input.uuid(input.path.userId, name: "userId", in: .path)
        let patch: Components.Schemas.UserPatch = switch input.body {
        case .json(let body), .applicationMergePatchJson(let body): body
        }
        var issues: [InputIssue] = []
        for key in MergePatch.nullKeys.sorted() {
            issues.append(InputIssue(in: .body, name: key, detail: "This property cannot be removed; send a value"))
        }
        if let name = patch.displayName, !UserRules.isValidDisplayName(name) {
            issues.append(InputIssue(in: .body, name: "displayName", detail: "1 to 200 characters, not only spaces"))
        }
        let roles = patch.roles.map { Self.roles($0, issues: &issues) }
        let requestedPermissions = patch.permissions
        let entityIDs = patch.entityIds.map { Self.entityIDs($0, issues: &issues) }
        try Input.check(issues)

        let user = try await database.withTransaction { connection -> User in
            guard let current = try await identity.user(id: id, on: connection) else { throw Problem.notFound }
            try ETag.requireMatch(input.headers.ifMatch, current: ETag.make(id: current.id, version: current.version))
            try await requireEntitiesExist(entityIDs ?? [], on: connection)
            let staysAdministrator = (patch.active ?? current.active) && (roles ?? current.roles).contains(.admin)
            if current.active, current.roles.contains(.admin), !staysAdministrator,
                try await identity.otherActiveAdministrators(than: id, on: connection) == 0
            {
                throw Problem.conflict("This is the last active administrator")
            }
            // A permission needs its role: checked against what the user ends up with.
            var issues: [InputIssue] = []
            let permissions = requestedPermissions.map { Self.permissions($0, roles: roles ?? current.roles, issues: &issues) }
            if permissions == nil, current.permissions.contains(.approveOffers), !(roles ?? current.roles).contains(.hr) {
                issues.append(InputIssue(in: .body, name: "roles", detail: "Without role hr the user cannot keep permission approveOffers; remove it as well"))
            }
            try Input.check(issues)
            let changes = IdentityStore.UserChanges(
                displayName: patch.displayName, roles: roles, permissions: permissions, entityIDs: entityIDs, active: patch.active)
            guard let updated = try await identity.updateUser(id: id, version: current.version, changes, on: connection) else {
                throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
            }
            return updated
        }
        return .ok(.init(headers: .init(eTag: ETag.make(id: user.id, version: user.version)), body: .json(.init(user))))
    }

    private static func roles(_ roles: [Components.Schemas.Role], issues: inout [InputIssue]) -> [Role] {
        if Set(roles).count != roles.count { issues.append(InputIssue(in: .body, name: "roles", detail: "Each role may be given once")) }
        return Array(Set(roles.compactMap { Role(rawValue: $0.rawValue) })).sorted()
    }

    private static func permissions(
        _ permissions: [Components.Schemas.Permission], roles: [Role], issues: inout [InputIssue]
    ) -> [Permission] {
        let granted = Array(Set(permissions.compactMap { Permission(rawValue: $0.rawValue) })).sorted { $0.rawValue < $1.rawValue }
        if granted.contains(.approveOffers), !roles.contains(.hr) {
            issues.append(InputIssue(in: .body, name: "permissions", detail: "approveOffers is for users with role hr"))
        }
        return granted
    }

    private static func entityIDs(_ texts: [String], issues: inout [InputIssue]) -> [UUID] {
        if texts.count > 100 { issues.append(InputIssue(in: .body, name: "entityIds", detail: "At most 100 entities")) }
        let ids = texts.enumerated().compactMap { Input.uuid($0.element, name: "entityIds[\($0.offset)]", in: .body, issues: &issues) }
        if Set(ids).count != ids.count { issues.append(InputIssue(in: .body, name: "entityIds", detail: "Each entity may be given once")) }
        return ids
    }

    private func requireEntitiesExist(_ ids: [UUID], on connection: PostgresConnection) async throws {
        let missing = Set(try await identity.missingEntities(ids, on: connection))
        guard missing.isEmpty else {
            throw Problem.badRequest(ids.enumerated().filter { missing.contains($0.element) }.map {
                InputIssue(.referencedResourceNotFound, in: .body, name: "entityIds[\($0.offset)]", detail: "No entity has this id")
            })
        }
    }

    // MARK: - Tokens

    func listUserTokens(_ input: Operations.ListUserTokens.Input) async throws -> Operations.ListUserTokens.Output {
        let userID = try Input.uuid(input.path.userId, name: "userId", in: .path)
        var issues: [InputIssue] = []
        let page = PageRequest(pageSize: input.query.pageSize, cursor: input.query.cursor, issues: &issues)
        try Input.check(issues)
        let (tokens, next) = try await database.withConnection { connection in
            guard try await identity.user(id: userID, on: connection) != nil else { throw Problem.notFound }
            return try await identity.tokens(userID: userID, page: page, on: connection)
        }
        let now = now()
        return .ok(.init(body: .json(.init(
            items: tokens.map { Components.Schemas.Token($0, now: now) },
            next: nextPageLink(path: Href.user(userID) + "/tokens", query: [("pageSize", String(page.size))], cursor: next),
            pageSize: Int32(page.size)))))
    }

    func createUserToken(_ input: Operations.CreateUserToken.Input) async throws -> Operations.CreateUserToken.Output {
        let principal = try Principal.required()
        let userID = try Input.uuid(input.path.userId, name: "userId", in: .path)
        guard case .json(let body) = input.body else { throw Problem(.unsupportedMediaType) }
        let now = now()
        var issues: [InputIssue] = []
        if !(1...100).contains(body.name.characterCount) { issues.append(InputIssue(in: .body, name: "name", detail: "1 to 100 characters")) }
        let expiresAt = TokenLifetime.expiry(expiresOn: body.expiresOn, expiresInDays: body.expiresIn.map(Int.init), now: now, issues: &issues)
        try Input.check(issues)

        var secret: String?
        let (stored, replayed) = try await database.withTransaction { connection in
            try await idempotency.run(key: input.headers.idempotencyKey, userID: principal.userID, operation: "createUserToken", request: body, on: connection) {
                guard let user = try await identity.user(id: userID, on: connection) else { throw Problem.notFound }
                guard user.active else { throw Problem.conflict("The user is deactivated") }
                let (record, token) = try await identity.createToken(userID: userID, name: body.name, expiresAt: expiresAt ?? now, on: connection)
                secret = token.bearerValue
                // Stored without the secret: a replay never shows it.
                return Created(Components.Schemas.Token(record, now: now), href: Href.token(record.id, of: userID),
                    etag: ETag.make(id: record.id, version: 1))
            }
        }
        let token = stored.resource
        return .created(.init(
            headers: .init(location: stored.location ?? "", eTag: stored.etag ?? ""),
            body: .json(.init(value1: token, value2: .init(secret: replayed ? nil : secret)))))
    }

    func revokeUserToken(_ input: Operations.RevokeUserToken.Input) async throws -> Operations.RevokeUserToken.Output {
        let userID = try Input.uuid(input.path.userId, name: "userId", in: .path)
        let tokenID = try Input.uuid(input.path.tokenId, name: "tokenId", in: .path)
        guard try await database.withConnection({ try await identity.revokeToken(id: tokenID, userID: userID, on: $0) }) else {
            throw Problem.notFound
        }
        return .noContent(.init())
    }
}

/// The paths of identity resources, for `href` and `Location`.
enum Href {
    static func entity(_ id: UUID) -> String { "/v1/entities/\(id.lowercasedString)" }
    static func user(_ id: UUID) -> String { "/v1/users/\(id.lowercasedString)" }
    static func token(_ id: UUID, of userID: UUID) -> String { user(userID) + "/tokens/\(id.lowercasedString)" }
}

extension Components.Schemas.Entity {
    init(_ entity: Entity) {
        self.init(
            id: entity.id.lowercasedString, href: Href.entity(entity.id), code: entity.code, name: entity.name,
            parentId: entity.parentID?.lowercasedString, createdAt: entity.createdAt, updatedAt: entity.updatedAt)
    }
}

extension Components.Schemas.User {
    init(_ user: User) {
        self.init(
            id: user.id.lowercasedString, href: Href.user(user.id), email: user.email, displayName: user.displayName,
            roles: user.roles.compactMap { Components.Schemas.Role(rawValue: $0.rawValue) },
            permissions: user.permissions.isEmpty ? nil : user.permissions.compactMap { .init(rawValue: $0.rawValue) },
            entities: user.entities.map {
                .init(id: $0.id.lowercasedString, code: $0.code, name: $0.name, href: Href.entity($0.id))
            },
            active: user.active, createdAt: user.createdAt, updatedAt: user.updatedAt)
    }
}

extension Components.Schemas.Token {
    init(_ token: TokenRecord, now: Date) {
        self.init(
            id: token.id.lowercasedString, href: Href.token(token.id, of: token.userID), userId: token.userID.lowercasedString,
            name: token.name, prefix: token.prefix, status: .init(rawValue: token.status(at: now).rawValue) ?? .active,
            createdAt: token.createdAt, expiresAt: token.expiresAt, lastUsedAt: token.lastUsedAt, revokedAt: token.revokedAt)
    }
}
