import Foundation
import Testing
@testable import Scoring

@Suite struct ModelMetricsTests {
    /// Goods score 3, 4, 5; bads score 1, 3. Pairs (good > bad): 3>1, 4>1, 4>3, 5>1, 5>3 = 5, tie 3=3
    /// counts ½: AUC = 5.5 / 6.
    @Test func aucCountsTiesAsHalf() {
        let auc = ModelMetrics.auc(scores: [3, 4, 5, 1, 3], isBad: [false, false, false, true, true])
        #expect(abs(auc! - 5.5 / 6) < 1e-12)
        #expect(abs(ModelMetrics.gini(scores: [3, 4, 5, 1, 3], isBad: [false, false, false, true, true])! - (11.0 / 6 - 1)) < 1e-12)
    }

    @Test func perfectInverseAndConstantScores() {
        #expect(ModelMetrics.auc(scores: [1, 2, 3, 4], isBad: [true, true, false, false]) == 1)
        #expect(ModelMetrics.auc(scores: [1, 2, 3, 4], isBad: [false, false, true, true]) == 0)
        #expect(ModelMetrics.auc(scores: [7, 7, 7, 7], isBad: [false, true, false, true]) == 0.5)
        #expect(ModelMetrics.ks(scores: [7, 7, 7, 7], isBad: [false, true, false, true]) == 0)
        #expect(ModelMetrics.auc(scores: [1, 2], isBad: [false, false]) == nil)
    }

    /// Bads 1, 2, 2; goods 2, 3, 4. Cumulative after score 1: bad 1/3, good 0 (gap 1/3); after 2 (tie
    /// group, never split): bad 1, good 1/3 (gap 2/3); after 3: 1 vs 2/3. KS = 2/3.
    @Test func ksNeverSplitsTies() {
        let ks = ModelMetrics.ks(scores: [1, 2, 2, 2, 3, 4], isBad: [true, true, true, false, false, false])
        #expect(abs(ks! - 2.0 / 3) < 1e-12)
    }

    @Test func psiIsZeroForTheSameDistribution() {
        let scores = (0..<100).map(Double.init)
        #expect(abs(ModelMetrics.psi(expected: scores, actual: scores.reversed())!) < 1e-12)
    }

    /// Expected 0…99 cuts at 10, 20, …, 90: ten bins of 10 %. Actual: 50 values in [0, 10) and 50 in
    /// [90, 100). PSI = 2·(0.5 − 0.1)·ln 5 + 8·(0.0001 − 0.1)·ln(0.0001 / 0.1)
    ///                = 1.287550 + 5.520678 = 6.808228.
    @Test func psiMatchesTheHandComputedValue() {
        let expected = (0..<100).map(Double.init)
        let actual = (0..<50).map { Double($0 % 10) } + (0..<50).map { 90 + Double($0 % 10) }
        let psi = ModelMetrics.psi(expected: expected, actual: actual)!
        let hand = 2 * 0.4 * log(5.0) + 8 * (0.0001 - 0.1) * log(0.0001 / 0.1)
        #expect(abs(psi - hand) < 1e-9)
        #expect(abs(psi - 6.808228) < 1e-6)
    }
}
