import PostgresLibPQ

// Domain values bind and decode as themselves, so stores never convert by hand.

extension CalendarDate: PostgresCodable, PostgresArrayElement {
    public static var postgresType: PostgresType { .date }
    public static var postgresArrayType: PostgresType { .dateArray }

    public func encode(into buffer: inout [UInt8]) -> Bool {
        PostgresDate(year: year, month: month, day: day).encode(into: &buffer)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> CalendarDate {
        let date = try PostgresDate.decode(from: bytes, type: type)
        guard let calendarDate = CalendarDate(year: date.year, month: date.month, day: date.day) else { throw .invalidData }
        return calendarDate
    }
}

extension TrajectoryReference: PostgresCodable {
    public static var postgresType: PostgresType { .text }

    public func encode(into buffer: inout [UInt8]) -> Bool { description.encode(into: &buffer) }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> TrajectoryReference {
        guard let reference = TrajectoryReference(try String.decode(from: bytes, type: type)) else { throw .invalidData }
        return reference
    }
}

/// A code list stored as its snake_case text (`on_hold`); a value the enum does not know
/// fails to decode rather than turning into a default.
public protocol PostgresStoredCode: StoredCode, PostgresCodable, PostgresArrayElement {}

extension PostgresStoredCode {
    public static var postgresType: PostgresType { .text }
    public static var postgresArrayType: PostgresType { .textArray }

    public func encode(into buffer: inout [UInt8]) -> Bool { sqlValue.encode(into: &buffer) }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresType) throws(PostgresDecodingFailure) -> Self {
        guard let code = Self(sqlValue: try String.decode(from: bytes, type: type)) else { throw .invalidData }
        return code
    }
}

extension TrajectoryStatus: PostgresStoredCode {}
extension TrajectoryGoal: PostgresStoredCode {}
extension TrajectoryOutcome: PostgresStoredCode {}
extension ContactChannel: PostgresStoredCode {}
extension ContactInitiative: PostgresStoredCode {}
extension ContactPerson: PostgresStoredCode {}
extension ContactDue.Reason: PostgresStoredCode {}
extension DeadlineStatus: PostgresStoredCode {}
extension MilestoneResponsible: PostgresStoredCode {}
extension TrajectoryAction.Kind: PostgresStoredCode {}
extension TrajectoryAction.Owner: PostgresStoredCode {}
