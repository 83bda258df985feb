import Foundation
import Hummingbird
import OpenAPIRuntime

/// Turns a malformed `date-time` into 400 `badRequest` with an issue that names the input.
/// The generated layer decodes every timestamp through `Timestamp.parse` but does not say which
/// input it was reading, so the name is found from the request: the query parameter, header or
/// body property (the body is already in memory, `BodyLimitMiddleware` collected it) that holds
/// exactly the refused text.
struct TimestampIssueMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let malformed = Self.malformedTimestamp(in: error) else { throw error }
            throw Problem.badRequest(await Self.issue(for: malformed.text, in: request))
        }
    }

    private static func malformedTimestamp(in error: any Error) -> Timestamp.Malformed? {
        var error = error
        while let server = error as? ServerError { error = server.underlyingError }
        return error as? Timestamp.Malformed
    }

    private static func issue(for text: String, in request: Request) async -> InputIssue {
        let value = String(text.prefix(64))
        let query = request.uri.queryParameters
        if let name = query.first(where: { String($0.value) == text })?.key {
            return InputIssue(in: .query, name: String(name), detail: Timestamp.expectation, value: value)
        }
        if let field = request.headers.first(where: { $0.value == text && $0.name != .authorization }) {
            return InputIssue(in: .header, name: field.name.canonicalName, detail: Timestamp.expectation, value: value)
        }
        let body = try? await request.body.collect(upTo: .max)
        let json = body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.readableBytesView), options: [.fragmentsAllowed]) }
        return InputIssue(in: .body, name: json.flatMap { path(to: text, in: $0) } ?? "", detail: Timestamp.expectation, value: value)
    }

    /// The first property path (`actions[2].doneAt`) whose string value is `text`; object keys
    /// in sorted order so that the answer does not change between runs.
    static func path(to text: String, in json: Any, prefix: String = "") -> String? {
        switch json {
        case let string as String:
            return string == text ? prefix : nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = path(to: text, in: element, prefix: "\(prefix)[\(index)]") { return found }
            }
            return nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = path(to: text, in: object[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
