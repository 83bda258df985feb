import Foundation
import HTTPTypes
import VeerkrachtAPI
import Yams

/// What the server reads from its own OpenAPI document at start: which operations are
/// public (`security: []`), which query parameters each operation defines, and the length
/// limits of its header and query parameters (the generated layer enforces none of them).
struct APISpecification: Sendable {
    let yaml: Data
    let publicOperations: Set<String>
    let queryParameters: [String: Set<String>]
    /// By operation: the declared `maxLength` (strings) or `maxItems` (repeated parameters).
    let parameterLimits: [String: [ParameterLimit]]
    /// Every (method, path template) the document defines, for the router check in tests.
    let routes: Set<String>

    struct ParameterLimit: Sendable {
        var name: String
        var location: InputIssue.Location
        var maxLength: Int?
        var maxItems: Int?
    }

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func load() throws -> APISpecification {
        try APISpecification(yaml: OpenAPIDocument.yaml)
    }

    init(yaml: Data) throws {
        self.yaml = yaml
        guard let document = try Yams.load(yaml: String(decoding: yaml, as: UTF8.self)) as? [String: Any],
            let paths = document["paths"] as? [String: Any]
        else { throw Invalid(description: "openapi.yaml has no paths") }
        let components = (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        func resolveSchema(_ schema: Any?) -> [String: Any] {
            guard let schema = schema as? [String: Any] else { return [:] }
            if let reference = schema["$ref"] as? String {
                return schemas[String(reference.split(separator: "/").last ?? "")] as? [String: Any] ?? [:]
            }
            return schema
        }
        func resolve(_ parameter: Any) -> [String: Any]? {
            guard let parameter = parameter as? [String: Any] else { return nil }
            if let reference = parameter["$ref"] as? String {
                return components[String(reference.split(separator: "/").last ?? "")] as? [String: Any]
            }
            return parameter
        }
        var publicOperations = Set<String>()
        var queryParameters: [String: Set<String>] = [:]
        var routes = Set<String>()
        var parameterLimits: [String: [ParameterLimit]] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any] ?? []).compactMap(resolve)
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any], let id = operation["operationId"] as? String else { continue }
                routes.insert("\(method.uppercased()) \(path)")
                if let security = operation["security"] as? [Any], security.isEmpty { publicOperations.insert(id) }
                let parameters = shared + (operation["parameters"] as? [Any] ?? []).compactMap(resolve)
                queryParameters[id] = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
                parameterLimits[id] = parameters.compactMap { parameter in
                    guard let name = parameter["name"] as? String,
                        let location = (parameter["in"] as? String).flatMap(InputIssue.Location.init(rawValue:)),
                        location == .header || location == .query
                    else { return nil }
                    let schema = resolveSchema(parameter["schema"])
                    let itemSchema = resolveSchema(schema["items"])
                    let limit = ParameterLimit(
                        name: name, location: location,
                        maxLength: schema["maxLength"] as? Int ?? itemSchema["maxLength"] as? Int, maxItems: schema["maxItems"] as? Int)
                    return limit.maxLength == nil && limit.maxItems == nil ? nil : limit
                }
            }
        }
        self.publicOperations = publicOperations
        self.queryParameters = queryParameters
        self.parameterLimits = parameterLimits
        self.routes = routes
    }

    /// 400 with one issue per header or query parameter over its declared limit.
    func checkLimits(of request: HTTPRequest, operationID: String) throws(Problem) {
        guard let limits = parameterLimits[operationID], !limits.isEmpty else { return }
        let query = request.path.flatMap { path in
            path.utf8.contains(UInt8(ascii: "?")) ? URLComponents(string: path)?.queryItems : nil
        } ?? []
        var issues: [InputIssue] = []
        for limit in limits {
            let values: [String] = switch limit.location {
            case .header: HTTPField.Name(limit.name).map { request.headerFields[values: $0] } ?? []
            default: query.filter { $0.name == limit.name }.map { $0.value ?? "" }
            }
            if let maxItems = limit.maxItems, values.count > maxItems {
                issues.append(InputIssue(in: limit.location, name: limit.name, detail: "At most \(maxItems) values"))
            }
            if let maxLength = limit.maxLength, values.contains(where: { $0.unicodeScalars.count > maxLength }) {
                issues.append(InputIssue(in: limit.location, name: limit.name, detail: "At most \(maxLength) characters"))
            }
        }
        guard issues.isEmpty else { throw Problem.badRequest(issues) }
    }
}

/// The methods the document defines for each path template, to answer a request whose path
/// exists with another method: 405 with `Allow` rather than the router's 404.
struct RouteMethods: Sendable {
    private struct Template: Sendable {
        /// nil stands for a `{parameter}` segment.
        var segments: [String?]
        var methods: [String]
    }

    private let templates: [Template]

    init(_ specification: APISpecification) {
        var methods: [String: Set<String>] = [:]
        for route in specification.routes {
            let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
            methods[parts[1], default: []].insert(parts[0])
        }
        templates = methods.map { path, methods in
            Template(
                segments: path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) },
                methods: methods.sorted())
        }
    }

    /// The methods of the template `path` matches, or nil when it matches none.
    func methods(at path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let matching = templates.filter { template in
            template.segments.count == segments.count
                && zip(template.segments, segments).allSatisfy { expected, actual in
                    expected.map { $0 == actual } ?? !actual.isEmpty
                }
        }
        guard !matching.isEmpty else { return nil }
        return Array(Set(matching.flatMap(\.methods))).sorted()
    }
}
