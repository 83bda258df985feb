import Foundation
@testable import Veerkracht

/// A calendar day from a literal the test knows to be valid.
func day(_ text: String) -> CalendarDate {
    guard let date = CalendarDate(text) else { fatalError("not a date: \(text)") }
    return date
}

/// An instant from an RFC 3339 literal such as `2024-03-31T22:30:00Z`.
func instant(_ text: String) -> Date {
    guard let date = try? Date(text, strategy: .iso8601) else { fatalError("not an instant: \(text)") }
    return date
}

/// `sql/templates` of this checkout, found from this file's own path.
let templateDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("sql/templates")

func shippedTemplate(_ id: String) throws -> ProcessTemplate {
    let file = templateDirectory.appendingPathComponent("\(id).json")
    return try ProcessTemplate.decode(from: try Data(contentsOf: file), name: file.lastPathComponent)
}
