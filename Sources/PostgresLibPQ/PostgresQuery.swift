/// The bound parameters of a query, kept in one buffer so a query allocates little.
public struct PostgresBindings: Sendable, Hashable {
    struct Parameter: Sendable, Hashable {
        var type: UInt32
        var offset: Int
        /// -1 for NULL.
        var length: Int32
    }

    var bytes: [UInt8] = []
    var parameters: [Parameter] = []

    public init() {}

    public var count: Int { parameters.count }

    public mutating func append<Value: PostgresEncodable>(_ value: Value) {
        let offset = bytes.count
        let isValue = value.encode(into: &bytes)
        let length = isValue ? Int32(bytes.count - offset) : -1
        parameters.append(Parameter(type: Value.postgresType.rawValue, offset: offset, length: length))
    }
}

/// A SQL statement whose interpolated values become bound parameters:
///
///     let rows = try await connection.query("SELECT name FROM users WHERE id = \(id)")
///
/// sends `SELECT name FROM users WHERE id = $1` with `id` bound. SQL text that is not a
/// literal can only be added with the explicitly unsafe spellings `\(unsafeRaw:)` and
/// `PostgresQuery(unsafeSQL:)`, which must never carry input from outside.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var bindings: PostgresBindings
    /// UTF-8 offsets in `sql` of the `$n` placeholders made by interpolation, so that `append`
    /// renumbers exactly those and never a `$1` inside a string literal.
    private var placeholderOffsets: [Int]

    public init(unsafeSQL sql: String, bindings: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.bindings = bindings
        placeholderOffsets = []
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        sql = stringInterpolation.sql
        bindings = stringInterpolation.bindings
        placeholderOffsets = stringInterpolation.placeholderOffsets
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var bindings = PostgresBindings()
        var placeholderOffsets: [Int] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            bindings.append(value)
            placeholderOffsets.append(sql.utf8.count)
            sql += "$\(bindings.count)"
        }

        /// nil binds SQL NULL. (Spelled out so the compiler does not warn about interpolating an optional.)
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            bindings.append(value)
            placeholderOffsets.append(sql.utf8.count)
            sql += "$\(bindings.count)"
        }

        /// Pastes SQL text as it is. Only for fixed fragments chosen by code, never for input.
        public mutating func appendInterpolation(unsafeRaw sql: String) {
            self.sql += sql
        }

        /// Embeds another query (a shared predicate, say) with its parameters renumbered.
        public mutating func appendInterpolation(fragment: PostgresQuery) {
            var query = PostgresQuery(stringInterpolation: self)
            query.append(fragment)
            sql = query.sql
            bindings = query.bindings
            placeholderOffsets = query.placeholderOffsets
        }
    }

    /// Appends another query, renumbering its parameters to follow this one's.
    public mutating func append(_ other: PostgresQuery) {
        let shift = bindings.count
        var text = Array(other.sql.utf8)
        // Back to front, so earlier offsets stay valid while the text changes length.
        for offset in other.placeholderOffsets.reversed() {
            var end = offset + 1
            while end < text.count, text[end] >= UInt8(ascii: "0"), text[end] <= UInt8(ascii: "9") { end += 1 }
            let number = Int(String(decoding: text[(offset + 1)..<end], as: UTF8.self)) ?? 0
            text.replaceSubrange(offset..<end, with: Array("$\(number + shift)".utf8))
        }
        var offsets: [Int] = []
        var growth = 0
        for offset in other.placeholderOffsets {
            offsets.append(sql.utf8.count + offset + growth)
            let number = bindings.count + offsets.count
            growth += String(number).utf8.count - String(number - shift).utf8.count
        }
        sql += String(decoding: text, as: UTF8.self)
        placeholderOffsets += offsets
        let base = bindings.bytes.count
        bindings.bytes += other.bindings.bytes
        bindings.parameters += other.bindings.parameters.map {
            PostgresBindings.Parameter(type: $0.type, offset: $0.offset + base, length: $0.length)
        }
    }

    public static func + (lhs: PostgresQuery, rhs: PostgresQuery) -> PostgresQuery {
        var result = lhs
        result.append(rhs)
        return result
    }
}
