/// A code list: lowerCamelCase in the API (`onHold`, `workAccident`), snake_case in SQL
/// (`on_hold`), as PRODUCT.md asks. One conversion serves every code list.
public protocol StoredCode: RawRepresentable, CaseIterable where RawValue == String {}

extension StoredCode {
    public var sqlValue: String { rawValue.snakeCased }

    /// Only the spelling `sqlValue` gives: `onHold` in SQL is not a status.
    public init?(sqlValue: String) {
        guard let code = sqlValue.lowerCamelCased.flatMap(Self.init(rawValue:)), code.sqlValue == sqlValue else { return nil }
        self = code
    }
}

// Codes are ASCII letters and digits, and these run for every code in every row read or
// written, so they work on bytes (see ASCII.swift).
extension String {
    /// `absenceStart` → `absence_start`.
    var snakeCased: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count + 4)
        for byte in utf8 {
            if byte.isASCIIUppercaseLetter {
                bytes.append(UInt8(ascii: "_"))
                bytes.append(byte - UInt8(ascii: "A") + UInt8(ascii: "a"))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `absence_start` → `absenceStart`: the inverse of `snakeCased` for codes that were
    /// lowerCamelCase. Nil for anything that is not snake_case (`[a-z][a-z0-9]*(_[a-z0-9]+)*`).
    var lowerCamelCased: String? {
        guard let first = utf8.first, first.isASCIILowercaseLetter, utf8.last != UInt8(ascii: "_") else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var wordStarts = false
        for byte in utf8 {
            if byte == UInt8(ascii: "_") {
                guard !wordStarts else { return nil }
                wordStarts = true
                continue
            }
            guard byte.isASCIILowercaseLetter || byte.isASCIIDigit else { return nil }
            bytes.append(wordStarts && byte.isASCIILowercaseLetter ? byte - UInt8(ascii: "a") + UInt8(ascii: "A") : byte)
            wordStarts = false
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
