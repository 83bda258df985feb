/// Free text as the API's schemas describe it. Lengths count Unicode scalars, as JSON
/// Schema's `maxLength` and PostgreSQL's `length` do.
public enum TextRules {
    /// Names, titles, labels, grades: 1 to `maximumLength` characters, not only spaces, no
    /// control characters (so no line breaks).
    public static func isLine(_ text: String, maximumLength: Int) -> Bool {
        (1...maximumLength).contains(text.characterCount)
            && text.contains { !$0.isWhitespace }
            && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// Descriptions, notes, reasons: may span lines; not only spaces, no NUL (which
    /// PostgreSQL's text cannot hold).
    public static func isText(_ text: String, maximumLength: Int) -> Bool {
        (1...maximumLength).contains(text.characterCount) && text.contains { !$0.isWhitespace } && !text.unicodeScalars.contains("\u{0}")
    }
}
