/// A segment to train its own points for (see ``ScorecardSegment``): the rows with a value in
/// any of the `whenPresent` columns that no earlier segment took; the last segment, with no
/// columns, takes the rest.
public struct TrainingSegment: Sendable, Hashable {
    public var name: String
    public var whenPresent: [String]

    public init(name: String, whenPresent: [String] = []) {
        self.name = name
        self.whenPresent = whenPresent
    }
}
