/// Whether training makes a feature's WOE run one way across its ordered bins.
public enum Monotonicity: String, Sendable, CaseIterable {
    /// Bins as the method cuts them.
    case off
    /// WOE always monotonic, in the direction of the values' overall trend.
    case on
    /// Monotonic where the trend is: the monotonic bins, unless the free bins fit the training
    /// rows significantly better (a likelihood-ratio test at the 1 % level), as a U-shape does.
    case auto
    /// Monotonic, or with one turn where the rows show one: the monotonic bins, unless the best
    /// bins whose WOE rises then falls or falls then rises (a valley or a peak of the bad rate, see
    /// ``WOETrend``) fit the training rows significantly better (a likelihood-ratio test at the 5 %
    /// level). The turning point is the one whose bins have the highest information value; each
    /// side keeps the least bin share and is monotonic, and merging within noise keeps one turn at most.
    case peakValley = "peak-valley"
}

/// How a feature's WOE runs across its ordered numeric bins, when training held it to a shape.
/// WOE is `ln(good share / bad share)`: it rises where the bad rate falls.
public enum WOETrend: String, Sendable, Hashable {
    /// WOE rises with the value (the bad rate falls).
    case up
    /// WOE falls with the value (the bad rate rises).
    case down
    /// The bad rate falls then rises (WOE rises then falls): a U.
    case valley
    /// The bad rate rises then falls (WOE falls then rises).
    case peak

    /// Whether WOE rises with the value when it is monotonic; `nil` for a turn.
    public var increasing: Bool? {
        switch self {
        case .up: true
        case .down: false
        case .valley, .peak: nil
        }
    }
}
