import CLibPQ

/// The names and types of a result's columns. A prepared statement answers with the same
/// columns every time, so a connection reads them once per statement, not once per result.
final class ColumnLayout: Sendable {
    let names: [String]
    let types: [PostgresType]
    let index: [String: Int]

    init(_ result: OpaquePointer) {
        let columns = Int(PQnfields(result))
        var names: [String] = []
        var types: [PostgresType] = []
        var index: [String: Int] = [:]
        names.reserveCapacity(columns)
        types.reserveCapacity(columns)
        for column in 0..<columns {
            let name = PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?"
            names.append(name)
            types.append(PostgresType(rawValue: PQftype(result, Int32(column))))
            if index[name] == nil { index[name] = column }
        }
        self.names = names
        self.types = types
        self.index = index
    }
}

/// Owns one `PGresult` and clears it when the last reference goes. A result is immutable
/// once libpq hands it over, so reading it from several threads is safe.
final class PostgresResult: @unchecked Sendable {
    let pointer: OpaquePointer
    let rowCount: Int
    let columns: ColumnLayout
    let affectedRows: Int

    init(_ pointer: OpaquePointer, columns: ColumnLayout? = nil) {
        self.pointer = pointer
        rowCount = Int(PQntuples(pointer))
        self.columns = columns ?? ColumnLayout(pointer)
        affectedRows = PQcmdTuples(pointer).flatMap { Int(String(cString: $0)) } ?? 0
    }

    deinit { PQclear(pointer) }
}

/// The rows a statement returned, plus how many rows it affected.
public struct PostgresRows: RandomAccessCollection, Sendable {
    let result: PostgresResult

    init(result: PostgresResult) { self.result = result }

    public var startIndex: Int { 0 }
    public var endIndex: Int { result.rowCount }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: result, index: position) }

    public var columnNames: [String] { result.columns.names }
    /// Rows inserted, updated, deleted or selected, as the server's command tag says.
    public var affectedRows: Int { result.affectedRows }

    /// The only row, or nil when there is none; more than one is a misuse error.
    public func singleRow() throws -> PostgresRow? {
        guard count <= 1 else { throw PostgresError.misuse("expected at most one row, got \(count)") }
        return first
    }
}

/// One row of a result; columns are read by position or by name.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    public var columnCount: Int { result.columns.names.count }

    public func decode<Value: PostgresDecodable>(_ column: Int, as type: Value.Type = Value.self) throws -> Value {
        guard column >= 0, column < result.columns.names.count else {
            throw PostgresDecodingError(reason: .noSuchColumn, column: "#\(column)", swiftType: "\(Value.self)")
        }
        let row = Int32(index)
        let field = Int32(column)
        let postgresType = result.columns.types[column]
        do {
            if PQgetisnull(result.pointer, row, field) == 1 {
                return try Value.decodeNullable(from: nil, type: postgresType)
            }
            let bytes = UnsafeRawBufferPointer(
                start: PQgetvalue(result.pointer, row, field),
                count: Int(PQgetlength(result.pointer, row, field)))
            return try Value.decodeNullable(from: bytes, type: postgresType)
        } catch {
            let reason: PostgresDecodingError.Reason = switch error {
            case .unexpectedNull: .unexpectedNull
            case .typeMismatch: .typeMismatch
            case .invalidData: .invalidData
            }
            throw PostgresDecodingError(
                reason: reason, column: result.columns.names[column], swiftType: "\(Value.self)",
                postgresType: postgresType.rawValue)
        }
    }

    public func decode<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        guard let position = result.columns.index[column] else {
            throw PostgresDecodingError(reason: .noSuchColumn, column: column, swiftType: "\(Value.self)")
        }
        return try decode(position, as: Value.self)
    }

    /// Decodes all columns at once, in order: `let (id, name) = try row.decode((UUID, String).self)`.
    public func decode<each Value: PostgresDecodable>(_ types: (repeat each Value).Type) throws -> (repeat each Value) {
        var column = 0
        func next<Column: PostgresDecodable>(_ type: Column.Type) throws -> Column {
            defer { column += 1 }
            return try decode(column, as: Column.self)
        }
        let values = (repeat try next((each Value).self))
        guard column == columnCount else {
            throw PostgresDecodingError(
                reason: .columnCountMismatch, column: "\(columnCount) columns", swiftType: "\(column) values")
        }
        return values
    }
}
