import Formats
import Yams

/// The purposes a request may declare (`Policies/purposes.yaml`).
public struct PurposeCatalog: Sendable, Hashable {
    /// Purpose ids in file order (at most 64); a purpose's position is its bit in decision tables.
    public let ids: [String]
    /// Purpose id → Chinese and English title.
    public let titles: [String: String]

    /// Parses the purposes from YAML `text` that the caller read from `file`.
    /// - Throws: `PolicyError` listing every problem as `file:line: message`.
    public init(yaml text: String, file: String) throws(PolicyError) {
        var reader = YAMLReader(file: file)
        var ids: [String] = []
        var titles: [String: String] = [:]
        if let root = reader.root(of: text), let top = reader.mapping(root, "the purposes file", required: ["purposes"]) {
            for (id, _, value) in top["purposes"].flatMap({ reader.entries($0, "purposes") }) ?? [] {
                guard let title = reader.string(value, "purpose '\(id)' title") else { continue }
                ids.append(id)
                titles[id] = title
            }
            if ids.count > 64 { reader.fail(top["purposes"], "at most 64 purposes are supported, not \(ids.count)") }
        }
        guard reader.diagnostics.isEmpty else { throw PolicyError(reader.diagnostics) }
        self.ids = ids
        self.titles = titles
    }
}
