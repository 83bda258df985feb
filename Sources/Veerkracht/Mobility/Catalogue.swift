import Foundation

/// The code lists of the marketplace: what offers ask for and profiles list.
public enum Catalogue: String, Sendable, Hashable, CaseIterable {
    case competencies, talents

    /// The table, a fixed name (never input) for the one store that serves both lists.
    var table: String { rawValue }

    /// A code's form (the schema's CHECK): lowerCamelCase ASCII, 2 to 64 characters. A path
    /// that is not a code names nothing, and is not sent to the database.
    public static func isCode(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return (2...64).contains(bytes.count) && bytes[0].isASCIILowercaseLetter
            && bytes.allSatisfy { $0.isASCIILowercaseLetter || $0.isASCIIUppercaseLetter || $0.isASCIIDigit }
    }
}

/// One code of a catalogue with its labels.
public struct CatalogueEntry: Sendable, Hashable {
    public var code: String
    public var label: LocalizedText
    public var active: Bool
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
}
