import Testing
@testable import Veerkracht

@Suite("Staff: CSV reading")
struct StaffCSVTests {
    private func fields(_ text: String) throws -> [[String]] {
        try CSV.parse(text).map(\.fields)
    }

    @Test func plainFieldsAndRecords() throws {
        let records = try CSV.parse("a,b,c\n1,2,3\n")
        #expect(records == [CSVRecord(line: 1, fields: ["a", "b", "c"]), CSVRecord(line: 2, fields: ["1", "2", "3"])])
    }

    @Test func crlfLoneLfAndNoFinalLineEnd() throws {
        #expect(try fields("a,b\r\n1,2\r\n") == [["a", "b"], ["1", "2"]])
        #expect(try fields("a,b\r\n1,2") == [["a", "b"], ["1", "2"]])
        #expect(try fields("a,b\n1,2\r\n3,4") == [["a", "b"], ["1", "2"], ["3", "4"]])
    }

    @Test func quotedFieldsHoldSeparatorsQuotesAndLineBreaks() throws {
        let text = "name,note\r\n\"De Smet, Jan\",\"says \"\"hello\"\"\"\r\n\"two\r\nlines\",x\r\n"
        let records = try CSV.parse(text)
        #expect(records.map(\.fields) == [["name", "note"], ["De Smet, Jan", "says \"hello\""], ["two\r\nlines", "x"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func aRecordAfterAnEmbeddedLineBreakStartsOnItsOwnLine() throws {
        let records = try CSV.parse("h\n\"a\nb\nc\"\nnext\n")
        #expect(records.map(\.line) == [1, 2, 5])
        #expect(records.last?.fields == ["next"])
    }

    @Test func emptyFieldsAreKept() throws {
        #expect(try fields("a,,c\n,,\n\"\",x\n") == [["a", "", "c"], ["", "", ""], ["", "x"]])
        #expect(try fields("a,") == [["a", ""]])
    }

    @Test func blankLinesAreNotRecordsButCountAsLines() throws {
        let records = try CSV.parse("a\n\n\r\nb\n\n")
        #expect(records == [CSVRecord(line: 1, fields: ["a"]), CSVRecord(line: 4, fields: ["b"])])
        #expect(try CSV.parse("").isEmpty)
        #expect(try CSV.parse("\n\n").isEmpty)
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
        #expect(throws: CSVError(line: 2, reason: .quoteInUnquotedField)) { try CSV.parse("a\nab\"c\n") }
    }

    @Test func textAfterAClosingQuoteIsRefused() {
        #expect(throws: CSVError(line: 1, reason: .textAfterClosingQuote)) { try CSV.parse("\"ab\"c,d") }
        #expect(throws: CSVError(line: 3, reason: .textAfterClosingQuote)) { try CSV.parse("x\n\"a\nb\" ,c") }
    }

    @Test func anUnterminatedQuoteNamesTheLineItStartsOn() {
        #expect(throws: CSVError(line: 2, reason: .unterminatedQuotedField)) { try CSV.parse("a\n\"open\nstill open\n") }
    }

    @Test func errorsDescribeTheFix() {
        for reason in [CSVError.Reason.quoteInUnquotedField, .textAfterClosingQuote, .unterminatedQuotedField] {
            #expect(!CSVError(line: 1, reason: reason).description.isEmpty)
        }
    }
}
