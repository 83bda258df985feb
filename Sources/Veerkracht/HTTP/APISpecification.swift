import Foundation
import HTTPTypes
import VeerkrachtAPI
import Yams

/// What the server reads from its own OpenAPI document at start: which operations are
/// public (`security: []`), which query parameters each operation defines, and what the
/// document declares of each header and query parameter (`ParameterRule`).
struct APISpecification: Sendable {
    let yaml: Data
    let publicOperations: Set<String>
    let queryParameters: [String: Set<String>]
    /// By operation: its header and query parameters as the document declares them.
    let parameterRules: [String: [ParameterRule]]
    /// Every (method, path template) the document defines, for the router check in tests.
    let routes: Set<String>

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
        var parameterRules: [String: [ParameterRule]] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any] ?? []).compactMap(resolve)
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any], let id = operation["operationId"] as? String else { continue }
                routes.insert("\(method.uppercased()) \(path)")
                if let security = operation["security"] as? [Any], security.isEmpty { publicOperations.insert(id) }
                let parameters = shared + (operation["parameters"] as? [Any] ?? []).compactMap(resolve)
                queryParameters[id] = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
                parameterRules[id] = try parameters.compactMap { try ParameterRule($0, resolve: resolveSchema) }
            }
        }
        self.publicOperations = publicOperations
        self.queryParameters = queryParameters
        self.parameterRules = parameterRules
        self.routes = routes
    }

    /// 400 with one issue per header or query value that breaks what the document declares.
    /// Checked before the generated layer decodes them, which would refuse some without
    /// naming the parameter and accept others (lengths, counts) it does not check.
    func checkParameters(of request: HTTPRequest, operationID: String) throws(Problem) {
        guard let rules = parameterRules[operationID], !rules.isEmpty else { return }
        let query = QueryItems(path: request.path ?? "")
        var issues: [InputIssue] = []
        for rule in rules {
            let values: [String] = switch rule.location {
            case .header: HTTPField.Name(rule.name).map { request.headerFields[values: $0] } ?? []
            default: query.values(of: rule.name)
            }
            issues += rule.issues(values)
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
        var literalCount: Int { segments.count { $0 != nil } }
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
        // As the router does, a literal segment beats a parameter: `/v1/employees/import` is not
        // `/v1/employees/{employeeId}`.
        guard let literals = matching.map(\.literalCount).max() else { return nil }
        return Array(Set(matching.filter { $0.literalCount == literals }.flatMap(\.methods))).sorted()
    }
}
