import Foundation
import Testing
@testable import Scoring

@Suite struct LogisticRegressionTests {
    @Test func withoutFeaturesTheInterceptIsTheLogOdds() throws {
        let outcomes = Array(repeating: true, count: 30) + Array(repeating: false, count: 70)
        let fit = try LogisticRegression(columns: [], outcomes: outcomes)
        #expect(abs(fit.intercept - log(30.0 / 70.0)) < 1e-9)
    }

    /// One binary feature: the MLE slope is the log odds ratio of the 2×2 table and the intercept
    /// the log odds where the feature is 0.
    @Test func oneBinaryFeatureGivesTheLogOddsRatio() throws {
        // x = 0: 20 positive, 80 negative; x = 1: 45 positive, 55 negative.
        var x: [Double] = [], y: [Bool] = []
        for (value, positives, negatives) in [(0.0, 20, 80), (1.0, 45, 55)] {
            x += Array(repeating: value, count: positives + negatives)
            y += Array(repeating: true, count: positives) + Array(repeating: false, count: negatives)
        }
        let fit = try LogisticRegression(columns: [x], outcomes: y)
        #expect(abs(fit.intercept - log(20.0 / 80.0)) < 1e-8)
        #expect(abs(fit.coefficients[0] - log((45.0 / 55.0) / (20.0 / 80.0))) < 1e-8)
    }

    @Test func anL2PenaltyShrinksTheSlope() throws {
        let x: [Double] = (0..<200).map { Double($0 % 2) }
        let y: [Bool] = (0..<200).map { $0 % 2 == 1 ? $0 % 3 != 0 : $0 % 5 == 0 }
        let free = try LogisticRegression(columns: [x], outcomes: y)
        let penalised = try LogisticRegression(columns: [x], outcomes: y, l2: 50)
        #expect(abs(penalised.coefficients[0]) < abs(free.coefficients[0]))
    }

    @Test func collinearFeaturesAreReported() {
        let x: [Double] = (0..<50).map { Double($0 % 3) }
        let y: [Bool] = (0..<50).map { $0 % 4 == 0 }
        #expect(throws: LogisticRegressionError.singular) { try LogisticRegression(columns: [x, x], outcomes: y) }
        #expect(throws: LogisticRegressionError.singleClass) { try LogisticRegression(columns: [x], outcomes: y.map { _ in false }) }
    }

    /// Rows with equal features fitted once with their counts give the fit of the rows one by one.
    @Test func groupedRowsFitAsTheRowsDo() throws {
        let x1: [Double] = (0..<300).map { Double($0 % 3) - 1 }
        let x2: [Double] = (0..<300).map { Double($0 % 2) * 0.5 }
        let y: [Bool] = (0..<300).map { ($0 * 7919) % 10 < 2 + $0 % 3 + 2 * ($0 % 2) }
        let rows = try LogisticRegression(columns: [x1, x2], outcomes: y, l2: 3)
        var patterns = LogisticRegression.Patterns(width: 2)
        for a in 0..<3 {
            for b in 0..<2 {
                let members = (0..<300).filter { $0 % 3 == a && $0 % 2 == b }
                patterns.append([Double(a) - 1, Double(b) * 0.5], positives: Double(members.count { y[$0] }), total: Double(members.count))
            }
        }
        let grouped = try LogisticRegression(patterns: patterns, l2: 3)
        #expect(abs(grouped.intercept - rows.intercept) < 1e-9)
        #expect(zip(grouped.coefficients, rows.coefficients).allSatisfy { abs($0 - $1) < 1e-9 })
    }
}
