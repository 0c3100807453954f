import ArgumentParser
import BrokerCore
import Formats
import Foundation
import Scoring
import ScoringValidation

/// Trains a scorecard from a 100,000-row CSV (parsing included), beside parsing the same CSV alone.
struct TrainingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training", abstract: "Seconds to train on 100,000 rows × 20 features, fixed and cross-validated (target < 10 s).")

    @Option(help: "Rows of synthetic training data.")
    var rows = 100_000
    @Option(help: "Timed runs; the median is reported.")
    var runs = 3
    @Option(help: "Binning method: quantile or tree.")
    var binning = "tree"

    func run() throws {
        guard let method = BinningMethod(rawValue: binning) else { throw ValidationError("--binning must be quantile or tree") }
        let csv = SyntheticCreditData(rows: rows, seed: 42).csv
        print("\(rows) rows × \(SyntheticCreditData.featureNames.count) features, \(csv.utf8.count / 1_000_000) MB of CSV, \(method) binning")
        let parsing = try BenchmarkTimer.medianSeconds(runs: runs) { _ = try CSVTable(parsing: csv) }
        // Fixed settings (the trainer before cross-validation), then the defaults (5-fold search).
        let fixed = TrainingOptions.fixed(
            target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner(method: method, monotonicity: .on))
        var searched = TrainingOptions(target: TargetColumn(name: SyntheticCreditData.target))
        searched.search.methods = [method]
        print(String(format: "baseline CSV parse: %.3f s", parsing))
        for (name, options) in [("fixed settings:    ", fixed), ("cross-validated:   ", searched)] {
            var features = 0
            let training = try BenchmarkTimer.medianSeconds(runs: runs) {
                features = try ScorecardTrainer(options: options).train(CSVTable(parsing: csv)).card.segments[0].features.count
            }
            print(String(format: "%@parse + train %.3f s (%d features kept; target < 10 s: %@), ratio to parse %.2f",
                         name, training, features, training < 10 ? "met" : "missed", training / parsing))
        }
        print("median of \(runs) runs")
    }
}
