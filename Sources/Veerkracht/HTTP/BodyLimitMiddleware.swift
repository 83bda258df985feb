import Foundation
import Hummingbird

/// Refuses request bodies over the limit with 413 before any handler reads them, and notes
/// which keys a merge patch sets to null.
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
        guard request.method == .patch else { return try await next(request, context) }
        return try await MergePatch.$nullKeys.withValue(MergePatch.nullKeys(in: Data(buffer.readableBytesView))) {
            try await next(request, context)
        }
    }
}
