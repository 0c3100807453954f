/// The outcome of scoring one feature vector.
public struct ScoreResult: Sendable, Equatable {
    /// The version of the card that scored it.
    public var cardVersion: String
    /// The name of the card's segment that scored it (`nil` for an unsegmented card).
    public var segment: String?
    /// The segment's index in the card.
    var segmentIndex: Int
    /// Intercept plus feature points, rounded half away from zero.
    public var score: Int
    /// The grade of the score's band; the worst grade when a hard-decline rule applies.
    public var grade: Grade
    /// The grade band's probability of default.
    public var probabilityOfDefault: Double
    /// The first hard-decline rule the vector met, if any (rules are checked in card order).
    public var declinedBy: DeclineRule?
    /// Features that cost the most points, worst first.
    public var reasons: ReasonList

    /// Whether a hard-decline rule applies.
    public var isDeclined: Bool { declinedBy != nil }
}
