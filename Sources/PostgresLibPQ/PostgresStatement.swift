/// A statement with what its rows mean: a store can hand one out, and a caller runs it in
/// the same round trip as another store's (`PostgresConnection.run`).
public struct PostgresStatement<Value> {
    public let query: PostgresQuery
    let decode: (PostgresRows) throws -> Value

    public init(_ query: PostgresQuery, decode: @escaping (PostgresRows) throws -> Value) {
        self.query = query
        self.decode = decode
    }
}
