import Foundation
import PostgresLibPQ

/// One page of a keyset-paginated collection.
public struct PageRequest: Sendable, Equatable {
    public static let defaultSize = 20
    public static let maximumSize = 100

    public var size: Int
    /// The sort key and id of the last row of the previous page.
    public var after: Cursor?

    /// Reads `pageSize` and `cursor`, reporting bad values as input issues.
    public init(pageSize: Int32?, cursor: String?, issues: inout [InputIssue]) {
        size = Self.defaultSize
        if let pageSize {
            if (1...Int32(Self.maximumSize)).contains(pageSize) {
                size = Int(pageSize)
            } else {
                issues.append(InputIssue(in: .query, name: "pageSize", detail: "pageSize must be from 1 to \(Self.maximumSize)", value: String(pageSize)))
            }
        }
        after = nil
        if let cursor {
            if let decoded = Cursor(encoded: cursor) {
                after = decoded
            } else {
                issues.append(InputIssue(in: .query, name: "cursor", detail: "Use the next link of a previous page as it is"))
            }
        }
    }

    public init(size: Int = PageRequest.defaultSize, after: Cursor? = nil) {
        self.size = size
        self.after = after
    }
}

/// An opaque position in a sorted collection: base64url of the last row's sort key and id.
public struct Cursor: Sendable, Equatable, Codable {
    public var key: String
    public var id: UUID

    public init(key: String, id: UUID) {
        self.key = key
        self.id = id
    }

    init?(encoded: String) {
        guard encoded.utf8.count <= 1024, let data = Data(base64URLEncoded: encoded),
            let cursor = try? JSONDecoder().decode(Cursor.self, from: data)
        else { return nil }
        self = cursor
    }

    public var encoded: String {
        ((try? JSONEncoder().encode(self)) ?? Data()).base64URLEncoded
    }
}

extension Cursor {
    /// The id half of a cursor over rows without a UUID (ordered by a bigint id or text key).
    public static let noID = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// A position in a collection sorted by a timestamp, kept in whole microseconds as
    /// PostgreSQL keeps it, so the next page starts exactly after the last row.
    public init(instant: Date, id: UUID) {
        self.init(key: String(Int64((instant.timeIntervalSince1970 * 1_000_000).rounded())), id: id)
    }

    /// The timestamp of a cursor made by `init(instant:id:)`; nil for another kind of key.
    public var instant: Date? {
        Int64(key).map { Date(timeIntervalSince1970: Double($0) / 1_000_000) }
    }
}

/// The absolute link to the next page: the same path and query with the new cursor.
public func nextPageLink(path: String, query: [(String, String)], cursor: Cursor?) -> String? {
    guard let cursor, let scope = RequestScope.current else { return nil }
    var components = URLComponents()
    components.queryItems = (query + [("cursor", cursor.encoded)]).map { URLQueryItem(name: $0.0, value: $0.1) }
    return scope.baseURL + path + "?" + (components.percentEncodedQuery ?? "")
}

extension PageRequest {
    /// What a page query asks for: one row more than the page, to know whether another follows.
    public var limit: Int { size + 1 }

    /// The page's items from rows read with `LIMIT limit`, and the cursor after its last item
    /// when another row followed.
    public func split<Item>(
        _ rows: PostgresRows, _ decode: (PostgresRow) throws -> Item, cursor: (Item) throws -> Cursor
    ) throws -> ([Item], Cursor?) {
        let items = try rows.prefix(size).map(decode)
        return (items, rows.count > size ? try items.last.map(cursor) : nil)
    }
}
