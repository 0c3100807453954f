/// A scorecard that cannot be loaded or used, with where and why.
public struct ScorecardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the card: a path such as `features[2].bins[1]`.
    public var path: String
    /// The line in the YAML text, when the card came from YAML.
    public var line: Int?
    /// What is wrong.
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = path.isEmpty ? "" : " (\(path))"
        if let line { return "line \(line)\(place): \(message)" }
        return "\(path.isEmpty ? "scorecard" : path): \(message)"
    }
}
