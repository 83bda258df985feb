import Foundation
import Hummingbird

/// Refuses request bodies over the limit with 413 before any handler reads them, and JSON
/// values the generated layer would let through wrongly; notes which keys a merge patch sets
/// to null.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maximumBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBytes {
            throw Problem(.payloadTooLarge, detail: "The request body may be at most \(maximumBytes) bytes")
        }
        // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body (most GETs).
        if request.headers[.contentLength] == nil, request.headers[.transferEncoding] == nil {
            return try await next(request, context)
        }
        var request = request
        // A body without a (truthful) Content-Length is counted as it arrives.
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem(.payloadTooLarge, detail: "The request body may be at most \(maximumBytes) bytes")
        }
        request.body = .init(buffer: buffer)
        let isPatch = request.method == .patch
        // Parsed once, and only when something needs it: a merge patch's null keys, or a body
        // that may hold a NUL or a null.
        let json = Self.isJSON(request) ? Self.parsed(buffer, always: isPatch) : nil
        // Found here, where the bytes are, and answered once the caller is known to be allowed.
        let refusals = json.map { Self.unstorableValues(in: $0, allowingNull: isPatch) } ?? []
        return try await UnstorableJSON.$refusals.withValue(refusals) {
            guard isPatch else { return try await next(request, context) }
            return try await MergePatch.$nullKeys.withValue(MergePatch.nullKeys(in: json)) {
                try await next(request, context)
            }
        }
    }

    /// The body as JSON when `always`, or when its bytes may hold a NUL or a null; else nil.
    private static func parsed(_ buffer: ByteBuffer, always: Bool) -> Any? {
        let bytes = buffer.readableBytesView
        guard always || bytes.firstRange(of: Array(#"\u0000"#.utf8)) != nil || bytes.firstRange(of: Array("null".utf8)) != nil
        else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    private static func isJSON(_ request: Request) -> Bool {
        guard let type = request.headers[.contentType]?.lowercased() else { return false }
        return type.hasPrefix("application/json") || type.contains("+json")
    }

    /// The issues of a string with a NUL character (PostgreSQL cannot keep one in text) and of a
    /// `null` that no schema allows: outside a merge patch any (no create or replace schema has
    /// one), in a merge patch one below the top level (only top-level properties can be removed).
    /// The generated layer would read such a null as "left out".
    static func unstorableValues(in json: Any, allowingNull: Bool) -> [InputIssue] {
        var issues = JSONPath.all(in: json) { ($0 as? String)?.unicodeScalars.contains("\u{0}") == true }.map {
            InputIssue(in: .body, name: $0, detail: "This may not contain the NUL character")
        }
        let nulls = JSONPath.all(in: json) { $0 is NSNull }
        issues += nulls.filter { !allowingNull || $0.contains(".") || $0.contains("[") }.map {
            InputIssue(in: .body, name: $0, detail: "This value may not be null; leave the property out")
        }
        return issues
    }
}

/// What `BodyLimitMiddleware` found the generated layer would let through wrongly, for
/// `AuthenticationMiddleware` to answer after the caller's token and role: a body is not
/// judged for someone who may not send it.
enum UnstorableJSON {
    @TaskLocal static var refusals: [InputIssue] = []
}
