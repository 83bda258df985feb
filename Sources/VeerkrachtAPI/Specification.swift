import Foundation

/// The OpenAPI document this target is generated from, as shipped with the server.
public enum OpenAPIDocument {
    public static var yaml: Data {
        get throws {
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
                throw CocoaError(.fileNoSuchFile)
            }
            return try Data(contentsOf: url)
        }
    }
}
