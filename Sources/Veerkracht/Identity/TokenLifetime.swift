import Foundation

/// When a new token expires: on a given last day (in Brussels time, so it works through that
/// whole day), after a number of days, or after 90 days.
public enum TokenLifetime {
    public static let defaultDays = 90
    public static let maximumDays = 730

    public static func expiry(expiresOn: String?, expiresInDays: Int?, now: Date, issues: inout [InputIssue]) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = CalendarDate.brussels
        switch (expiresOn, expiresInDays) {
        case (.some, .some):
            issues.append(InputIssue(.invalidInput, in: .body, name: "expiresOn", detail: "Give expiresOn or expiresIn, not both"))
            return nil
        case (.some(let text), nil):
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard text.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil, parts.count == 3,
                let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                calendar.component(.day, from: day) == parts[2],
                let expiry = calendar.date(byAdding: .day, value: 1, to: day)
            else {
                issues.append(InputIssue(in: .body, name: "expiresOn", detail: "A date as yyyy-MM-dd", value: String(text.prefix(32))))
                return nil
            }
            guard expiry > now, let limit = calendar.date(byAdding: .day, value: maximumDays + 1, to: now), expiry <= limit else {
                issues.append(InputIssue(.invalidInput, in: .body, name: "expiresOn", detail: "From today to \(maximumDays) days ahead", value: text))
                return nil
            }
            return expiry
        case (nil, .some(let days)):
            guard (1...maximumDays).contains(days) else {
                issues.append(InputIssue(in: .body, name: "expiresIn", detail: "1 to \(maximumDays) days", value: String(days)))
                return nil
            }
            return now.addingTimeInterval(Double(days) * 86_400)
        case (nil, nil):
            return now.addingTimeInterval(Double(defaultDays) * 86_400)
        }
    }
}
