import ArgumentParser
import BrokerCore
import Foundation
import Scoring
import ScoringValidation
import SyntheticProvince

/// Trains a card on part of a synthetic province and ranks the rest with it, beside the AUC of the
/// generator's true default propensity (the baseline no card can beat) and, on the organisations
/// without market data, of ``ObservableOracle`` (the best ranking their records allow). The
/// held-out split is the one `ProvinceValidationTests` checks; larger provinces and other seeds
/// show how much of the gap is sampling.
struct ValidationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validation",
        abstract: "Held-out AUC of a card trained on the synthetic province vs the true propensity (target: within 0.02).")

    @Option(help: "Organisations in the province.")
    var organisations = 120_000
    @Option(help: "The first this many organisations train the card; the rest are held out.")
    var training = 100_000
    @Option(help: "Seed of the province.")
    var seed: UInt64 = 11
    @Flag(help: "Train one set of points for all organisations instead of a card segmented by market-data coverage.")
    var unsegmented = false
    @Flag(help: "Train as before cross-validation: tree bins (at most 8, monotonic), no penalty, no correlation cap.")
    var fixed = false

    func run() throws {
        guard training > 0, training < organisations else { throw ValidationError("--training must be between 0 and --organisations") }
        let catalog = try Catalog(
            yaml: String(contentsOfFile: "Policies/catalog.yaml", encoding: .utf8), file: "catalog.yaml", knownMaskRules: nil)
        let generator = ProvinceGenerator(ProvinceConfiguration(
            seed: seed, organisations: organisations, persons: 0, asOf: CivilDate(year: 2026, month: 11, day: 26)!))
        let train = ProvinceScoringData(generator: generator, organisations: 0..<training, catalog: catalog)
        let holdout = ProvinceScoringData(generator: generator, organisations: training..<organisations, catalog: catalog)

        var options = fixed
            ? TrainingOptions.fixed(target: TargetColumn(name: ProvinceScoringData.target), binner: FeatureBinner(method: .tree, monotonicity: .on))
            : TrainingOptions(target: TargetColumn(name: ProvinceScoringData.target))
        options.segments = unsegmented ? [] : TrainingSegment.fusionByMarketData
        let report = try ScorecardTrainer(options: options).train(train.table)
        let card = try CompiledScorecard(report.card)
        let fusion = try FeatureFusion(layout: card.layout)
        let scores = holdout.features.map { Double(card.score(fusion.vector($0)).score) }
        print("seed \(seed): trained on \(report.rows) organisations (\(report.bads) defaults)")
        for (segment, report) in zip(card.card.segments, report.segments) {
            let chosen = report.chosen
            print("  \(segment.name ?? "one segment"): \(report.rows) organisations (\(report.bads) defaults), "
                + segment.features.map(\.name).joined(separator: ", "))
            print(String(format: "    %@: %@ bins, at most %d, each ≥ %.0f %%, noise z %.1f, monotonic %@, min IV %.3f, l2 %.4f per row toward %g; points the mean of %d cards",
                         report.search.isEmpty ? "fixed" : "chosen by cross-validation", chosen.method.rawValue,
                         chosen.maxBins, 100 * chosen.minBinShare, chosen.noiseZ, chosen.monotonicity.rawValue, chosen.minimumInformationValue,
                         chosen.l2PerRow, chosen.slopePrior, report.cards))
        }

        let uncoveredTraining = train.features.indices.filter { !ProvinceScoringData.hasMarketData(train.features[$0]) }
        let oracle = ObservableOracle(
            features: uncoveredTraining.map { train.features[$0] }, probabilities: uncoveredTraining.map { train.defaultProbabilities[$0] })
        let all = Array(holdout.features.indices)
        for (name, rows) in [
            ("with market data:   ", all.filter { ProvinceScoringData.hasMarketData(holdout.features[$0]) }),
            ("without market data:", all.filter { !ProvinceScoringData.hasMarketData(holdout.features[$0]) }),
            ("all held out:       ", all),
        ] {
            let isBad = rows.map { holdout.defaulted[$0] }
            func auc(_ scores: (Int) -> Double) -> Double { ModelMetrics.auc(scores: rows.map(scores), isBad: isBad) ?? .nan }
            let cardAUC = auc { scores[$0] }
            let truthAUC = auc { -holdout.defaultProbabilities[$0] }
            var line = String(format: "%@ %6d organisations, %5d defaults: card AUC %.4f, true propensity %.4f, gap %.4f",
                              name, rows.count, isBad.count { $0 }, cardAUC, truthAUC, truthAUC - cardAUC)
            if name.hasPrefix("without") {
                line += String(format: "; oracle on the observable features %.4f", auc { -oracle.probability(holdout.features[$0]) })
            }
            print(line)
        }
    }
}
