import Foundation

/// What the middlewares learn about a request and the handlers need: set for the task that
/// serves the request, as the Hummingbird template passes its context to OpenAPI handlers.
public struct RequestScope: Sendable {
    /// Ours, made for every request; answers carry it as `BelGov-Trace-Id` and problems as `instance`.
    public var traceID: String
    /// The caller's `BelGov-Trace-Id` or `X-Request-Id`, echoed as `BelGov-Related-Trace-Id`.
    public var relatedTraceID: String?
    /// `scheme://host` of the request, for absolute links.
    public var baseURL: String

    @TaskLocal public static var current: RequestScope?
}
