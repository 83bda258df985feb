/// A span of days as the list endpoints take it in `horizon`: `7d` or `2w`.
enum DaySpan {
    /// The days of `Nd` or `Nw` with one to three digits; nil for anything else. Read by hand,
    /// not with a `Regex`, which cost a tenth of a work-list request (see ASCII.swift).
    static func days(in text: String) -> Int? {
        let digits = text.utf8.dropLast()
        guard digits.count <= 3, let amount = Int(asciiDigits: digits) else { return nil }
        switch text.utf8.last {
        case UInt8(ascii: "d"): return amount
        case UInt8(ascii: "w"): return amount * 7
        default: return nil
        }
    }
}
