import Foundation
import HTTPTypes
import OpenAPIRuntime
import PostgresLibPQ

/// Turns the bearer token into the request's `Principal`, for every operation the spec does
/// not mark public. Also refuses query parameters the operation does not define, since the
/// generated layer ignores them silently. Runs inside the generated server, which tells it
/// the operation.
struct AuthenticationMiddleware: ServerMiddleware {
    let database: PostgresClient
    let identity: IdentityStore
    let specification: APISpecification
    /// nil: every request asks the database.
    let cache: PrincipalCache?
    let now: @Sendable () -> Date

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if specification.publicOperations.contains(operationID) {
            try refuseUnknownQueryParameters(request, operationID: operationID)
            try specification.checkParameters(of: request, operationID: operationID)
            return try await next(request, body, metadata)
        }
        // Who is asking comes first: without a valid token, nothing else is answered.
        let principal = try await authenticate(request.headerFields[.authorization])
        if let action = AccessPolicy.action(forOperation: operationID) { try AccessPolicy.require(principal, action) }
        try refuseUnknownQueryParameters(request, operationID: operationID)
        try specification.checkParameters(of: request, operationID: operationID)
        if !UnstorableJSON.refusals.isEmpty { throw Problem.badRequest(UnstorableJSON.refusals) }
        return try await Principal.$current.withValue(principal) { try await next(request, body, metadata) }
    }

    private func refuseUnknownQueryParameters(_ request: HTTPRequest, operationID: String) throws(Problem) {
        guard let path = request.path, path.utf8.contains(UInt8(ascii: "?")) else { return }
        let allowed = specification.queryParameters[operationID] ?? []
        let unknown = QueryItems(path: path).names.subtracting(allowed).sorted()
        guard unknown.isEmpty else {
            throw Problem.badRequest(unknown.map {
                InputIssue(.unknownInput, in: .query, name: $0, detail: "This operation has no query parameter of that name")
            })
        }
    }

    func authenticate(_ authorization: String?) async throws -> Principal {
        guard let authorization, !authorization.isEmpty else {
            throw Problem.unauthorized(.noAccessToken, detail: "Send an access token: Authorization: Bearer <token>")
        }
        let invalid = Problem.unauthorized(.invalidAccessToken, detail: "The access token is not valid")
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let token = AccessToken(bearerValue: String(parts[1].drop { $0 == " " }))
        else { throw invalid }
        let now = now()
        let generation: UInt64?
        switch cache?.lookup(prefix: token.prefix, now: now) {
        case .hit(let entry):
            guard token.matches(storedHash: entry.secretHash) else { throw invalid }
            guard entry.expiresAt > now else {
                throw Problem.unauthorized(.expiredAccessToken, detail: "The access token has expired")
            }
            if Self.needsUseRecorded(lastUsedAt: entry.lastUsedAt, now: now) {
                try await database.withConnection { try await identity.touch(tokenID: entry.principal.tokenID, on: $0) }
                cache?.recordUse(prefix: token.prefix, at: now)
            }
            return entry.principal
        case .miss(let current):
            generation = current
        case nil:
            generation = nil
        }
        return try await database.withConnection { connection in
            guard let holder = try await identity.tokenHolder(prefix: token.prefix, on: connection),
                token.matches(storedHash: holder.secretHash), holder.revokedAt == nil, holder.user.active
            else { throw invalid }
            guard holder.expiresAt > now else {
                throw Problem.unauthorized(.expiredAccessToken, detail: "The access token has expired")
            }
            var lastUsedAt = holder.lastUsedAt
            if Self.needsUseRecorded(lastUsedAt: lastUsedAt, now: now) {
                try await identity.touch(tokenID: holder.tokenID, on: connection)
                lastUsedAt = now
            }
            let principal = Principal(user: holder.user, tokenID: holder.tokenID, scopeEntityIDs: holder.scopeEntityIDs)
            cache?.store(
                .init(principal: principal, secretHash: holder.secretHash, expiresAt: holder.expiresAt, lastUsedAt: lastUsedAt),
                prefix: token.prefix, generation: generation, now: now)
            return principal
        }
    }

    /// Only a use that was let in counts, and at most once a minute.
    private static func needsUseRecorded(lastUsedAt: Date?, now: Date) -> Bool {
        lastUsedAt.map { now.timeIntervalSince($0) > 60 } ?? true
    }
}
