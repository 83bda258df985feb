import Foundation
import Hummingbird
import OpenAPIRuntime

/// Turns a malformed `date-time` in a body into 400 `badRequest` with an issue that names the
/// property. The generated layer decodes every timestamp through `Timestamp.parse` but does not
/// say which property it was reading, so the name is found in the body (already in memory:
/// `BodyLimitMiddleware` collected it) as the property that holds exactly the refused text.
/// Query and header values are checked before decoding, by `ParameterRule`.
struct TimestampIssueMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let malformed = ServerError.cause(of: error).error as? Timestamp.Malformed else { throw error }
            throw Problem.badRequest(await Self.issue(for: malformed.text, in: request))
        }
    }

    private static func issue(for text: String, in request: Request) async -> InputIssue {
        let value = String(text.prefix(64))
        let body = try? await request.body.collect(upTo: .max)
        let json = body.flatMap { try? JSONSerialization.jsonObject(with: Data($0.readableBytesView), options: [.fragmentsAllowed]) }
        let name = json.flatMap { JSONPath.all(in: $0) { $0 as? String == text }.first } ?? ""
        return InputIssue(in: .body, name: name, detail: Timestamp.expectation, value: value)
    }
}
