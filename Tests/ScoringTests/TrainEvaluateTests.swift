import BrokerCore
import Formats
@testable import Scoring
import ScoringValidation
import Testing

/// Train on synthetic data with a known logistic model, then evaluate on held-out rows.
@Suite struct TrainEvaluateTests {
    static let training = SyntheticCreditData(rows: 20_000, seed: 1)
    static let holdout = SyntheticCreditData(rows: 10_000, seed: 2)

    func train(_ method: BinningMethod, monotonic: Bool) throws -> ScorecardTrainer.Report {
        // The binning method under test, fixed (ModelSearchTests covers the cross-validation).
        var options = TrainingOptions.fixed(
            target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner(method: method, monotonicity: monotonic ? .on : .off))
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

    /// Each segment is fitted on its own rows; a column constant in a segment (tax_trend where it
    /// is absent) is left out of that segment, and a feature keeps one reason code in both.
    @Test func segmentsAreFittedOnTheirOwnRows() throws {
        var options = TrainingOptions.fixed(target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner())
        options.minimumInformationValue = 0
        options.segments = [TrainingSegment(name: "with_trend", whenPresent: ["tax_trend"]), TrainingSegment(name: "without")]
        let table = try CSVTable(parsing: Self.training.csv)
        let report = try ScorecardTrainer(options: options).train(table)
        let trend = try table.column(named: "tax_trend")
        let withTrend = table.rows.count { !$0[trend].isEmpty }
        #expect(report.segments.map(\.name) == ["with_trend", "without"])
        #expect(report.segments.map(\.rows) == [withTrend, table.rows.count - withTrend])
        #expect(report.segments[1].features.first { $0.name == "tax_trend" }?.dropped == "the same bin for every row")
        let card = try CompiledScorecard(yaml: report.card.yaml())
        #expect(card.card.segments.map(\.whenPresent) == [["tax_trend"], []])
        var codes: [String: Set<String>] = [:]
        for feature in report.card.segments.flatMap(\.features) { codes[feature.name, default: []].insert(feature.reason.code) }
        #expect(codes.values.allSatisfy { $0.count == 1 } && Set(codes.values.map { $0.first! }).count == codes.count)
        let vectors = try card.layout.vectors(from: try CSVTable(parsing: Self.holdout.csv))
        let results = vectors.map(card.score)
        #expect(card.scores(FeatureColumns(layout: card.layout, vectors: vectors)) == results.map(\.score))
        #expect(Set(results.map(\.segment)) == ["with_trend", "without"])
    }

    @Test func badSegmentDefinitionsAreRefused() throws {
        var options = TrainingOptions(target: TargetColumn(name: SyntheticCreditData.target))
        let table = try CSVTable(parsing: Self.holdout.csv)
        for segments in [
            [TrainingSegment(name: "only")],
            [TrainingSegment(name: "a", whenPresent: ["tax_trend"]), TrainingSegment(name: "b", whenPresent: ["noise"])],
            [TrainingSegment(name: "a", whenPresent: ["height"]), TrainingSegment(name: "b")],
            [TrainingSegment(name: "a", whenPresent: ["tax_trend"]), TrainingSegment(name: "a")],
        ] {
            options.segments = segments
            #expect(throws: TrainingError.self, "\(segments)") { try ScorecardTrainer(options: options).train(table) }
        }
    }
}
