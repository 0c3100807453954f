/// One grade of a scorecard: scores at or above `minimumScore` (and below the next better band's
/// minimum) get `grade`, with the band's calibrated probability of default.
public struct GradeBand: Sendable, Hashable {
    public var grade: Grade
    /// Lowest score of the band, inclusive; `nil` for the worst band, which is open below.
    public var minimumScore: Int?
    /// Probability of default of the band, in (0, 1).
    public var probabilityOfDefault: Double

    public init(grade: Grade, minimumScore: Int?, probabilityOfDefault: Double) {
        self.grade = grade
        self.minimumScore = minimumScore
        self.probabilityOfDefault = probabilityOfDefault
    }

    /// Upper probability-of-default limits of `AAA` … `CC` (`C` is everything above 40 %).
    public static let standardDefaultLimits: [Double] = [0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.25, 0.40]

    /// The nine standard bands for `scaling`: each band's minimum is the score of its upper
    /// default limit (rounded up), and its PD is the geometric mean of its limits, taking 0.25 %
    /// below `AAA` and 100 % above `C`.
    public static func standard(for scaling: ScoreScaling) -> [GradeBand] {
        let limits = standardDefaultLimits
        return Grade.allCases.enumerated().map { index, grade in
            let upper = index < limits.count ? limits[index] : 1.0
            let lower = index > 0 ? limits[index - 1] : 0.0025
            let minimum = index < limits.count
                ? Int(scaling.score(probabilityOfDefault: upper).rounded(.up)) : nil
            return GradeBand(grade: grade, minimumScore: minimum, probabilityOfDefault: (upper * lower).squareRoot())
        }
    }
}
