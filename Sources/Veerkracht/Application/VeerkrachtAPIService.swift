import Foundation
import Logging
import PostgresLibPQ
import Prometheus
import VeerkrachtAPI

/// Implements the generated `APIProtocol`; its operations live with their features
/// (`Identity/IdentityAPI.swift`, `Operations/OperationsAPI.swift`, …) as extensions.
struct VeerkrachtAPIService: APIProtocol {
    let database: PostgresClient
    let identity = IdentityStore()
    let idempotency = IdempotencyStore()
    let auditTrail = AuditStore()
    let auditWriter: AuditWriter
    let timeline = TimelineStore()
    let specification: APISpecification
    var mobilitySettings = MobilitySettings()
    let metrics: PrometheusCollectorRegistry
    let logger: Logger
    let now: @Sendable () -> Date
}

/// Reading input that the generated types leave as strings.
enum Input {
    static func uuid(_ text: String, name: String, in location: InputIssue.Location) throws(Problem) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw Problem.badRequest(InputIssue(in: location, name: name, detail: "This must be a UUID", value: String(text.prefix(64))))
        }
        return id
    }

    static func uuid(_ text: String, name: String, in location: InputIssue.Location, issues: inout [InputIssue]) -> UUID? {
        guard let id = UUID(uuidString: text) else {
            issues.append(InputIssue(in: location, name: name, detail: "This must be a UUID", value: String(text.prefix(64))))
            return nil
        }
        return id
    }

    /// A `yyyy-MM-dd` day (the generated types leave `format: date` as a string).
    static func date(_ text: String, name: String, in location: InputIssue.Location = .body, issues: inout [InputIssue]) -> CalendarDate? {
        guard let date = CalendarDate(text) else {
            issues.append(InputIssue(in: location, name: name, detail: "This must be a day as yyyy-MM-dd", value: String(text.prefix(64))))
            return nil
        }
        return date
    }

    static func check(_ issues: [InputIssue]) throws(Problem) {
        guard issues.isEmpty else { throw Problem.badRequest(issues) }
    }
}

/// The JSON coders the generated layer uses, for bodies we store and replay.
enum APICoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try RFC3339DateTranscoder().encode(date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try RFC3339DateTranscoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()
}
