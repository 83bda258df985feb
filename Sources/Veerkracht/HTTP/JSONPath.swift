import Foundation

/// Paths into a JSON value as problem issues name them: `actions[2].doneAt`.
enum JSONPath {
    /// Every path whose value passes `test`, object keys in sorted order so that answers do not
    /// change between runs.
    static func all(in json: Any, prefix: String = "", where test: (Any) -> Bool) -> [String] {
        if test(json) { return [prefix] }
        switch json {
        case let array as [Any]:
            return array.enumerated().flatMap { all(in: $1, prefix: "\(prefix)[\($0)]", where: test) }
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { all(in: object[$0]!, prefix: prefix.isEmpty ? $0 : "\(prefix).\($0)", where: test) }
        default:
            return []
        }
    }
}
