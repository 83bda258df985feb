// Byte classes and decimal numbers for the parsers written by hand because they run on every
// request (dates, references, codes, horizons): a Regex or Character properties cost far more.
extension UInt8 {
    var isASCIIDigit: Bool { UInt8(ascii: "0") <= self && self <= UInt8(ascii: "9") }
    var isASCIILowercaseLetter: Bool { UInt8(ascii: "a") <= self && self <= UInt8(ascii: "z") }
    var isASCIIUppercaseLetter: Bool { UInt8(ascii: "A") <= self && self <= UInt8(ascii: "Z") }
}

extension Int {
    /// The value of one or more ASCII decimal digits, nothing else (no sign, no space); callers
    /// bound how many.
    init?(asciiDigits bytes: some Collection<UInt8>) {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard byte.isASCIIDigit else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        self = value
    }
}

extension String {
    /// Length as every limit in this API counts it: in Unicode code points, as JSON Schema's
    /// `maxLength` and PostgreSQL's `length()` do. `count` (grapheme clusters) is shorter for
    /// text with combining marks, so a check on it lets through what the database refuses.
    var characterCount: Int { unicodeScalars.count }
}
