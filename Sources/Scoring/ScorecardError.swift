/// A scorecard that cannot be loaded or used, with where and why.
public struct ScorecardError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the card: a path such as `features[2].bins[1]`.
    public var path: String
    /// The line in the YAML text, when the card came from YAML.
    public var line: Int?
    /// What is wrong.
    public var message: String
    /// The other problems found with this one (reading a YAML card reports every problem of the text), each with its line.
    public var further: [ScorecardError] = []

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// The problem, then each further one on a line of its own.
    public var description: String {
        let place = path.isEmpty ? "" : " (\(path))"
        let first = if let line { "line \(line)\(place): \(message)" } else { "\(path.isEmpty ? "scorecard" : path): \(message)" }
        return ([first] + further.map(\.description)).joined(separator: "\n")
    }
}
