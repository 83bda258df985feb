/// What a user does in Veerkracht (PRODUCT.md, "Who may see what").
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    case officer, hr, panel, physician, admin, auditor

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
