import Crypto
import Foundation
import PostgresLibPQ

/// What a create answers: the resource, with the status, `Location` and `ETag` to send.
public struct Created<Resource: Codable & Sendable>: Sendable {
    public var status: Int
    public var location: String?
    public var etag: String?
    public var resource: Resource

    public init(_ resource: Resource, status: Int = 201, href: String? = nil, etag: String? = nil) {
        self.resource = resource
        self.status = status
        self.location = href
        self.etag = etag
    }
}

/// `Idempotency-Key` on creates: the same key with the same request by the same user returns
/// the first answer again; with another request it is refused (422). The stored answer is
/// written in the transaction that made the effect, so it exists exactly when the effect does.
public struct IdempotencyStore: Sendable {
    public static let maximumKeyLength = 255
    public static let lifetime: Duration = .seconds(24 * 3600)

    public init() {}

    /// Runs `create` once per (user, key). The transaction-level advisory lock makes a
    /// concurrent retry wait for the first attempt and then find its answer.
    /// The resource is turned into JSON only to be stored under a key, and back only on a replay.
    public func run<Resource>(
        key: String?, userID: UUID, operation: String, request: some Encodable, on connection: PostgresConnection,
        _ create: () async throws -> Created<Resource>
    ) async throws -> (created: Created<Resource>, replayed: Bool) {
        guard let key else { return (try await create(), false) }
        // Characters, as the document's maxLength counts them.
        guard (1...Self.maximumKeyLength).contains(key.unicodeScalars.count) else {
            throw Problem.badRequest(InputIssue(in: .header, name: "Idempotency-Key", detail: "The key must be 1 to 255 characters"))
        }
        let hash = try Self.hash(operation: operation, request: request)
        // The lock travels with the look-up in one round trip.
        try connection.queue("SELECT pg_advisory_xact_lock(hashtextextended(\(userID.lowercasedString + "/" + key), 0))")
        let rows = try await connection.query("""
            SELECT operation, request_hash, status, location, etag, body FROM idempotency_keys
            WHERE user_id = \(userID) AND key = \(key) AND created_at > now() - \(Int(Self.lifetime.components.seconds)) * interval '1 second'
            """)
        if let row = try rows.singleRow() {
            guard try row.decode("operation", as: String.self) == operation, try row.decode("request_hash", as: Data.self) == hash else {
                throw Problem(.idempotencyKeyReused, detail: "This Idempotency-Key was used for another request; use a new key")
            }
            let resource = try APICoding.decoder.decode(Resource.self, from: try row.decode("body", as: Data.self))
            return (Created(
                resource, status: try row.decode("status"), href: try row.decode("location"), etag: try row.decode("etag")),
                true)
        }
        let created = try await create()
        // Queued: it commits with the transaction, which the caller ends.
        try connection.queue("""
            INSERT INTO idempotency_keys (user_id, key, operation, request_hash, status, location, etag, body)
            VALUES (\(userID), \(key), \(operation), \(hash), \(Int32(created.status)), \(created.location), \(created.etag),
                    \(try APICoding.encoder.encode(created.resource)))
            ON CONFLICT (user_id, key) DO UPDATE SET
                operation = EXCLUDED.operation, request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,
                location = EXCLUDED.location, etag = EXCLUDED.etag, body = EXCLUDED.body, created_at = now()
            """)
        return (created, false)
    }

    /// Removes keys older than their lifetime; returns how many.
    @discardableResult
    public func prune(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("""
            DELETE FROM idempotency_keys WHERE created_at < now() - \(Int(Self.lifetime.components.seconds)) * interval '1 second'
            """).affectedRows
    }

    static func hash(operation: String, request: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data(operation.utf8)
        data.append(0)
        data.append(try encoder.encode(request))
        return Data(SHA256.hash(data: data))
    }
}

/// Keys that a JSON Merge Patch body sets to `null`: the generated types cannot tell them
/// from keys left out, and in a merge patch they mean "remove".
public enum MergePatch {
    @TaskLocal public static var nullKeys: Set<String> = []

    static func nullKeys(in body: Any?) -> Set<String> {
        guard let object = body as? [String: Any] else { return [] }
        return Set(object.filter { $0.value is NSNull }.map(\.key))
    }
}
