/// Whether training makes a feature's WOE run one way across its ordered bins.
public enum Monotonicity: String, Sendable, CaseIterable {
    /// Bins as the method cuts them.
    case off
    /// WOE always monotonic, in the direction of the values' overall trend.
    case on
    /// Monotonic where the trend is: the monotonic bins, unless the free bins fit the training
    /// rows significantly better (a likelihood-ratio test at the 1 % level), as a U-shape does.
    case auto
}
