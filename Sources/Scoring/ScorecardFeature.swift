/// One feature of a scorecard: how its values fall into bins and how many points each bin is worth.
public struct ScorecardFeature: Sendable, Hashable {
    /// Name shared with the feature vector (for example `years_since_registration`).
    public var name: String
    /// The bins of present values.
    public var binning: Binning
    /// Points when the value is missing: missing is a value of its own, never a zero.
    public var missingPoints: Double
    /// The reason code reported when this feature costs the subject points.
    public var reason: ReasonCode

    public init(name: String, binning: Binning, missingPoints: Double, reason: ReasonCode) {
        self.name = name
        self.binning = binning
        self.missingPoints = missingPoints
        self.reason = reason
    }

    /// How present values map to points.
    public enum Binning: Sendable, Hashable {
        /// Half-open ranges `[lower, upper)` covering the real line in order, plus exact special
        /// values that take precedence over the ranges.
        case numeric(bins: [NumericBin], specialValues: [SpecialValue])
        /// Groups of string values, plus the points of any value no group lists.
        case categorical(groups: [CategoryGroup], otherPoints: Double)
    }

    /// A numeric bin `[lower, upper)`; `-infinity` and `+infinity` close the ends.
    public struct NumericBin: Sendable, Hashable {
        public var lower: Double
        public var upper: Double
        public var points: Double

        public init(lower: Double, upper: Double, points: Double) {
            self.lower = lower
            self.upper = upper
            self.points = points
        }

        public func contains(_ value: Double) -> Bool { lower <= value && value < upper }
    }

    /// A numeric value scored on its own (for example `-1` meaning "not applicable").
    public struct SpecialValue: Sendable, Hashable {
        public var value: Double
        public var points: Double

        public init(value: Double, points: Double) {
            self.value = value
            self.points = points
        }
    }

    /// String values that share points.
    public struct CategoryGroup: Sendable, Hashable {
        public var values: [String]
        public var points: Double

        public init(values: [String], points: Double) {
            self.values = values
            self.points = points
        }
    }

    /// Whether the feature is numeric.
    public var isNumeric: Bool {
        if case .numeric = binning { true } else { false }
    }

    /// Every points value a subject can get on this feature, missing included.
    public var allPoints: [Double] {
        switch binning {
        case let .numeric(bins, specials):
            bins.map(\.points) + specials.map(\.points) + [missingPoints]
        case let .categorical(groups, other):
            groups.map(\.points) + [other, missingPoints]
        }
    }
}
