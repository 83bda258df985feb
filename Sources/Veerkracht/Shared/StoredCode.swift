/// A code list: lowerCamelCase in the API (`onHold`, `workAccident`), snake_case in SQL
/// (`on_hold`), as PRODUCT.md asks. One conversion serves every code list.
public protocol StoredCode: RawRepresentable, CaseIterable where RawValue == String {}

extension StoredCode {
    public var sqlValue: String { rawValue.snakeCased }

    public init?(sqlValue: String) {
        guard let code = Self.allCases.first(where: { $0.sqlValue == sqlValue }) else { return nil }
        self = code
    }
}

extension String {
    /// `absenceStart` → `absence_start`.
    var snakeCased: String {
        reduce(into: "") { text, character in
            if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
        }
    }
}
