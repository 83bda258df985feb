import Foundation

/// A PostgreSQL type OID. Only the built-in ones the wrapper encodes or decodes are named.
public struct PostgresType: RawRepresentable, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let unknown = PostgresType(rawValue: 705)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
    public static let boolArray = PostgresType(rawValue: 1000)
    public static let int2Array = PostgresType(rawValue: 1005)
    public static let int4Array = PostgresType(rawValue: 1007)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let varcharArray = PostgresType(rawValue: 1015)
    public static let int8Array = PostgresType(rawValue: 1016)
    public static let float8Array = PostgresType(rawValue: 1022)
    public static let dateArray = PostgresType(rawValue: 1182)
    public static let uuidArray = PostgresType(rawValue: 2951)

    /// Types created in a database (enums, domains' arrays, citext) get OIDs from here on.
    static let firstUserDefined: UInt32 = 16384

    var isTextLike: Bool {
        self == .text || self == .varchar || self == .bpchar || self == .name || self == .unknown
            || rawValue >= Self.firstUserDefined
    }
}

/// A Swift value that can be sent as a bound parameter. Parameters always travel in binary
/// format with their type OID, so a text value is never parsed as anything but text.
public protocol PostgresEncodable: Sendable {
    /// The OID sent with the parameter, so the server checks it instead of guessing.
    static var postgresType: PostgresType { get }
    /// Appends the value's bytes; returns false for SQL NULL.
    func encode(into buffer: inout [UInt8]) -> Bool
}

/// A Swift value that can be read from a result column (results arrive in binary format).
public protocol PostgresDecodable {
    /// Decodes a non-NULL value.
    static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Self
    /// Decodes a value that may be NULL; the default refuses NULL. `Optional` overrides it.
    static func decodeNullable(from bytes: UnsafeRawBufferPointer?, type: PostgresType) throws(PostgresDecodingFailure) -> Self
}

extension PostgresDecodable {
    public static func decodeNullable(
        from bytes: UnsafeRawBufferPointer?, type: PostgresType
    ) throws(PostgresDecodingFailure) -> Self {
        guard let bytes else { throw .unexpectedNull }
        return try decode(from: bytes, type: type)
    }
}

/// Why one value failed to decode; the row turns it into a `PostgresDecodingError` naming the column.
public enum PostgresDecodingFailure: Error, Sendable {
    case unexpectedNull
    case typeMismatch
    case invalidData
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

// MARK: - Optional

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresType { Wrapped.postgresType }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        switch self {
        case .none: return false
        case .some(let value): return value.encode(into: &buffer)
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Self {
        try Wrapped.decode(from: bytes, type: type)
    }
    public static func decodeNullable(
        from bytes: UnsafeRawBufferPointer?, type: PostgresType
    ) throws(PostgresDecodingFailure) -> Self {
        guard let bytes else { return nil }
        return try Wrapped.decode(from: bytes, type: type)
    }
}

// MARK: - Big-endian helpers

extension UnsafeRawBufferPointer {
    @inline(__always)
    func readInteger<T: FixedWidthInteger>(at offset: Int = 0, as: T.Type = T.self) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: self[offset..<(offset + MemoryLayout<T>.size)])) }
        return T(bigEndian: value)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

// MARK: - Integers

extension Int64: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.appendInteger(self)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int64 {
        switch (type, bytes.count) {
        case (.int8, 8): return bytes.readInteger(as: Int64.self)
        case (.int4, 4), (.oid, 4): return Int64(bytes.readInteger(as: Int32.self))
        case (.int2, 2): return Int64(bytes.readInteger(as: Int16.self))
        case (.int8, _), (.int4, _), (.int2, _): throw .invalidData
        default: throw .typeMismatch
        }
    }
}

extension Int: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public func encode(into buffer: inout [UInt8]) -> Bool { Int64(self).encode(into: &buffer) }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int {
        Int(try Int64.decode(from: bytes, type: type))
    }
}

extension Int32: PostgresCodable {
    public static var postgresType: PostgresType { .int4 }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.appendInteger(self)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int32 {
        guard let value = Int32(exactly: try Int64.decode(from: bytes, type: type)) else { throw .invalidData }
        return value
    }
}

extension Int16: PostgresCodable {
    public static var postgresType: PostgresType { .int2 }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.appendInteger(self)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Int16 {
        guard let value = Int16(exactly: try Int64.decode(from: bytes, type: type)) else { throw .invalidData }
        return value
    }
}

// MARK: - Bool, Double

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.append(self ? 1 : 0)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Bool {
        guard type == .bool else { throw .typeMismatch }
        guard bytes.count == 1 else { throw .invalidData }
        return bytes[0] != 0
    }
}

extension Double: PostgresCodable {
    public static var postgresType: PostgresType { .float8 }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.appendInteger(bitPattern)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Double {
        switch (type, bytes.count) {
        case (.float8, 8): return Double(bitPattern: bytes.readInteger(as: UInt64.self))
        case (.float4, 4): return Double(Float(bitPattern: bytes.readInteger(as: UInt32.self)))
        case (.int8, _), (.int4, _), (.int2, _): return Double(try Int64.decode(from: bytes, type: type))
        case (.numeric, _):
            guard let value = Double(try PostgresNumeric.decimalString(from: bytes)) else { throw .invalidData }
            return value
        case (.float8, _), (.float4, _): throw .invalidData
        default: throw .typeMismatch
        }
    }
}

// MARK: - Text

extension String: PostgresCodable {
    public static var postgresType: PostgresType { .text }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: utf8)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> String {
        if type.isTextLike || type == .json { return String(decoding: bytes, as: UTF8.self) }
        if type == .jsonb, bytes.first == 1 { return String(decoding: bytes.dropFirst(), as: UTF8.self) }
        if type == .numeric { return try PostgresNumeric.decimalString(from: bytes) }
        throw .typeMismatch
    }
}

// MARK: - UUID

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        withUnsafeBytes(of: uuid) { buffer.append(contentsOf: $0) }
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> UUID {
        guard type == .uuid else { throw .typeMismatch }
        guard bytes.count == 16 else { throw .invalidData }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: bytes) }
        return UUID(uuid: value)
    }
}

// MARK: - Bytes

extension Data: PostgresCodable {
    public static var postgresType: PostgresType { .bytea }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.append(contentsOf: self)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Data {
        guard type == .bytea else { throw .typeMismatch }
        return Data(bytes)
    }
}

// MARK: - Time

/// Binary timestamps count microseconds from 2000-01-01 00:00:00 UTC.
private let postgresEpochUnixSeconds: Double = 946_684_800

extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        let microseconds = ((timeIntervalSince1970 - postgresEpochUnixSeconds) * 1_000_000).rounded()
        buffer.appendInteger(Int64(microseconds))
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Date {
        guard type == .timestamptz || type == .timestamp else { throw .typeMismatch }
        guard bytes.count == 8 else { throw .invalidData }
        let microseconds = bytes.readInteger(as: Int64.self)
        // ±infinity are stored as the extreme integers; no Date stands for them.
        guard microseconds != .max, microseconds != .min else { throw .invalidData }
        let seconds = Double(microseconds / 1_000_000) + Double(microseconds % 1_000_000) / 1_000_000
        return Date(timeIntervalSince1970: postgresEpochUnixSeconds + seconds)
    }
}

/// A `date` column: a day in the calendar, with no time and no time zone.
public struct PostgresDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days since 2000-01-01 (PostgreSQL's epoch), by the proleptic Gregorian calendar.
    public init(daysSince2000 days: Int) {
        // Civil-from-days (H. Hinnant), shifted from 1970 to 2000.
        let z = days + 10957 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public var daysSince2000: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468 - 10957
    }

    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        let y = String(format: "%04d", year)
        return "\(y)-\(String(format: "%02d", month))-\(String(format: "%02d", day))"
    }
}

extension PostgresDate: PostgresCodable {
    public static var postgresType: PostgresType { .date }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.appendInteger(Int32(daysSince2000))
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresDate {
        guard type == .date else { throw .typeMismatch }
        guard bytes.count == 4 else { throw .invalidData }
        let days = bytes.readInteger(as: Int32.self)
        guard days != .max, days != .min else { throw .invalidData }
        return PostgresDate(daysSince2000: Int(days))
    }
}

// MARK: - JSON

/// A `Codable` value stored as `jsonb`. Encoding happens when the value is made, so
/// binding it cannot fail halfway through building a query.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresCodable {
    public let value: Value
    private let utf8: [UInt8]

    public init(_ value: Value, encoder: JSONEncoder = JSONEncoder()) throws {
        self.value = value
        self.utf8 = Array(try encoder.encode(value))
    }

    private init(value: Value, utf8: [UInt8]) {
        self.value = value
        self.utf8 = utf8
    }

    public static var postgresType: PostgresType { .jsonb }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        buffer.append(1)  // jsonb binary format version
        buffer.append(contentsOf: utf8)
        return true
    }
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> PostgresJSON<Value> {
        let text: UnsafeRawBufferPointer
        switch type {
        case .jsonb:
            guard bytes.first == 1 else { throw .invalidData }
            text = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        case .json: text = bytes
        default: throw .typeMismatch
        }
        let utf8 = Array(text)
        do {
            return PostgresJSON(value: try JSONDecoder().decode(Value.self, from: Data(utf8)), utf8: utf8)
        } catch {
            throw .invalidData
        }
    }
}

// MARK: - Arrays

/// Element types that have a PostgreSQL array type.
public protocol PostgresArrayElement: PostgresCodable {
    static var postgresArrayType: PostgresType { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresType { .textArray } }
extension UUID: PostgresArrayElement { public static var postgresArrayType: PostgresType { .uuidArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresType { .int4Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresType { .boolArray } }
extension Double: PostgresArrayElement { public static var postgresArrayType: PostgresType { .float8Array } }
extension PostgresDate: PostgresArrayElement { public static var postgresArrayType: PostgresType { .dateArray } }
/// Arrays with NULL elements, such as `[UUID?]`.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresType { Wrapped.postgresArrayType }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresType { Element.postgresArrayType }
    public func encode(into buffer: inout [UInt8]) -> Bool {
        // Binary array: dimensions, has-nulls flag, element OID, then per dimension size and
        // lower bound, then each element as length + bytes. Elements always go in binary,
        // so text elements are UTF-8 bytes as they are.
        buffer.appendInteger(Int32(isEmpty ? 0 : 1))
        buffer.appendInteger(Int32(0))
        buffer.appendInteger(Int32(bitPattern: Element.postgresType.rawValue))
        if !isEmpty {
            buffer.appendInteger(Int32(count))
            buffer.appendInteger(Int32(1))
        }
        for element in self {
            let lengthAt = buffer.count
            buffer.appendInteger(Int32(0))
            if element.encode(into: &buffer) {
                let length = Int32(buffer.count - lengthAt - 4)
                Swift.withUnsafeBytes(of: length.bigEndian) { bytes in
                    for i in 0..<4 { buffer[lengthAt + i] = bytes[i] }
                }
            } else {
                buffer.replaceSubrange(lengthAt..<(lengthAt + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
            }
        }
        return true
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> [Element] {
        guard bytes.count >= 12 else { throw .invalidData }
        let dimensions = bytes.readInteger(at: 0, as: Int32.self)
        let elementType = PostgresType(rawValue: bytes.readInteger(at: 8, as: UInt32.self))
        if dimensions == 0 { return [] }
        guard dimensions == 1, bytes.count >= 20 else { throw .invalidData }
        let count = Int(bytes.readInteger(at: 12, as: Int32.self))
        var offset = 20
        var result: [Element] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            guard offset + 4 <= bytes.count else { throw .invalidData }
            let length = Int(bytes.readInteger(at: offset, as: Int32.self))
            offset += 4
            guard length >= 0 else {
                // NULL: an error unless the elements are optional.
                result.append(try Element.decodeNullable(from: nil, type: elementType))
                continue
            }
            guard offset + length <= bytes.count else { throw .invalidData }
            result.append(try Element.decode(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), type: elementType))
            offset += length
        }
        return result
    }
}

// MARK: - numeric

/// `numeric` arrives as base-10000 digits; it is turned into its exact decimal text.
enum PostgresNumeric {
    static func decimalString(from bytes: UnsafeRawBufferPointer) throws(PostgresDecodingFailure) -> String {
        guard bytes.count >= 8 else { throw .invalidData }
        let digitCount = Int(bytes.readInteger(at: 0, as: Int16.self))
        let weight = Int(bytes.readInteger(at: 2, as: Int16.self))
        let sign = bytes.readInteger(at: 4, as: UInt16.self)
        let scale = Int(bytes.readInteger(at: 6, as: Int16.self))
        guard digitCount >= 0, bytes.count == 8 + 2 * digitCount else { throw .invalidData }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        case 0x0000, 0x4000: break
        default: throw .invalidData
        }
        let digits = (0..<digitCount).map { Int(bytes.readInteger(at: 8 + 2 * $0, as: Int16.self)) }
        var integerPart = ""
        if weight < 0 {
            integerPart = "0"
        } else {
            for index in 0...weight {
                let group = index < digits.count ? digits[index] : 0
                integerPart += index == 0 ? String(group) : String(format: "%04d", group)
            }
        }
        var fraction = ""
        if scale > 0 {
            var index = weight + 1
            while fraction.count < scale {
                let group = index >= 0 && index < digits.count ? digits[index] : 0
                fraction += String(format: "%04d", group)
                index += 1
            }
            fraction = String(fraction.prefix(scale))
        }
        let text = fraction.isEmpty ? integerPart : integerPart + "." + fraction
        return sign == 0x4000 ? "-" + text : text
    }
}
