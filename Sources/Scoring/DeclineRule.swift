/// A hard-decline rule: when `feature` meets `condition`, the application is declined with
/// `reason`, whatever the score.
public struct DeclineRule: Sendable, Hashable {
    public var feature: String
    public var condition: Condition
    public var reason: ReasonCode

    public init(feature: String, condition: Condition, reason: ReasonCode) {
        self.feature = feature
        self.condition = condition
        self.reason = reason
    }

    /// A condition on one feature's value. A missing value meets no condition.
    public enum Condition: Sendable, Hashable {
        /// Categorical: the value is one of these.
        case isOneOf([String])
        /// Numeric: `value >= bound`.
        case atLeast(Double)
        /// Numeric: `value <= bound`.
        case atMost(Double)
        /// Numeric: `value == bound`.
        case equals(Double)

        var isCategorical: Bool {
            if case .isOneOf = self { true } else { false }
        }
    }
}
