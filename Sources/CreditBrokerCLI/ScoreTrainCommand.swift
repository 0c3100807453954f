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
            binned (tree: splits on at most 100 equal-frequency atoms, each bin at least \
            --min-bin-share of the rows, categories ordered and merged by WOE; quantile: \
            equal-frequency bins, one per category, rarer categories pooled; numeric WOE \
            monotonic where the trend is, or with one turn (a peak or a valley of the bad rate) \
            where the rows show one, see --monotonic; neighbouring bins whose WOE differ by fewer than \
            --noise-z standard errors merged), columns below --min-iv are dropped, and so is a \
            column whose WOE correlates beyond --max-correlation with one of higher IV; an \
            L2-penalised logistic regression is fitted on the WOE of the rest, a column whose slope \
            has the wrong sign is dropped and the rest refitted, and the fit is scaled to points.

            Unless fixed by its flag, --binning (tree or quantile), --max-bins (4, 6 or 8), \
            --min-bin-share (0.05 or 0.02), --noise-z (0 or 1), --monotonic (on or auto), --min-iv \
            (0.02 or 0.005), --l2 (0.0001 to 0.3 per row) and --slope-prior (the penalty pulls slopes \
            toward 0 or toward -1, each feature's WOE as it stands) are chosen by --folds-fold \
            cross-validation on the training rows (stratified), dealt --repeats times (by default \
            as often as it takes the held-out folds to score 5,000 rows, at most 3): every binning \
            with every other penalty, then the best binning with the penalties between; the best \
            mean held-out AUC wins, and of AUCs within 0.0005 of it the lowest held-out log-loss. \
            The card's points are then the mean of the chosen settings' card fitted on all rows and \
            its cards fitted on each fold's training rows (a bagged card: bins cut at every card's \
            edges; --no-fold-mean keeps the fit on all rows alone), and of every candidate within \
            one standard error of the chosen one's held-out AUC likewise (from 5,000 rows up, only \
            its cards that keep exactly the chosen fit's features). The report prints the best \
            candidates' AUC and log-loss and every column's fate and bins in the card.

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
    @Option(help: "Binning method: quantile or tree (default: chosen by cross-validation).", transform: Self.binningMethod)
    var binning: BinningMethod?
    @Option(help: ArgumentHelp(
        "Monotonic WOE across numeric bins: on, auto (monotonic unless free bins fit significantly better), peak-valley (monotonic unless bins with one turn, the bad rate falling then rising or rising then falling, fit significantly better) or off; several, comma-separated, for the cross-validation to choose from (default: chosen by cross-validation between on and auto).",
        valueName: "mode"),
            transform: Self.monotonicity)
    var monotonic: [Monotonicity]?
    @Option(help: "Most bins per feature (default: chosen by cross-validation).")
    var maxBins: Int?
    @Option(help: "Merge neighbouring bins whose WOE differ by fewer standard errors (default: chosen by cross-validation).")
    var noiseZ: Double?
    @Option(help: "Least share of rows in a numeric bin or a category group (default: 0.05 or 0.02, chosen by cross-validation).")
    var minBinShare: Double?
    @Option(name: .customLong("min-iv"), help: "Drop features with a lower information value (default: 0.02 or 0, chosen by cross-validation).")
    var minIV: Double?
    @Option(help: "Drop a feature whose WOE correlates beyond this with one of higher IV (1 keeps all).")
    var maxCorrelation = 0.8
    @Option(help: "L2 penalty of the regression (default: chosen by cross-validation).")
    var l2: Double?
    @Option(help: "The slope the L2 penalty pulls each feature's WOE slope toward: 0 or -1 (its WOE as it stands) (default: chosen by cross-validation).")
    var slopePrior: Double?
    @Option(help: "Cross-validation folds (1: no cross-validation; unfixed settings take the first candidate).")
    var folds = 5
    @Option(help: "Times the rows are dealt into folds afresh; candidates are ranked by their means over every deal (default: enough for 5,000 held-out rows, at most 3).")
    var repeats: Int?
    @Flag(inversion: .prefixedNo,
          help: "Points are the mean of the chosen settings' card fitted on all rows and its card fitted on each fold's training rows (default: on).")
    var foldMean: Bool?
    @Option(help: "Keep the reason codes of this card's features (a retrained card's codes keep their meaning).")
    var reasonCodesFrom: String?
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

    static func monotonicity(_ text: String) throws -> [Monotonicity] {
        let modes = text.split(separator: ",", omittingEmptySubsequences: false).map { Monotonicity(rawValue: String($0)) }
        guard !modes.isEmpty, modes.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--monotonic must be on, auto, peak-valley or off, or several of them comma-separated")
        }
        var unique: [Monotonicity] = []
        for mode in modes.compactMap(\.self) where !unique.contains(mode) { unique.append(mode) }
        return unique
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
        guard maxBins.map({ $0 >= 2 }) ?? true else { throw ValidationError("--max-bins must be at least 2") }
        guard minBinShare.map({ (0..<0.5).contains($0) }) ?? true else { throw ValidationError("--min-bin-share must be in [0, 0.5)") }
        guard l2.map({ $0 >= 0 }) ?? true else { throw ValidationError("--l2 must not be negative") }
        guard noiseZ.map({ $0 >= 0 }) ?? true else { throw ValidationError("--noise-z must not be negative") }
        guard (0...1).contains(maxCorrelation) else { throw ValidationError("--max-correlation must be in [0, 1]") }
        guard folds >= 1 else { throw ValidationError("--folds must be at least 1") }
        guard repeats.map({ $0 >= 1 }) ?? true else { throw ValidationError("--repeats must be at least 1") }
        guard baseOdds > 0, pdo > 0 else { throw ValidationError("--base-odds and --pdo must be positive") }
    }

    func run() async throws {
        let table = try ScoreCommand.loadCSV(data)
        let cardName = name ?? URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent
        var options = TrainingOptions(target: TargetColumn(name: target, badValue: bad))
        options.excluded = Set(exclude)
        if let minBinShare { options.search.minBinShare = [minBinShare] }
        if let binning { options.search.methods = [binning] }
        if let minIV { options.search.minimumInformationValue = [minIV] }
        options.maximumCorrelation = maxCorrelation
        options.l2 = l2
        options.search.folds = folds
        options.search.repeats = repeats
        if let foldMean { options.meanOfFoldCards = foldMean }
        if let maxBins { options.search.maxBins = [maxBins] }
        if let noiseZ { options.search.noiseZ = [noiseZ] }
        if let monotonic { options.search.monotonicity = monotonic }
        if let slopePrior { options.search.slopePrior = [slopePrior] }
        if let reasonCodesFrom {
            let old = try ScoreCommand.loadCard(reasonCodesFrom).card
            for feature in old.segments.flatMap(\.features) { options.reasonCodes[feature.name] = feature.reason.code }
        }
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
        for segment in report.segments { Self.report(segment, folds: options.search.folds, tolerance: options.search.aucTolerance) }
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

    /// The training report of one segment: what the cross-validation chose, then every column.
    static func report(_ segment: ScorecardTrainer.SegmentReport, folds: Int, tolerance: Double) {
        let share = String(format: "%.2f", 100 * Double(segment.bads) / Double(segment.rows))
        Swift.print((segment.name.map { "segment \($0): " } ?? "") + "rows \(segment.rows), bads \(segment.bads) (\(share) %)")
        func describe(_ candidate: ModelSearch.Candidate) -> String {
            String(format: "%@ bins, at most %d, each ≥ %.0f %%, noise z %.1f, monotonic %@, min IV %.3f, l2 %.4f per row toward %g", candidate.method.rawValue,
                   candidate.maxBins, 100 * candidate.minBinShare, candidate.noiseZ, candidate.monotonicity.rawValue, candidate.minimumInformationValue, candidate.l2PerRow,
                   candidate.slopePrior)
        }
        if !segment.search.isEmpty {
            Swift.print("cross-validation (\(folds) folds\(segment.deals > 1 ? " × \(segment.deals) deals" : ""), \(segment.search.count) candidates; mean held-out AUC and log-loss, best first):")
            let results = Dictionary(segment.search.map { ($0.candidate, $0) }, uniquingKeysWith: { first, _ in first })
            let order = ScorecardTrainer.rank(segment.search, aucTolerance: tolerance)
            for (position, candidate) in order.enumerated() where position < 5 || position == order.count - 1 {
                if position == order.count - 1, order.count > 6 { Swift.print("  …") }
                let result = results[candidate]!
                Swift.print(String(format: "  %.4f  %.4f  ", result.meanAUC, result.meanLogLoss) + describe(candidate)
                    + (candidate == segment.chosen ? "  ← chosen" : ""))
            }
        } else {
            Swift.print("fixed settings (no cross-validation): " + describe(segment.chosen))
        }
        Swift.print(String(format: "fitted: %@, l2 %.3f in all", describe(segment.chosen), segment.l2))
        if segment.cards > 1 {
            let averaged = segment.candidates > 1
                ? "\(segment.candidates) candidates (the chosen one and every other within one standard error of its held-out AUC; from 5,000 rows up, its cards that keep the chosen fit's features), each"
                : "these settings,"
            Swift.print("points: the mean of \(segment.cards) cards of \(averaged) fitted on all rows and on each fold's training rows")
        }
        Swift.print("feature".padding(toLength: 28, withPad: " ", startingAt: 0) + "     IV  bins  trend       slope  card bins  note")
        for feature in segment.features.sorted(by: { $0.informationValue > $1.informationValue }) {
            let slope = feature.coefficient.map { String(format: "%9.4f", $0) } ?? String(repeating: " ", count: 9)
            // WOE up or down, or one turn of the bad rate: a valley (falls then rises) or a peak.
            let trend = (feature.trend?.rawValue ?? "free").padding(toLength: 6, withPad: " ", startingAt: 0)
            Swift.print(feature.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                + String(format: "%7.4f  %4d  ", feature.informationValue, feature.bins) + trend + " " + slope
                + String(format: "  %4d %@  ", feature.cardBins, segment.cards > 1 && feature.inCards > 0 ? "(\(feature.inCards)/\(segment.cards))" : "     ")
                + (feature.dropped ?? ""))
        }
    }
}
