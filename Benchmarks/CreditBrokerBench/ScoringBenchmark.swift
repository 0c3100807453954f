import ArgumentParser
import BrokerCore
import Formats
import Foundation
import Scoring
import ScoringValidation

/// Scores a million synthetic feature vectors on one core, one vector at a time, as one
/// contiguous batch of full results, and column by column to scores only (with an unsegmented
/// card and with a card of two segments), beside a dot product over the same vectors' values
/// (the floor cost of touching the data).
struct ScoringBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scoring", abstract: "Scores per second of a compiled scorecard (target ≥ 5,000,000).")

    @Option(help: "Vectors to score per run.")
    var vectors = 1_000_000
    @Option(help: "Timed runs; the median is reported.")
    var runs = 5

    func run() throws {
        // A card over all twenty synthetic columns (no IV filter, no correlation cap; tree bins,
        // at most 8, no penalty: fixed, not cross-validated), trained on separate rows.
        var options = TrainingOptions.fixed(target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner())
        options.minimumInformationValue = 0
        let training = try CSVTable(parsing: SyntheticCreditData(rows: 20_000, seed: 1).csv)
        let card = try CompiledScorecard(ScorecardTrainer(options: options).train(training).card)
        // Two segments by whether tax_trend is present (92 % of rows): each 512-row block holds
        // both, so the column scorer adds both segments' points for every row.
        options.segments = [TrainingSegment(name: "with_tax_trend", whenPresent: ["tax_trend"]), TrainingSegment(name: "without")]
        let segmented = try CompiledScorecard(ScorecardTrainer(options: options).train(training).card)
        // The same card as training now makes it by default: the mean of the fit on all rows and
        // of each of 5 folds' fits, its bins cut at every fit's edges (more edges to compare).
        options.segments = []
        options.meanOfFoldCards = true
        let bagged = try CompiledScorecard(ScorecardTrainer(options: options).train(training).card)
        func edges(_ card: CompiledScorecard) -> Int {
            card.card.segments.flatMap(\.features).reduce(0) { sum, feature in
                if case let .numeric(bins, _) = feature.binning { sum + bins.count - 1 } else { sum }
            }
        }
        let data = SyntheticCreditData(rows: vectors, seed: 2)
        let table = CSVTable(header: SyntheticCreditData.featureNames, rows: data.rows, lines: Array(data.rows.indices))
        let vectors = try card.layout.vectors(from: table)
        let batch = FeatureBatch(layout: card.layout, vectors: vectors)
        let columns = FeatureColumns(layout: card.layout, vectors: vectors)
        let segmentedVectors = try segmented.layout.vectors(from: table)
        let segmentedColumns = FeatureColumns(layout: segmented.layout, vectors: segmentedVectors)
        let baggedVectors = try bagged.layout.vectors(from: table)
        let baggedColumns = FeatureColumns(layout: bagged.layout, vectors: baggedVectors)
        print("numeric edges: card \(edges(card)), bagged card \(edges(bagged))")
        let width = vectors[0].values.count
        let sample = vectors.prefix(10_000).map { card.score($0).score }
        print("\(vectors.count) vectors of \(width) features; card uses \(card.layout.count) features;"
            + " scores of the first 10,000: \(sample.min()!) … \(sample.max()!)")

        let weights = (0..<width).map { 1 + Double($0) / 10 }
        var baselineSum = 0.0
        let baseline = BenchmarkTimer.medianSeconds(runs: runs) {
            var sum = 0.0
            for vector in vectors {
                for slot in 0..<width {
                    let value: Double = switch vector[slot] {
                    case .missing: 0
                    case let .number(x): x
                    case let .category(code): Double(code)
                    }
                    sum += weights[slot] * value
                }
            }
            baselineSum += sum
        }
        var scoreSum = 0
        let scoring = BenchmarkTimer.medianSeconds(runs: runs) {
            var sum = 0
            for vector in vectors { sum &+= card.score(vector).score }
            scoreSum &+= sum
        }
        var batchSum = 0
        let batchScoring = BenchmarkTimer.medianSeconds(runs: runs) {
            batchSum &+= card.score(batch).reduce(0) { $0 &+ $1.score }
        }
        var columnSum = 0
        let columnScoring = BenchmarkTimer.medianSeconds(runs: runs) {
            columnSum &+= card.scores(columns).reduce(0, &+)
        }
        var segmentedSum = 0
        let segmentedScoring = BenchmarkTimer.medianSeconds(runs: runs) {
            segmentedSum &+= segmented.scores(segmentedColumns).reduce(0, &+)
        }
        var baggedSum = 0
        let baggedScoring = BenchmarkTimer.medianSeconds(runs: runs) {
            baggedSum &+= bagged.scores(baggedColumns).reduce(0, &+)
        }
        let baggedCheck = baggedVectors.reduce(0) { $0 &+ bagged.score($1).score } &* runs
        let segmentedCheck = segmentedVectors.reduce(0) { $0 &+ segmented.score($1).score } &* runs
        let baselinePerSecond = Double(vectors.count) / baseline
        print(String(format: "baseline dot product: %.3f s, %.0f vectors/s", baseline, baselinePerSecond))
        for (name, seconds) in [("scoring per vector:  ", scoring), ("scoring as a batch:  ", batchScoring), ("scoring by columns:  ", columnScoring),
                                 ("2 segments, columns: ", segmentedScoring), ("bagged, columns:     ", baggedScoring)] {
            let scoresPerSecond = Double(vectors.count) / seconds
            print(String(format: "%@%.3f s, %.0f scores/s (target ≥ 5000000: %@); ratio to baseline time %.2f",
                         name, seconds, scoresPerSecond, scoresPerSecond >= 5_000_000 ? "met" : "missed", seconds / baseline))
        }
        print(String(format: "median of %d runs; checksums %.0f, %ld, %ld, %ld; segmented by columns %ld, per vector %ld; bagged by columns %ld, per vector %ld",
                     runs, baselineSum, scoreSum, batchSum, columnSum, segmentedSum, segmentedCheck, baggedSum, baggedCheck))
    }
}
