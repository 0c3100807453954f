import Foundation

/// How log-odds become points: `base` points at `baseOdds` good:bad odds, and every doubling of
/// the odds adds `pointsToDoubleOdds` points.
///
/// `score = offset + factor · ln(odds)` with `factor = pdo / ln 2` and
/// `offset = base − factor · ln(baseOdds)`.
public struct ScoreScaling: Sendable, Hashable {
    /// Points at `baseOdds`.
    public var basePoints: Double
    /// Good:bad odds that score `basePoints` (19 means 19 goods for every bad, a 5 % default rate).
    public var baseOdds: Double
    /// Points to double the odds (PDO).
    public var pointsToDoubleOdds: Double

    public init(basePoints: Double = 600, baseOdds: Double = 19, pointsToDoubleOdds: Double = 50) {
        self.basePoints = basePoints
        self.baseOdds = baseOdds
        self.pointsToDoubleOdds = pointsToDoubleOdds
    }

    /// Points per unit of natural-log odds: `pdo / ln 2`.
    public var factor: Double { pointsToDoubleOdds / M_LN2 }

    /// The score of odds 1:1: `base − factor · ln(baseOdds)`.
    public var offset: Double { basePoints - factor * log(baseOdds) }

    /// The score of good:bad odds `odds`.
    public func score(odds: Double) -> Double { offset + factor * log(odds) }

    /// The score of a probability of default (bad) `pd`.
    public func score(probabilityOfDefault pd: Double) -> Double { score(odds: (1 - pd) / pd) }

    /// The probability of default a score stands for.
    public func probabilityOfDefault(score: Double) -> Double {
        1 / (1 + exp((score - offset) / factor))
    }
}
