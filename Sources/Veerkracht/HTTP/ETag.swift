import Foundation

/// Strong entity tags made from a row's id and version, and the If-Match / If-None-Match rules.
public enum ETag {
    public static func make(id: UUID, version: Int64) -> String {
        "\"\(id.lowercasedString.prefix(8))-\(version)\""
    }

    /// The tag of a row keyed by a code (a catalogue entry) rather than a UUID.
    public static func make(code: String, version: Int64) -> String {
        "\"\(code)-\(version)\""
    }

    /// The tags listed in an If-Match / If-None-Match value; `*` is kept as is.
    static func tags(in header: String) -> [String] {
        header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// If-None-Match uses weak comparison: `W/"x"` matches `"x"`.
    public static func noneMatchHits(_ header: String?, current: String) -> Bool {
        guard let header else { return false }
        return tags(in: header).contains { $0 == "*" || $0 == current || $0 == "W/" + current }
    }

    /// An update must name the version it is based on: none is 428, another is 412.
    public static func requireMatch(_ header: String?, current: String) throws(Problem) {
        guard let header, !header.isEmpty else {
            throw Problem(.preconditionRequired, detail: "Send If-Match with the ETag of the version you are changing")
        }
        guard tags(in: header).contains(where: { $0 == "*" || $0 == current }) else {
            throw Problem(.preconditionFailed, detail: "The resource changed since you read it; read it again and retry")
        }
    }
}
