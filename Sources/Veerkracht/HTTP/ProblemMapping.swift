import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import PostgresLibPQ

extension ServerError {
    /// The error under every layer of `ServerError` the generated server wrapped around it,
    /// and the id of the operation that threw it.
    static func cause(of error: any Error) -> (error: any Error, operationID: String?) {
        var error = error
        var operationID: String?
        while let server = error as? ServerError {
            operationID = operationID ?? server.operationID
            error = server.underlyingError
        }
        return (error, operationID)
    }
}

extension Problem {
    /// The one table from anything thrown to what the caller sees. `isServerFault` says the
    /// error deserves a log line at error level (what it may say of the error: `LoggedError`).
    static func from(_ error: any Error) -> (problem: Problem, isServerFault: Bool) {
        switch error {
        case let problem as Problem:
            return (problem, problem.status.code >= 500)
        case let serverError as ServerError:
            return from(serverError)
        case let decoding as DecodingError:
            return (.badRequest(InputIssue(decoding)), false)
        case let postgres as PostgresError:
            return from(postgres)
        case is PostgresDecodingError:
            return (Problem(.internalServerError), true)
        case let http as any HTTPResponseError:
            return (from(status: http.status, detail: nil), http.status.code >= 500)
        case is CancellationError:
            return (.serviceUnavailable(retryAfterSeconds: 1, detail: "The request was cancelled"), false)
        default:
            return (Problem(.internalServerError), true)
        }
    }

    /// The generated layer wraps everything; what it found wrong with the request itself
    /// (content type, missing header, undecodable value) it reports as a 4xx status.
    private static func from(_ error: ServerError) -> (problem: Problem, isServerFault: Bool) {
        let inner = error.underlyingError
        if inner is Problem || inner is DecodingError || inner is PostgresError || inner is ServerError
            || inner is PostgresDecodingError || inner is CancellationError
        {
            return from(inner)
        }
        let status = error.httpStatus
        if status == .badRequest {
            let location: InputIssue.Location = error.causeDescription.localizedCaseInsensitiveContains("header") ? .header
                : error.causeDescription.localizedCaseInsensitiveContains("query") ? .query
                : error.causeDescription.localizedCaseInsensitiveContains("path") ? .path : .body
            return (.badRequest(InputIssue(in: location, name: "", detail: "\(inner)")), false)
        }
        return (from(status: status, detail: status.code < 500 ? "\(inner)" : nil), status.code >= 500)
    }

    private static func from(_ error: PostgresError) -> (problem: Problem, isServerFault: Bool) {
        switch error.kind {
        case .poolTimeout:
            return (.serviceUnavailable(retryAfterSeconds: 1, detail: "The service is busy; try again shortly"), false)
        case .connectionFailed, .connectionClosed, .poolClosed:
            return (.databaseUnreachable, true)
        case .cancelled:
            return (.serviceUnavailable(retryAfterSeconds: 1, detail: "The request was cancelled"), false)
        case .misuse:
            return (Problem(.internalServerError), true)
        case .server:
            break
        }
        switch error.sqlState {
        case .uniqueViolation?, .exclusionViolation?:
            return (.conflict("The change conflicts with existing data"), false)
        case .foreignKeyViolation?:
            return (.badRequest(InputIssue(.referencedResourceNotFound, in: .body, name: error.column ?? "",
                                           detail: "A referenced resource does not exist")), false)
        case .checkViolation?, .notNullViolation?, .stringDataRightTruncation?, .numericValueOutOfRange?,
            .invalidTextRepresentation?, .characterNotInRepertoire?, .untranslatableCharacter?:
            // Validation in Swift should have caught it; the schema is the last line.
            return (.badRequest(InputIssue(in: .body, name: error.column ?? "", detail: "A value is not allowed")), true)
        case .serializationFailure?, .deadlockDetected?, .lockNotAvailable?, .queryCanceled?:
            return (.serviceUnavailable(retryAfterSeconds: 1, detail: "The service is busy; try again shortly"), false)
        default:
            if error.isConnectionLost {
                return (.databaseUnreachable, true)
            }
            return (Problem(.internalServerError), true)
        }
    }

    /// The pool opens a new connection for the next request that needs one, with no back-off of
    /// its own, so the server is back as soon as the database is: the fault test saw it answer
    /// again 0.1–0.4 s after PostgreSQL restarted. One second is the honest advice.
    static let databaseRetryAfterSeconds = 1

    static let databaseUnreachable = Problem.serviceUnavailable(
        retryAfterSeconds: databaseRetryAfterSeconds, detail: "The database cannot be reached; try again shortly")

    static func from(status: HTTPResponse.Status, detail: String?) -> Problem {
        switch status.code {
        case 400: .badRequest(InputIssue(in: .body, name: "", detail: detail ?? "The request could not be read"))
        case 401: .unauthorized(.invalidAccessToken, detail: "The access token is not valid")
        case 403: .missingPermission
        case 404: .notFound
        case 405: Problem(.methodNotAllowed, detail: "This resource does not support that method")
        case 406: Problem(.notAcceptable, detail: "The server cannot answer in an accepted media type")
        case 412: Problem(.preconditionFailed)
        case 413: Problem(.payloadTooLarge, detail: "The request body is too large")
        case 415: Problem(.unsupportedMediaType, detail: detail)
        case 428: Problem(.preconditionRequired)
        case 429: Problem(.tooManyRequests)
        case 503: .serviceUnavailable(retryAfterSeconds: databaseRetryAfterSeconds, detail: "The service is unavailable")
        case 400..<500: .badRequest(InputIssue(in: .body, name: "", detail: detail ?? "The request could not be processed"))
        default: Problem(.internalServerError)
        }
    }
}

extension InputIssue {
    /// A JSON body that did not decode into the operation's schema.
    init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.init(in: .body, name: path(context.codingPath + [key]), detail: "This property is required")
        case .typeMismatch(_, let context):
            self.init(in: .body, name: path(context.codingPath), detail: "This value has the wrong type")
        case .valueNotFound(_, let context):
            self.init(in: .body, name: path(context.codingPath), detail: "This value may not be null")
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                self.init(.unknownInput, in: .body, name: path(context.codingPath), detail: "This property is not part of the operation's input")
            } else if context.codingPath.isEmpty {
                self.init(in: .body, name: "", detail: "The body is not valid JSON")
            } else {
                self.init(in: .body, name: path(context.codingPath), detail: "This value is not allowed")
            }
        @unknown default:
            self.init(in: .body, name: "", detail: "The body could not be read")
        }
    }
}
