import Foundation
import Testing
@testable import Veerkracht

@Suite("Header percent-decoding")
struct PercentDecodingTests {
    @Test func decodesEscapesAndLeavesTheRest() {
        #expect(HeaderValue.percentDecoded("%22abc-1%22") == "\"abc-1\"")
        #expect(HeaderValue.percentDecoded("/v1/a%2Fb?x=%C3%A9") == "/v1/a/b?x=é")
        #expect(HeaderValue.percentDecoded("100%") == "100%", "a lone % stays")
        #expect(HeaderValue.percentDecoded("%zz%2") == "%zz%2", "so do broken escapes")
    }

    @Test func answersNilWhenThereIsNothingToDoOrTheResultIsNotText() {
        #expect(HeaderValue.percentDecoded("\"plain\"") == nil)
        #expect(HeaderValue.percentDecoded("%FF%FE") == nil)
    }
}

@Suite("UUID text")
struct UUIDTextTests {
    @Test func randomUUIDsAreVersionFourAndDistinct() {
        let ids = (0..<1000).map { _ in UUID.random() }
        #expect(Set(ids).count == 1000)
        for id in ids {
            #expect(id.uuid.6 >> 4 == 4)
            #expect(id.uuid.8 >> 6 == 0b10)
        }
    }

    @Test func isFoundationsFormInLowerCase() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        #expect(UUID(uuidString: "00000000-0000-0000-0000-00000000000F")!.lowercasedString == "00000000-0000-0000-0000-00000000000f")
    }
}

@Suite("Code spelling between the API and SQL")
struct CodeSpellingTests {
    @Test(arguments: [("absenceStart", "absence_start"), ("onHold", "on_hold"), ("active", "active"), ("week6Review", "week6_review")])
    func lowerCamelCaseAndSnakeCaseAreEachOthersInverse(camel: String, snake: String) {
        #expect(camel.snakeCased == snake)
        #expect(snake.lowerCamelCased == camel)
    }

    @Test(arguments: ["", "_a", "a_", "a__b", "Abc", "a-b", "aB", "a b", "é_a", "1a"])
    func onlySnakeCaseTurnsIntoACode(text: String) {
        #expect(text.lowerCamelCased == nil)
    }

    @Test func aCodeIsReadOnlyInItsSQLSpelling() {
        for reason in ContactDue.Reason.allCases { #expect(ContactDue.Reason(sqlValue: reason.sqlValue) == reason) }
        #expect(ContactDue.Reason(sqlValue: "firstContact") == nil)
        #expect(ContactDue.Reason(sqlValue: "first_contact_") == nil)
        for action in AuditAction.allCases { #expect(AuditAction(sqlValue: action.sqlValue) == action) }
        for resource in AuditResource.allCases { #expect(AuditResource(sqlValue: resource.sqlValue) == resource) }
    }
}
