/// One record of a CSV text, with the line it starts on (1 is the first line; a quoted
/// field with line breaks makes a record span several lines).
public struct CSVRecord: Sendable, Hashable {
    public var line: Int
    public var fields: [String]

    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// Why a CSV text could not be read, and on which line.
public struct CSVError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// A `"` inside a field that does not start with one (`ab"c`).
        case quoteInUnquotedField
        /// Something other than a separator or a line end after a closing quote (`"ab"c`).
        case textAfterClosingQuote
        /// The text ends inside a quoted field; `line` is where that field starts.
        case unterminatedQuotedField
    }

    public var line: Int
    public var reason: Reason

    public var description: String {
        switch reason {
        case .quoteInUnquotedField: "A field with a double quote in it must be quoted as a whole, and the quote doubled (\"\")"
        case .textAfterClosingQuote: "A quoted field must end at its closing quote; double a quote inside it (\"\")"
        case .unterminatedQuotedField: "A quoted field that starts on this line is never closed"
        }
    }
}

/// Comma-separated values as RFC 4180 writes them: fields separated by `,`, records by CRLF
/// (a bare LF is accepted too), fields that hold a comma, a quote or a line break enclosed in
/// `"` with inner quotes doubled. A UTF-8 byte order mark at the start is skipped, as
/// spreadsheet programs write one. Blank lines are not records.
public enum CSV {
    public static func parse(_ text: String) throws(CSVError) -> [CSVRecord] {
        var reader = Reader(bytes: Array(text.utf8))
        if reader.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        var records: [CSVRecord] = []
        while !reader.isAtEnd {
            let line = reader.line
            var fields: [String] = []
            var isBlank = true
            while true {
                let (value, quoted) = try reader.field()
                fields.append(value)
                if quoted || !value.isEmpty { isBlank = false }
                guard reader.skipSeparator() else { break }
                isBlank = false
            }
            reader.skipLineEnd()
            if !isBlank { records.append(CSVRecord(line: line, fields: fields)) }
        }
        return records
    }

    /// A cursor over the UTF-8 bytes. Every byte that matters is ASCII, so a field is never
    /// cut inside a character.
    private struct Reader {
        static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        let bytes: [UInt8]
        var index = 0
        var line = 1

        var isAtEnd: Bool { index >= bytes.count }

        static func endsField(_ byte: UInt8) -> Bool { byte == comma || byte == cr || byte == lf }

        /// Reads one field and stops before the separator or line end that follows it.
        mutating func field() throws(CSVError) -> (value: String, quoted: Bool) {
            guard !isAtEnd, bytes[index] == Self.quote else {
                let start = index
                while !isAtEnd, !Self.endsField(bytes[index]) {
                    if bytes[index] == Self.quote { throw CSVError(line: line, reason: .quoteInUnquotedField) }
                    index += 1
                }
                return (String(decoding: bytes[start..<index], as: UTF8.self), false)
            }
            let startLine = line
            index += 1
            var value: [UInt8] = []
            while true {
                guard !isAtEnd else { throw CSVError(line: startLine, reason: .unterminatedQuotedField) }
                let byte = bytes[index]
                index += 1
                if byte == Self.quote {
                    // A doubled quote is a quote; a single one closes the field.
                    guard !isAtEnd, bytes[index] == Self.quote else { break }
                    index += 1
                } else if byte == Self.lf {
                    line += 1
                }
                value.append(byte)
            }
            guard isAtEnd || Self.endsField(bytes[index]) else {
                throw CSVError(line: line, reason: .textAfterClosingQuote)
            }
            return (String(decoding: value, as: UTF8.self), true)
        }

        mutating func skipSeparator() -> Bool {
            guard !isAtEnd, bytes[index] == Self.comma else { return false }
            index += 1
            return true
        }

        /// Steps over one CRLF, LF or lone CR.
        mutating func skipLineEnd() {
            guard !isAtEnd else { return }
            if bytes[index] == Self.cr { index += 1 }
            if !isAtEnd, bytes[index] == Self.lf { index += 1 }
            line += 1
        }
    }
}
