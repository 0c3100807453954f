import Testing
@testable import Scoring

/// Train on synthetic data with a known logistic model, then evaluate on held-out rows.
@Suite struct TrainEvaluateTests {
    static let training = SyntheticCreditData(rows: 20_000, seed: 1)
    static let holdout = SyntheticCreditData(rows: 10_000, seed: 2)

    func train(_ method: BinningMethod, monotonic: Bool) throws -> ScorecardTrainer.Report {
        var options = TrainingOptions(target: TargetColumn(name: SyntheticCreditData.target))
        options.binner = FeatureBinner(method: method, monotonic: monotonic)
        options.name = "synthetic"
        options.version = "synthetic-v1"
        return try ScorecardTrainer(options: options).train(try CSVTable(parsing: Self.training.csv))
    }

    @Test(arguments: [(BinningMethod.tree, true), (.quantile, false)])
    func theTrainedCardRanksNearlyAsWellAsTheTrueModel(method: BinningMethod, monotonic: Bool) throws {
        let report = try train(method, monotonic: monotonic)
        // The card survives its own YAML and scores held-out rows.
        let card = try CompiledScorecard(yaml: report.card.yaml())
        #expect(card.card == report.card)
        let evaluation = try ScorecardEvaluation(
            card: card, table: try CSVTable(parsing: Self.holdout.csv), target: TargetColumn(name: SyntheticCreditData.target))
        let trueAUC = try #require(ModelMetrics.auc(scores: Self.holdout.probabilities.map { -$0 }, isBad: Self.holdout.isBad))
        let cardAUC = try #require(evaluation.auc)
        #expect(abs(cardAUC - trueAUC) < 0.02, "card \(cardAUC), true \(trueAUC)")
        #expect(evaluation.gini.map { abs($0 - (2 * cardAUC - 1)) < 1e-12 } == true)
        #expect(evaluation.grades.reduce(0) { $0 + $1.rows } == Self.holdout.rows.count)
        // The same population scores stably; a riskier one does not.
        #expect(evaluation.stability(against: evaluation.scores)! < 1e-9)
        #expect(evaluation.stability(against: evaluation.scores.map { $0 - 60 })! > 0.25)
    }

    @Test func theInterceptAnchorsTheBaseOdds() throws {
        let report = try train(.tree, monotonic: true)
        let scaling = report.card.scaling
        let segment = try #require(report.segments.first)
        #expect(report.segments.count == 1 && report.card.segments.count == 1 && segment.name == nil)
        #expect(abs(report.card.segments[0].interceptPoints - (scaling.offset - scaling.factor * segment.regression.intercept)) < 0.01)
        #expect(segment.regression.coefficients.allSatisfy { $0 <= 0 })
        #expect(report.card.segments[0].features.count == segment.features.count(where: { $0.dropped == nil }))
        #expect(segment.features.first { $0.name == "dishonest_mark" }?.dropped == nil)
    }
}
