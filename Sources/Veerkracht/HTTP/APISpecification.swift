import Foundation
import VeerkrachtAPI
import Yams

/// What the server reads from its own OpenAPI document at start: which operations are
/// public (`security: []`) and which query parameters each operation defines.
struct APISpecification: Sendable {
    let yaml: Data
    let publicOperations: Set<String>
    let queryParameters: [String: Set<String>]
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
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any] ?? []).compactMap(resolve)
            for method in ["get", "put", "post", "delete", "patch"] {
                guard let operation = item[method] as? [String: Any], let id = operation["operationId"] as? String else { continue }
                routes.insert("\(method.uppercased()) \(path)")
                if let security = operation["security"] as? [Any], security.isEmpty { publicOperations.insert(id) }
                let parameters = shared + (operation["parameters"] as? [Any] ?? []).compactMap(resolve)
                queryParameters[id] = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
            }
        }
        self.publicOperations = publicOperations
        self.queryParameters = queryParameters
        self.routes = routes
    }
}
