import Foundation
import HTTPTypes

/// The problem types this API answers with (RFC 9457, Belgif's where Belgif has one).
/// Every `type` URN the server can send is in this one list.
public enum ProblemType: String, Sendable, CaseIterable {
    case badRequest = "urn:problem-type:belgif:badRequest"
    case noAccessToken = "urn:problem-type:belgif:noAccessToken"
    case invalidAccessToken = "urn:problem-type:belgif:invalidAccessToken"
    case expiredAccessToken = "urn:problem-type:belgif:expiredAccessToken"
    case missingPermission = "urn:problem-type:belgif:missingPermission"
    case resourceNotFound = "urn:problem-type:belgif:resourceNotFound"
    case payloadTooLarge = "urn:problem-type:belgif:payloadTooLarge"
    case tooManyRequests = "urn:problem-type:belgif:tooManyRequests"
    case serviceUnavailable = "urn:problem-type:belgif:serviceUnavailable"
    case internalServerError = "urn:problem-type:belgif:internalServerError"
    case conflict = "urn:problem-type:veerkracht:conflict"
    case unsupportedMediaType = "urn:problem-type:veerkracht:unsupportedMediaType"
    case notAcceptable = "urn:problem-type:veerkracht:notAcceptable"
    case methodNotAllowed = "urn:problem-type:veerkracht:methodNotAllowed"
    case preconditionFailed = "urn:problem-type:veerkracht:preconditionFailed"
    case preconditionRequired = "urn:problem-type:veerkracht:preconditionRequired"
    case idempotencyKeyReused = "urn:problem-type:veerkracht:idempotencyKeyReused"
    case illegalTransition = "urn:problem-type:veerkracht:illegalTransition"
    case noPositionLeft = "urn:problem-type:veerkracht:noPositionLeft"

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .noAccessToken, .invalidAccessToken, .expiredAccessToken: .unauthorized
        case .missingPermission: .forbidden
        case .resourceNotFound: .notFound
        case .payloadTooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        case .serviceUnavailable: .serviceUnavailable
        case .internalServerError: .internalServerError
        case .conflict, .illegalTransition, .noPositionLeft: .conflict
        case .unsupportedMediaType: .unsupportedMediaType
        case .notAcceptable: .notAcceptable
        case .methodNotAllowed: .methodNotAllowed
        case .preconditionFailed: .preconditionFailed
        case .preconditionRequired: .preconditionRequired
        case .idempotencyKeyReused: .unprocessableContent
        }
    }

    public var title: String {
        switch self {
        case .badRequest: "Bad Request"
        case .noAccessToken: "No Access Token"
        case .invalidAccessToken: "Invalid Access Token"
        case .expiredAccessToken: "Expired Access Token"
        case .missingPermission: "Missing Permission"
        case .resourceNotFound: "Resource Not Found"
        case .payloadTooLarge: "Payload Too Large"
        case .tooManyRequests: "Too Many Requests"
        case .serviceUnavailable: "Service Unavailable"
        case .internalServerError: "Internal Server Error"
        case .conflict: "Conflict"
        case .unsupportedMediaType: "Unsupported Media Type"
        case .notAcceptable: "Not Acceptable"
        case .methodNotAllowed: "Method Not Allowed"
        case .preconditionFailed: "Precondition Failed"
        case .preconditionRequired: "Precondition Required"
        case .idempotencyKeyReused: "Idempotency Key Reused"
        case .illegalTransition: "Illegal Transition"
        case .noPositionLeft: "No Position Left"
        }
    }
}

/// One bad input of a 400 answer.
public struct InputIssue: Sendable, Equatable, Encodable {
    public enum Kind: String, Sendable {
        case schemaViolation = "urn:problem-type:belgif:input-validation:schemaViolation"
        case unknownInput = "urn:problem-type:belgif:input-validation:unknownInput"
        case invalidInput = "urn:problem-type:belgif:input-validation:invalidInput"
        case referencedResourceNotFound = "urn:problem-type:belgif:input-validation:referencedResourceNotFound"

        var title: String {
            switch self {
            case .schemaViolation: "Input isn't valid with respect to schema"
            case .unknownInput: "Unknown input"
            case .invalidInput: "Invalid input"
            case .referencedResourceNotFound: "Referenced resource not found"
            }
        }
    }

    public enum Location: String, Sendable, Encodable {
        case body, query, path, header
    }

    public var kind: Kind
    public var location: Location
    /// The input's name, with a path into the body: `roles[2]`, `parentId`.
    public var name: String
    public var detail: String
    /// The offending value, echoed only where it is the caller's own input and not personal data.
    public var value: String?

    public init(_ kind: Kind = .schemaViolation, in location: Location, name: String, detail: String, value: String? = nil) {
        self.kind = kind
        self.location = location
        self.name = name
        self.detail = detail
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case type, title, detail, `in`, name, value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.rawValue, forKey: .type)
        try container.encode(kind.title, forKey: .title)
        try container.encode(detail, forKey: .detail)
        try container.encode(location, forKey: .in)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(value, forKey: .value)
    }
}

/// An error that leaves the server as an `application/problem+json` answer.
public struct Problem: Error, Sendable, Equatable {
    public var type: ProblemType
    public var detail: String?
    public var issues: [InputIssue]
    /// Extra response headers: `WWW-Authenticate`, `Retry-After`.
    public var headers: HTTPFields

    public init(_ type: ProblemType, detail: String? = nil, issues: [InputIssue] = [], headers: HTTPFields = [:]) {
        self.type = type
        self.detail = detail
        self.issues = issues
        self.headers = headers
    }

    public var status: HTTPResponse.Status { type.status }

    public static func badRequest(_ issues: [InputIssue]) -> Problem {
        Problem(.badRequest, detail: "The input message is incorrect", issues: issues)
    }

    public static func badRequest(_ issue: InputIssue) -> Problem { badRequest([issue]) }

    /// Out of the caller's scope or not there: the same answer, so existence does not leak.
    public static let notFound = Problem(.resourceNotFound, detail: "The resource does not exist or is not visible to you")

    public static func unauthorized(_ type: ProblemType, detail: String) -> Problem {
        var headers = HTTPFields()
        let error = type == .noAccessToken ? "" : ", error=\"invalid_token\""
        headers[.wwwAuthenticate] = "Bearer realm=\"veerkracht\"\(error)"
        return Problem(type, detail: detail, headers: headers)
    }

    public static func conflict(_ detail: String) -> Problem { Problem(.conflict, detail: detail) }

    public static let missingPermission = Problem(.missingPermission, detail: "Your roles do not allow this operation")

    public static func serviceUnavailable(retryAfterSeconds: Int, detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return Problem(.serviceUnavailable, detail: detail, headers: headers)
    }

    /// The JSON body; `instance` names the request by its trace id.
    func body(traceID: String) -> Data {
        struct Body: Encodable {
            var type: String
            var title: String
            var status: Int
            var detail: String?
            var instance: String
            var issues: [InputIssue]?
        }
        let body = Body(
            type: type.rawValue, title: type.title, status: status.code, detail: detail,
            instance: "urn:uuid:\(traceID)", issues: issues.isEmpty ? nil : issues)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(body)) ?? Data(#"{"status":500,"title":"Internal Server Error","type":"urn:problem-type:belgif:internalServerError"}"#.utf8)
    }
}
