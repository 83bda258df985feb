import Foundation

/// What the OpenAPI document declares of one header or query parameter, checked on the raw
/// values: type, enum, format (`date-time`, `date`, `uuid`), bounds, length, count and
/// pattern, and no NUL character.
struct ParameterRule: Sendable {
    var name: String
    var location: InputIssue.Location
    var maxItems: Int?
    /// The rule for each value (of the parameter, or of each item when it repeats).
    var value: ValueRule

    struct ValueRule: Sendable {
        var type: String?
        var format: String?
        var allowed: Set<String>?
        var minimum: Double?
        var maximum: Double?
        var minLength: Int?
        var maxLength: Int?
        var pattern: Pattern?

        init(_ schema: [String: Any]) throws {
            type = schema["type"] as? String
            format = schema["format"] as? String
            allowed = (schema["enum"] as? [Any]).map { Set($0.map { "\($0)" }) }
            minimum = Self.number(schema["minimum"])
            maximum = Self.number(schema["maximum"])
            minLength = schema["minLength"] as? Int
            maxLength = schema["maxLength"] as? Int
            pattern = try (schema["pattern"] as? String).map(Pattern.init)
        }

        /// The document's bound as a number (YAML reads `1` as an integer, `0.5` as a double).
        static func number(_ value: Any?) -> Double? {
            (value as? Int).map(Double.init) ?? value as? Double
        }

        func bounds(_ number: Double) -> String? {
            func shown(_ bound: Double) -> String { bound == bound.rounded() ? String(Int(bound)) : String(bound) }
            if let minimum, number < minimum { return "At least \(shown(minimum))" }
            if let maximum, number > maximum { return "At most \(shown(maximum))" }
            return nil
        }

        /// What is wrong with `text`, or nil.
        func problem(_ text: String) -> String? {
            if let maxLength, text.unicodeScalars.count > maxLength { return "At most \(maxLength) characters" }
            if let minLength, text.unicodeScalars.count < minLength { return "At least \(minLength) characters" }
            // PostgreSQL cannot keep it in text, and no parameter means it.
            if text.unicodeScalars.contains("\u{0}") { return "This may not contain the NUL character" }
            switch type {
            case "integer":
                guard let number = Int(text) else { return "This must be a whole number" }
                if let problem = bounds(Double(number)) { return problem }
            case "number":
                // Decimal notation only, as JSON writes numbers: no inf, nan or hex.
                guard text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/) != nil, let number = Double(text) else {
                    return "This must be a number"
                }
                if let problem = bounds(number) { return problem }
            case "boolean":
                guard text == "true" || text == "false" else { return "This must be true or false" }
            default:
                break
            }
            if let allowed, !allowed.contains(text) { return "One of: \(allowed.sorted().joined(separator: ", "))" }
            if let pattern, !pattern.matches(text) { return "This does not have the form the operation describes" }
            switch format {
            case "date-time" where Timestamp.parse(text) == nil: return Timestamp.expectation
            case "date" where CalendarDate(text) == nil: return "This must be a day as yyyy-MM-dd"
            case "uuid" where UUID(uuidString: text) == nil: return "This must be a UUID"
            default: return nil
            }
        }
    }

    /// Nil for path parameters (their handlers name them) and cookies.
    init?(_ parameter: [String: Any], resolve: ([String: Any]?) -> [String: Any]) throws {
        guard let name = parameter["name"] as? String,
            let location = (parameter["in"] as? String).flatMap(InputIssue.Location.init(rawValue:)),
            location == .header || location == .query
        else { return nil }
        self.name = name
        self.location = location
        let schema = resolve(parameter["schema"] as? [String: Any])
        maxItems = schema["maxItems"] as? Int
        value = try ValueRule(schema["type"] as? String == "array" ? resolve(schema["items"] as? [String: Any]) : schema)
    }

    func issues(_ values: [String]) -> [InputIssue] {
        var issues: [InputIssue] = []
        if let maxItems, values.count > maxItems {
            issues.append(InputIssue(in: location, name: name, detail: "At most \(maxItems) values"))
        }
        if let (text, problem) = values.lazy.compactMap({ text in value.problem(text).map { (text, $0) } }).first {
            // A header's value is never echoed: it may be a credential or a personal detail.
            issues.append(InputIssue(in: location, name: name, detail: problem, value: location == .query ? String(text.prefix(64)) : nil))
        }
        return issues
    }
}

/// A parameter's `pattern`, compiled once at start: building a Regex per request costs far
/// more than matching. The document's patterns use non-capturing groups only, so they type as
/// `Substring`. `Regex` is not marked Sendable, but a built one is only read when matching.
struct Pattern: @unchecked Sendable {
    private let regex: Regex<Substring>

    /// Throws for a pattern Swift cannot read, so that the server does not start with a rule
    /// it would not check.
    init(_ text: String) throws {
        regex = try Regex(text, as: Substring.self)
    }

    func matches(_ text: String) -> Bool { (try? regex.firstMatch(in: text)) != nil }
}

/// A query string as the generated layer reads it: `+` is a space, `%XX` is decoded.
struct QueryItems {
    private var items: [(name: String, value: String)] = []

    init(path: String) {
        guard let start = path.firstIndex(of: "?") else { return }
        for pair in path[path.index(after: start)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            items.append((decoded(parts[0]), parts.count > 1 ? decoded(parts[1]) : ""))
        }
    }

    var names: Set<String> { Set(items.map(\.name)) }

    func values(of name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }
}
