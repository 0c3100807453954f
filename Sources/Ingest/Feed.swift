/// A feed file and the catalog source that delivered it.
public struct Feed: Sendable, Hashable {
    /// The file's path; its extension gives the format (`.jsonl` or `.csv`).
    public var path: String
    public var source: String

    public init(path: String, source: String) {
        self.path = path
        self.source = source
    }
}
