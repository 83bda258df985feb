import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import OpenAPIRuntime
import PostgresLibPQ
import Synchronization

extension HTTPField.Name {
    static let belgovTraceID = HTTPField.Name("BelGov-Trace-Id")!
    static let belgovRelatedTraceID = HTTPField.Name("BelGov-Related-Trace-Id")!
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}

/// Gives every request its trace id, turns every error into a problem document, and writes
/// one access-log line and the request metrics. Outermost, so it sees the final status of
/// everything, including what the router itself refuses.
struct TraceMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let publicBaseURL: String?
    let routes: RouteMethods
    private let metrics = RequestMetrics()

    init(logger: Logger, publicBaseURL: String?, routes: RouteMethods) {
        self.logger = logger
        self.publicBaseURL = publicBaseURL
        self.routes = routes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let traceID = UUID.random().lowercasedString
        let related = Self.callerTraceID(request.headers[.belgovTraceID] ?? request.headers[.xRequestID])
        let scope = RequestScope(traceID: traceID, relatedTraceID: related, baseURL: publicBaseURL ?? Self.baseURL(of: request))

        var response: Response
        do {
            // No trailing slash (Belgif): the router would take `/v1/entities/` for `/v1/entities`.
            let path = request.uri.path
            if path.utf8.count > 1, path.utf8.last == UInt8(ascii: "/") { throw Problem.notFound }
            response = try await RequestScope.$current.withValue(scope) { try await next(request, context) }
        } catch {
            var (problem, isServerFault) = Problem.from(error)
            // The router answers 404 (an HTTPError; our handlers throw a Problem) also for a
            // known path with another method.
            if (error as? HTTPError)?.status == .notFound, let methods = routes.methods(at: request.uri.path)
            {
                problem = Problem(.methodNotAllowed, detail: "This resource supports \(methods.joined(separator: ", "))",
                                  headers: [.allow: methods.joined(separator: ", ")])
            }
            if isServerFault {
                var metadata = LoggedError(error).metadata
                metadata["traceId"] = "\(traceID)"
                logger.error("request failed", metadata: metadata)
            }
            response = Self.response(for: problem, traceID: traceID)
        }
        // The generated layer percent-encodes header values as URI parts; ETags are quoted
        // strings and Location a URI reference, so they go out as they are.
        for name in [HTTPField.Name.eTag, .location] {
            if let value = response.headers[name], let decoded = HeaderValue.percentDecoded(value) { response.headers[name] = decoded }
        }
        response.headers[.belgovTraceID] = traceID
        if let related { response.headers[.belgovRelatedTraceID] = related }
        response.headers[.xRequestID] = request.headers[.xRequestID].flatMap(Self.callerTraceID) ?? traceID

        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - started
        metrics.record(route: route, method: request.method, status: response.status, elapsed: elapsed)
        // Route template, never the concrete path or query: those can identify people.
        logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            "route": "\(route)",
            "status": "\(response.status.code)",
            "durationMs": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            "traceId": "\(traceID)",
        ])
        return response
    }

    static func response(for problem: Problem, traceID: String) -> Response {
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: problem.body(traceID: traceID))))
    }

    /// A caller's id is echoed only when it is short, printable ASCII.
    private static func callerTraceID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 255,
            value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        else { return nil }
        return value
    }

    private static func baseURL(of request: Request) -> String {
        let scheme = request.headers[.xForwardedProto] ?? request.head.scheme ?? "http"
        let host = request.head.authority ?? "localhost"
        return "\(scheme)://\(host)"
    }
}

/// Requests by route template, method and status, and their latency, with the metric objects
/// made once per label set rather than per request.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: HTTPRequest.Method
        var status: Int
    }

    private struct Recorders: Sendable {
        var counter: Counter
        var timer: Metrics.Timer
    }

    private let cache = Mutex<[Key: Recorders]>([:])

    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, elapsed: Duration) {
        let key = Key(route: route, method: method, status: status.code)
        let recorders = cache.withLock { cache in
            if let existing = cache[key] { return existing }
            let dimensions = [("route", route), ("method", method.rawValue), ("status", String(status.code))]
            let made = Recorders(
                counter: Counter(label: "http_requests_total", dimensions: dimensions),
                timer: Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method.rawValue)]))
            cache[key] = made
            return made
        }
        recorders.counter.increment()
        recorders.timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}

/// Header values as the generated layer leaves them.
enum HeaderValue {
    /// `value` with its %XX escapes decoded; nil when it has none (or is not valid UTF-8 after).
    /// Byte by byte: Foundation's `removingPercentEncoding` makes a CFString per header.
    static func percentDecoded(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return nil }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(validating: decoded, as: UTF8.self)
    }
}

/// An error of our own whose description is written from what the server itself knows (paths
/// of its data folder, a child process's output), never from a request: the log may show it.
protocol LogSafeError: Error, CustomStringConvertible {}

/// What the log may say about an error: its type, the operation and, for our own types, a
/// description made of codes and names. Never the request (the generated `ServerError` holds
/// it, headers and token included), a body, a path or query value, or a database message
/// (its DETAIL quotes row values).
struct LoggedError {
    var operationID: String?
    var type: String
    var description: String

    init(_ error: any Error) {
        let (error, operationID) = ServerError.cause(of: error)
        self.operationID = operationID
        type = String(describing: Swift.type(of: error))
        switch error {
        case let postgres as PostgresError:
            description = postgres.description
        case let problem as Problem:
            description = problem.type.rawValue
        case let operational as any LogSafeError:
            description = operational.description
        case let decoding as DecodingError:
            description = switch decoding {
            case .keyNotFound: "keyNotFound"
            case .typeMismatch: "typeMismatch"
            case .valueNotFound: "valueNotFound"
            case .dataCorrupted: "dataCorrupted"
            @unknown default: "decodingError"
            }
        default:
            description = type
        }
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["errorType": "\(type)", "error": "\(description)"]
        if let operationID { metadata["operationId"] = "\(operationID)" }
        return metadata
    }
}
