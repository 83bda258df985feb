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
        /// A field that is not UTF-8; `line` is where that field starts.
        case notUTF8
    }

    public var line: Int
    public var reason: Reason

    public var description: String {
        switch reason {
        case .quoteInUnquotedField: "A field with a double quote in it must be quoted as a whole, and the quote doubled (\"\")"
        case .textAfterClosingQuote: "A quoted field must end at its closing quote; double a quote inside it (\"\")"
        case .unterminatedQuotedField: "A quoted field that starts on this line is never closed"
        // Excel's plain "CSV" is Windows-1252 in Belgium; guessing that could turn a name into another one.
        case .notUTF8: "This line is not UTF-8 text; save the file as \"CSV UTF-8\" (other encodings, such as Windows-1252, are not guessed)"
        }
    }
}

/// Comma-separated values as RFC 4180 writes them: fields separated by `,` (or `;`, as Excel
/// writes CSV where the decimal separator is a comma, in Belgium and the Netherlands), records
/// by CRLF (a bare LF or CR is accepted too), fields that hold a separator, a quote or a line
/// break enclosed in `"` with inner quotes doubled. The text is UTF-8; a byte order mark at
/// the start is skipped, as spreadsheet programs write one. Blank lines are not records.
public enum CSV {
    public enum Delimiter: Sendable, Hashable {
        case comma, semicolon

        var byte: UInt8 {
            switch self {
            case .comma: UInt8(ascii: ",")
            case .semicolon: UInt8(ascii: ";")
            }
        }

        /// `;` when the first line that is not blank has more of them than `,` outside quotes,
        /// otherwise `,`. A header's column names hold neither, so one of them is the separator.
        static func detected(in bytes: ArraySlice<UInt8>) -> Delimiter {
            var isQuoted = false
            var commas = 0, semicolons = 0
            for byte in bytes.drop(while: { $0 == Reader.cr || $0 == Reader.lf }) {
                if byte == Reader.quote {
                    isQuoted.toggle()
                } else if !isQuoted {
                    if byte == Reader.cr || byte == Reader.lf { break }
                    if byte == Delimiter.comma.byte { commas += 1 }
                    if byte == Delimiter.semicolon.byte { semicolons += 1 }
                }
            }
            return semicolons > commas ? .semicolon : .comma
        }
    }

    /// The records of UTF-8 `bytes`, with fields separated by `delimiter`, or by the one the
    /// header line uses when it is nil.
    public static func parse(_ bytes: some Collection<UInt8>, delimiter: Delimiter? = nil) throws(CSVError) -> [CSVRecord] {
        let bytes = Array(bytes)
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var reader = Reader(bytes: bytes, separator: (delimiter ?? .detected(in: bytes[start...])).byte, index: start)
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

    /// A cursor over the bytes. Every byte that matters is ASCII, so a field is never cut
    /// inside a character.
    private struct Reader {
        static let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")

        let bytes: [UInt8]
        let separator: UInt8
        var index: Int
        var line = 1

        var isAtEnd: Bool { index >= bytes.count }

        func endsField(_ byte: UInt8) -> Bool { byte == separator || byte == Self.cr || byte == Self.lf }

        /// A field's text; one that is not UTF-8 is refused rather than decoded with replacement characters.
        static func string(_ bytes: some Collection<UInt8>, line: Int) throws(CSVError) -> String {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw CSVError(line: line, reason: .notUTF8) }
            return text
        }

        /// Reads one field and stops before the separator or line end that follows it.
        mutating func field() throws(CSVError) -> (value: String, quoted: Bool) {
            guard !isAtEnd, bytes[index] == Self.quote else {
                let start = index
                while !isAtEnd, !endsField(bytes[index]) {
                    if bytes[index] == Self.quote { throw CSVError(line: line, reason: .quoteInUnquotedField) }
                    index += 1
                }
                return (try Self.string(bytes[start..<index], line: line), false)
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
                } else if byte == Self.lf || (byte == Self.cr && (isAtEnd || bytes[index] != Self.lf)) {
                    // CRLF, LF and a lone CR each end one line, as between records.
                    line += 1
                }
                value.append(byte)
            }
            guard isAtEnd || endsField(bytes[index]) else {
                throw CSVError(line: line, reason: .textAfterClosingQuote)
            }
            return (try Self.string(value, line: startLine), true)
        }

        mutating func skipSeparator() -> Bool {
            guard !isAtEnd, bytes[index] == separator else { return false }
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
