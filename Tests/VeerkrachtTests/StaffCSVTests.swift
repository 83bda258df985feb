import Testing
@testable import Veerkracht

@Suite("Staff: CSV reading")
struct StaffCSVTests {
    private func fields(_ text: String) throws -> [[String]] {
        try CSV.parse(text.utf8).map(\.fields)
    }

    @Test func plainFieldsAndRecords() throws {
        let records = try CSV.parse("a,b,c\n1,2,3\n".utf8)
        #expect(records == [CSVRecord(line: 1, fields: ["a", "b", "c"]), CSVRecord(line: 2, fields: ["1", "2", "3"])])
    }

    @Test func crlfLoneLfAndNoFinalLineEnd() throws {
        #expect(try fields("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
        #expect(try fields("a,b\r\n1,2") == [["a", "b"], ["1", "2"]])
        #expect(try fields("a,b\n1,2\r\n3,4") == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func quotedFieldsHoldSeparatorsQuotesAndLineBreaks() throws {
        let text = "name,note\r\n\"De Smet, Jan\",\"says \"\"hello\"\"\"\r\n\"two\r\nlines\",x\r\n"
        let records = try CSV.parse(text.utf8)
        #expect(records.map(\.fields) == [["name", "note"], ["De Smet, Jan", "says \"hello\""], ["two\r\nlines", "x"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func aRecordAfterAnEmbeddedLineBreakStartsOnItsOwnLine() throws {
        let records = try CSV.parse("h\n\"a\nb\nc\"\nnext\n".utf8)
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(records.last?.fields == ["next"])
    }

    @Test func semicolonsAreTheSeparatorWhenTheHeaderLineHasMoreOfThem() throws {
        #expect(try fields("a;b;c\r\n1;\"x;y\";3,5\r\n") == [["a", "b", "c"], ["1", "x;y", "3,5"]])
        // Only the header line counts, and only outside quotes.
        #expect(try fields("a,b\n1;2;3,4\n") == [["a", "b"], ["1;2;3", "4"]])
        #expect(try fields("\"a,b,c\";d;e\n1;2;3") == [["a,b,c", "d", "e"], ["1", "2", "3"]])
        #expect(try fields("\"a;b;c\",d,e\n1,2,3") == [["a;b;c", "d", "e"], ["1", "2", "3"]])
        // Blank lines before the header are skipped, as the records are.
        #expect(try fields("\r\n\na;b\n1;2") == [["a", "b"], ["1", "2"]])
        // A header of one column (or a tie) is read with commas.
        #expect(try fields("a\n1;2,3") == [["a"], ["1;2", "3"]])
    }

    @Test func anExplicitDelimiterIsUsedWhateverTheHeaderHolds() throws {
        #expect(try CSV.parse("a;b\n1;2".utf8, delimiter: .comma).map(\.fields) == [["a;b"], ["1;2"]])
        #expect(try CSV.parse("a,b\n1,2".utf8, delimiter: .semicolon).map(\.fields) == [["a,b"], ["1,2"]])
        #expect(try CSV.parse("a;b,c\n1;2,3".utf8, delimiter: .semicolon).map(\.fields) == [["a", "b,c"], ["1", "2,3"]])
    }

    @Test func crOnlyLineEndsCountLines() throws {
        let records = try CSV.parse("a;b\r1;2\r\r3;4\r".utf8)
        #expect(records == [CSVRecord(line: 1, fields: ["a", "b"]), CSVRecord(line: 2, fields: ["1", "2"]), CSVRecord(line: 4, fields: ["3", "4"])])
        #expect(throws: CSVError(line: 3, reason: .quoteInUnquotedField)) { try CSV.parse("a\rb\rx\"y\r".utf8) }
        #expect(throws: CSVError(line: 4, reason: .unterminatedQuotedField)) { try CSV.parse("a\rb\r\rc,\"open\r".utf8) }
    }

    @Test func aCRInsideAQuotedFieldCountsAsALineBreak() throws {
        let records = try CSV.parse("h\r\"a\rb\rc\"\rnext\r".utf8)
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(records[1].fields == ["a\rb\rc"])
        // A lone CR, a CRLF and an LF inside quotes: three line breaks, not four or two.
        let mixed = try CSV.parse("h\n\"a\rb\r\nc\nd\"\nnext".utf8)
        #expect(mixed.map(\.line) == [1, 2, 6])
        #expect(throws: CSVError(line: 4, reason: .quoteInUnquotedField)) { try CSV.parse("h\r\"a\rb\"\rx\"y\r".utf8) }
        #expect(throws: CSVError(line: 3, reason: .textAfterClosingQuote)) { try CSV.parse("h\r\"a\rb\"c\r".utf8) }
    }

    @Test func textThatIsNotUTF8IsRefusedWithItsLine() {
        // "Müller" as Excel's plain CSV writes it in Windows-1252: ü is the single byte 0xFC.
        let windows1252: [UInt8] = Array("personnelNumber;familyName\r\nP1;Peeters\r\nP2;M".utf8) + [0xFC] + Array("ller\r\n".utf8)
        #expect(throws: CSVError(line: 3, reason: .notUTF8)) { try CSV.parse(windows1252) }
        // After a UTF-8 byte order mark too, and before a later syntax error.
        #expect(throws: CSVError(line: 2, reason: .notUTF8)) { try CSV.parse([0xEF, 0xBB, 0xBF] + Array("a\rb".utf8) + [0xE9] + Array("\r\"open".utf8)) }
        // A UTF-16 file (Excel's "Unicode text") starts with a byte that UTF-8 never has.
        #expect(throws: CSVError(line: 1, reason: .notUTF8)) { try CSV.parse([0xFF, 0xFE, 0x61, 0x00]) }
        // In a quoted field, the line the field starts on.
        #expect(throws: CSVError(line: 2, reason: .notUTF8)) { try CSV.parse(Array("h\n\"a\nb".utf8) + [0xE9] + Array("\"\n".utf8)) }
        #expect(throws: Never.self) { try CSV.parse("h\nMüller;Dubois-Léonard\n".utf8) }
    }

    @Test func emptyFieldsAreKept() throws {
        #expect(try fields("a,,c\n,,\n\"\",x\n") == [["a", "", "c"], ["", "", ""], ["", "x"]])
        #expect(try fields("a,") == [["a", ""]])
    }

    @Test func blankLinesAreNotRecordsButCountAsLines() throws {
        let records = try CSV.parse("a\n\n\r\nb\n\n".utf8)
        #expect(records == [CSVRecord(line: 1, fields: ["a"]), CSVRecord(line: 4, fields: ["b"])])
        #expect(try CSV.parse("".utf8).isEmpty)
        #expect(try CSV.parse("\n\n".utf8).isEmpty)
    }

    @Test func aByteOrderMarkAtTheStartIsSkipped() throws {
        #expect(try fields("\u{FEFF}personnelNumber,givenName\nP1,Ann") == [["personnelNumber", "givenName"], ["P1", "Ann"]])
        // Only at the start: elsewhere it is data.
        #expect(try fields("a\n\u{FEFF}b") == [["a"], ["\u{FEFF}b"]])
    }

    @Test func nonASCIITextPassesUnchanged() throws {
        #expect(try fields("Çé,名前,\"Ø, å\"") == [["Çé", "名前", "Ø, å"]])
    }

    @Test func aQuoteInsideAnUnquotedFieldIsRefusedWithItsLine() {
        #expect(throws: CSVError(line: 2, reason: .quoteInUnquotedField)) { try CSV.parse("a\nab\"c\n".utf8) }
    }

    @Test func textAfterAClosingQuoteIsRefused() {
        #expect(throws: CSVError(line: 1, reason: .textAfterClosingQuote)) { try CSV.parse("\"ab\"c,d".utf8) }
        #expect(throws: CSVError(line: 3, reason: .textAfterClosingQuote)) { try CSV.parse("x\n\"a\nb\" ,c".utf8) }
    }

    @Test func anUnterminatedQuoteNamesTheLineItStartsOn() {
        #expect(throws: CSVError(line: 2, reason: .unterminatedQuotedField)) { try CSV.parse("a\n\"open\nstill open\n".utf8) }
    }

    @Test func errorsDescribeTheFix() {
        for reason in [CSVError.Reason.quoteInUnquotedField, .textAfterClosingQuote, .unterminatedQuotedField, .notUTF8] {
            #expect(!CSVError(line: 1, reason: reason).description.isEmpty)
        }
    }

    @Test func hoursAreReadWithADecimalPointOrComma() {
        #expect(EmployeeImport.hours("38") == 38)
        #expect(EmployeeImport.hours("36.5") == 36.5)
        #expect(EmployeeImport.hours("36,5") == 36.5)
        for text in ["", "36,5,0", "36.5,0", ",5", "36.", "-38", "+38", "3e1", "inf", "nan", " 38", "38 ", "1 000"] {
            #expect(EmployeeImport.hours(text) == nil, "\(text)")
        }
    }
}
