import ArgumentParser
import Foundation
import Scoring

/// `credit-broker score train DATA.csv --target COLUMN --out CARD.yaml`: trains a scorecard.
struct ScoreTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a scorecard from a CSV file.",
        discussion: """
            Numeric and categorical columns are detected; an empty cell is missing. Each column is \
            binned, columns below --min-iv are dropped, a logistic regression is fitted on the WOE of \
            the rest, and the fit is scaled to points.

            Segments: each --segment NAME=COLUMN,… trains its own points on the rows with a value \
            in any of those columns that no earlier segment took; a last --segment NAME (no \
            columns) takes the rest. The card scores each subject with the first segment whose \
            columns it has a value in, and stamps the segment's name on the score. For fusion \
            features, segment by market-data coverage: \
            --segment market_data=tax_paid_12m,social_insurance_headcount,utility_delinquencies \
            --segment records_only.
            """
    )

    @Argument(help: "Training data: CSV with a header row.")
    var data: String
    @Option(help: "The outcome column.")
    var target: String
    @Option(help: "The outcome value that marks a bad (defaulted) row.")
    var bad = "1"
    @Option(help: "Columns to ignore, comma-separated.", transform: { $0.split(separator: ",").map(String.init) })
    var exclude: [String] = []
    @Option(help: "Binning method: quantile or tree.", transform: Self.binningMethod)
    var binning = BinningMethod.tree
    @Flag(help: "Force monotonic WOE across numeric bins.")
    var monotonic = false
    @Option(help: "Most bins per feature.")
    var maxBins = 8
    @Option(help: "Least share of rows in a bin.")
    var minBinShare = 0.05
    @Option(name: .customLong("min-iv"), help: "Drop features with a lower information value.")
    var minIV = 0.02
    @Option(help: "L2 penalty of the regression.")
    var l2 = 0.0
    @Option(help: "Points at the base odds.")
    var basePoints = 600.0
    @Option(help: "Good:bad odds that score the base points.")
    var baseOdds = 19.0
    @Option(help: "Points to double the odds.")
    var pdo = 50.0
    @Option(help: "Card name (default: the output file's name).")
    var name: String?
    @Option(help: "Version stamped on every result (default: NAME-v1).")
    var version: String?
    @Option(
        help: ArgumentHelp("A segment with its own points: NAME=COLUMN,… (selected by a value in any column), or NAME last (the rest).",
                           valueName: "segment"),
        transform: Self.segment)
    var segment: [TrainingSegment] = []
    @Flag(help: "The columns are fusion features (from `score province-data`): take their reason texts and hard-decline rules from the fusion catalog.")
    var fusion = false
    @Option(help: "Where to write the card.")
    var out: String

    static func binningMethod(_ text: String) throws -> BinningMethod {
        guard let method = BinningMethod(rawValue: text) else { throw ValidationError("--binning must be quantile or tree") }
        return method
    }

    static func segment(_ text: String) throws -> TrainingSegment {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let columns = parts.count == 2 ? parts[1].split(separator: ",").map(String.init) : []
        guard !parts[0].isEmpty, parts.count == 1 || !columns.isEmpty else {
            throw ValidationError("--segment must be NAME=COLUMN,… or NAME (the last segment)")
        }
        return TrainingSegment(name: parts[0], whenPresent: columns)
    }

    func validate() throws {
        guard maxBins >= 2 else { throw ValidationError("--max-bins must be at least 2") }
        guard (0..<0.5).contains(minBinShare) else { throw ValidationError("--min-bin-share must be in [0, 0.5)") }
        guard l2 >= 0 else { throw ValidationError("--l2 must not be negative") }
        guard baseOdds > 0, pdo > 0 else { throw ValidationError("--base-odds and --pdo must be positive") }
    }

    func run() async throws {
        let table = try ScoreCommand.loadCSV(data)
        let cardName = name ?? URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent
        var options = TrainingOptions(target: TargetColumn(name: target, badValue: bad))
        options.excluded = Set(exclude)
        options.binner = FeatureBinner(method: binning, maxBins: maxBins, minBinShare: minBinShare, monotonic: monotonic)
        options.minimumInformationValue = minIV
        options.l2 = l2
        options.scaling = ScoreScaling(basePoints: basePoints, baseOdds: baseOdds, pointsToDoubleOdds: pdo)
        options.name = cardName
        options.version = version ?? "\(cardName)-v1"
        options.segments = segment
        let report: ScorecardTrainer.Report
        do {
            report = try ScorecardTrainer(options: options).train(table)
        } catch {
            throw ScoreCommand.Failure(description: "\(data): \(error)")
        }
        let card = fusion ? report.card.withFusionReasons() : report.card
        for segment in report.segments {
            let share = String(format: "%.2f", 100 * Double(segment.bads) / Double(segment.rows))
            print((segment.name.map { "segment \($0): " } ?? "") + "rows \(segment.rows), bads \(segment.bads) (\(share) %)")
            print("feature".padding(toLength: 28, withPad: " ", startingAt: 0) + "     IV  bins     slope  note")
            for feature in segment.features.sorted(by: { $0.informationValue > $1.informationValue }) {
                let slope = feature.coefficient.map { String(format: "%9.4f", $0) } ?? String(repeating: " ", count: 9)
                print(feature.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                    + String(format: "%7.4f  %4d ", feature.informationValue, feature.bins) + slope + "  " + (feature.dropped ?? ""))
            }
        }
        let compiled = try CompiledScorecard(card)
        let evaluation = try ScorecardEvaluation(card: compiled, table: table, target: options.target)
        print(String(format: "training AUC %.4f, KS %.4f", evaluation.auc ?? .nan, evaluation.ks ?? .nan))
        do {
            try card.yaml().write(toFile: out, atomically: true, encoding: .utf8)
        } catch {
            throw ScoreCommand.Failure(description: "cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out) (\(card.version), \(card.segments.map { "\($0.features.count)" }.joined(separator: " + ")) features)")
    }
}
