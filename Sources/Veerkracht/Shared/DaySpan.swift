/// A span of days as the list endpoints take it in `horizon`: `7d` or `2w`.
enum DaySpan {
    /// The days of `Nd` or `Nw` with one to three digits; nil for anything else. Read by hand,
    /// not with a `Regex`: it is parsed on every request for a work list, and building the
    /// `Regex` cost a tenth of that request.
    static func days(in text: String) -> Int? {
        let digits = text.utf8.dropLast()
        guard (1...3).contains(digits.count), digits.allSatisfy({ UInt8(ascii: "0") <= $0 && $0 <= UInt8(ascii: "9") }),
            let amount = Int(Substring(text.dropLast()))
        else { return nil }
        switch text.utf8.last {
        case UInt8(ascii: "d"): return amount
        case UInt8(ascii: "w"): return amount * 7
        default: return nil
        }
    }
}
