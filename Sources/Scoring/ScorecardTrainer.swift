import BrokerCore
import Formats
import Foundation

/// Trains a scorecard from a CSV: bins every feature column, keeps those with enough
/// information value and not too correlated with a stronger one, fits an L2-penalised logistic
/// regression of default on their WOE, and scales the fit to points; with
/// ``TrainingOptions/segments``, does so for each segment's rows. The binning method, the bin
/// count, the least bin share, the merging of bins within noise, monotonicity, the IV threshold
/// and the penalty are chosen by cross-validation on the segment's rows (``ModelSearch``), and
/// reported. With ``TrainingOptions/meanOfFoldCards`` (the default) the points are the mean of
/// the chosen settings' card fitted on all rows and its cards fitted on each fold's training rows,
/// and of those cards of every candidate within one standard error of the best held-out AUC (from
/// ``ModelSearch/averagingRows`` rows up, only those of its cards that keep exactly the features of
/// the chosen settings' fit on all rows).
///
/// With `factor` and `offset` from ``ScoreScaling`` and the fit `logit P(bad) = β₀ + Σ βⱼ·WOEⱼ`,
/// `score = offset − factor · logit P(bad)`: the intercept gets `offset − factor·β₀` points and a
/// bin of feature j gets `−factor·βⱼ·WOE` points. A feature whose slope comes out positive (WOE
/// is "good" evidence, so a positive slope is a collinearity artefact) is dropped and the model
/// refitted. Values unseen in training score the WOE 0 of the average subject. A segment's
/// selector columns that its fit does not keep stay in the segment with no points, so that the
/// card can see them.
public struct ScorecardTrainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions) {
        self.options = options
    }

    /// The outcome of training: the card and what each segment's fit made of each column.
    public struct Report: Sendable {
        public var card: Scorecard
        /// One per segment of the card, in order.
        public var segments: [SegmentReport]
        public var rows: Int { segments.reduce(0) { $0 + $1.rows } }
        public var bads: Int { segments.reduce(0) { $0 + $1.bads } }
    }

    /// The fit of one segment (of the whole table for an unsegmented card).
    public struct SegmentReport: Sendable {
        /// `nil` for an unsegmented card.
        public var name: String?
        public var regression: LogisticRegression
        public var features: [FeatureSummary]
        public var rows: Int
        public var bads: Int
        /// Every candidate's mean held-out AUC, in candidate order; empty when nothing was searched.
        public var search: [SearchResult]
        /// The settings fitted (the best of the search, or the fixed ones).
        public var chosen: ModelSearch.Candidate
        /// The L2 penalty of the final fit.
        public var l2: Double
        /// How many cards the segment's points are the mean of: 1 (the fit on all rows), or with
        /// ``TrainingOptions/meanOfFoldCards`` that and each fold's fit of each averaged candidate.
        public var cards = 1
        /// How many candidates' cards are averaged: the chosen one and every other the search
        /// cannot tell from it (``ScorecardTrainer/indistinguishable(from:search:)``), from
        /// ``ModelSearch/averagingRows`` rows up those with a card that keeps the chosen fit's
        /// features; 1 without the fold mean.
        public var candidates = 1
        /// How many times the rows were dealt into folds (``ModelSearch/deals(rows:)``); 0 when nothing was searched.
        public var deals = 0
    }

    /// One candidate of the cross-validation and its mean AUC and log-loss on the held-out folds.
    public struct SearchResult: Sendable {
        public var candidate: ModelSearch.Candidate
        public var meanAUC: Double
        /// Infinite when a fold's fit failed.
        public var meanLogLoss: Double
        /// The held-out AUC of each fold of each deal, in order (0 where the fold's fit failed).
        public var foldAUCs: [Double] = []
    }

    /// One candidate column and what training made of it.
    public struct FeatureSummary: Sendable {
        public var name: String
        public var informationValue: Double
        public var bins: Int
        /// `nil` unless the numeric bins were held to a shape (monotonic, or one turn); then the shape.
        public var trend: WOETrend?
        /// The regression slope on WOE; `nil` when the feature was dropped.
        public var coefficient: Double?
        /// Why the feature is not in the card, if it is not.
        public var dropped: String?
        /// Of the cards averaged (``SegmentReport/cards``), how many give the feature points.
        public var inCards = 0
        /// Bins of present values in the card (the union of the averaged cards' cuts); 0 when not in the card.
        public var cardBins = 0
    }

    public func train(_ table: CSVTable) throws(TrainingError) -> Report {
        let isBad: [Bool]
        do { isBad = try options.target.labels(in: table) } catch { throw .csv(error) }
        let scaling = options.scaling
        var segments: [ScorecardSegment] = []
        var reports: [SegmentReport] = []
        for (definition, rows) in try segmentRows(table) {
            let subset = CSVTable(header: table.header, rows: rows.map { table.rows[$0] }, lines: rows.map { table.lines[$0] })
            let (features, intercept, report) = try fit(
                subset, isBad: rows.map { isBad[$0] }, name: definition?.name, selector: definition?.whenPresent ?? [])
            segments.append(ScorecardSegment(
                name: definition?.name, whenPresent: definition?.whenPresent ?? [],
                interceptPoints: Self.points(scaling.offset - scaling.factor * intercept), features: features))
            reports.append(report)
        }
        // One reason code per feature name: the one given in the options, else the next free
        // R-number in order of first appearance across the segments.
        var codes = options.reasonCodes.filter { name, _ in segments.contains { $0.features.contains { $0.name == name } } }
        var taken = Set(options.reasonCodes.values)
        var next = 1
        for feature in segments.flatMap(\.features) where codes[feature.name] == nil {
            while taken.contains(String(format: "R%02d", next)) { next += 1 }
            codes[feature.name] = String(format: "R%02d", next)
            taken.insert(codes[feature.name]!)
        }
        for segment in segments.indices {
            for index in segments[segment].features.indices {
                segments[segment].features[index].reason.code = codes[segments[segment].features[index].name]!
            }
        }
        let card = Scorecard(
            name: options.name, version: options.version, scaling: scaling, segments: segments, grades: GradeBand.standard(for: scaling))
        return Report(card: card, segments: reports)
    }

    /// The rows of each segment, in segment order; one `nil` segment of every row without segments.
    private func segmentRows(_ table: CSVTable) throws(TrainingError) -> [(TrainingSegment?, [Int])] {
        guard let last = options.segments.last else { return [(nil, Array(table.rows.indices))] }
        guard options.segments.count > 1, last.whenPresent.isEmpty,
              options.segments.dropLast().allSatisfy({ !$0.whenPresent.isEmpty }) else {
            throw .segments("give at least two; every segment but the last needs columns, the last none")
        }
        var names: Set<String> = []
        if let twice = options.segments.first(where: { !names.insert($0.name).inserted }) { throw .segments("\(twice.name) is named twice") }
        var selectors: [[Int]] = []
        for segment in options.segments {
            var columns: [Int] = []
            for name in segment.whenPresent {
                guard let column = table.header.firstIndex(of: name) else { throw .segments("\(segment.name): no column \(name)") }
                if name == options.target.name || options.excluded.contains(name) {
                    throw .segments("\(segment.name): \(name) is the target or excluded, not a feature")
                }
                columns.append(column)
            }
            selectors.append(columns)
        }
        var rows = Array(repeating: [Int](), count: options.segments.count)
        for (index, row) in table.rows.enumerated() {
            let segment = selectors.firstIndex { $0.contains { !row[$0].isEmpty } } ?? options.segments.count - 1
            rows[segment].append(index)
        }
        return zip(options.segments, rows).map { ($0, $1) }
    }

    /// Fits one segment's rows: its features (reason codes still to assign), the regression's
    /// intercept, and the report. The `selector` columns are kept, with no points if the fit drops them.
    private func fit(
        _ table: CSVTable, isBad: [Bool], name: String?, selector: [String]
    ) throws(TrainingError) -> ([ScorecardFeature], Double, SegmentReport) {
        let bads = isBad.count(where: { $0 })
        guard bads > 0, bads < isBad.count else {
            let segment = name.map { "segment \($0): " } ?? ""
            throw .noContrast("\(segment)the target column \(options.target.name) has no \(bads == 0 ? "bad" : "good") rows")
        }
        let columns = table.header.enumerated()
            .filter { $0.element != options.target.name && !options.excluded.contains($0.element) }
            .map { (name: $0.element, column: DataColumn(table, column: $0.offset)) }
        var search = options.search
        // A fixed penalty is the same per row in the folds as in the final fit.
        if let l2 = options.l2 { search.l2PerRow = [l2 / Double(isBad.count)] }
        if search.minimumInformationValue.isEmpty { search.minimumInformationValue = [options.minimumInformationValue] }
        var results: [SearchResult] = []
        var ranked = [ModelSearch.Candidate(
            method: search.methods.first ?? options.binner.method, maxBins: search.maxBins.first ?? options.binner.maxBins,
            minBinShare: search.minBinShare.first ?? options.binner.minBinShare, noiseZ: search.noiseZ.first ?? options.binner.noiseZ,
            monotonicity: search.monotonicity.first ?? options.binner.monotonicity,
            minimumInformationValue: search.minimumInformationValue.first ?? options.minimumInformationValue,
            slopePrior: search.slopePrior.first ?? 0, l2PerRow: search.l2PerRow.first ?? 0)]
        // The rows of each fold of each deal: the search measures on them, the fold mean refits the first deal's.
        let folds = search.searches || (options.meanOfFoldCards && search.folds > 1)
            ? Self.folds(columns, isBad: isBad, search: search, deals: search.searches ? search.deals(rows: isBad.count) : 1) : []
        if search.searches {
            results = crossValidate(folds, search: search)
            ranked = Self.rank(results, aucTolerance: search.aucTolerance)
        }
        // The first candidate in order whose fit on all rows converges (a penalty the folds could
        // bear may leave the whole set's collinear bins singular).
        var outcome: (candidate: ModelSearch.Candidate, fit: Fit, l2: Double)?
        var failure: TrainingError?
        for candidate in ranked {
            let l2 = options.l2 ?? candidate.l2PerRow * Double(isBad.count)
            do {
                outcome = (candidate, try fit(candidate, columns, isBad: isBad, l2: l2), l2)
                break
            } catch {
                failure = failure ?? error
            }
        }
        guard let (chosen, whole, l2) = outcome else { throw failure! }
        let (binned, fitted) = (whole.binned, whole.regressed)
        var summaries = binned.map { feature in
            FeatureSummary(name: feature.name, informationValue: feature.informationValue, bins: feature.bins.count,
                           trend: feature.trend, coefficient: nil, dropped: whole.dropped[feature.name])
        }
        for (feature, coefficient) in zip(fitted.features, fitted.regression.coefficients) {
            summaries[summaries.firstIndex { $0.name == feature.name }!].coefficient = coefficient
        }
        var features = zip(fitted.features, fitted.regression.coefficients).map { scorecardFeature($0, coefficient: $1) }
        var intercept = fitted.regression.intercept
        var cards = [features]
        var candidates = 1
        if options.meanOfFoldCards, search.folds > 1 {
            // The chosen candidate fitted on the training rows of each fold of the first deal, as the
            // search fitted it; then every other candidate the search cannot tell from it, on all rows and so.
            var intercepts = [intercept]
            let alike = Set(Self.indistinguishable(from: results, search: search).map(\.candidate))
            let members = [chosen] + ranked.filter { $0 != chosen && alike.contains($0) }
            // From averagingRows rows up, another candidate's card joins only where it keeps exactly
            // the features of the chosen candidate's fit on all rows.
            let kept = isBad.count >= search.averagingRows ? Set(fitted.features.map(\.name)) : nil
            var joined: Set<ModelSearch.Candidate> = [chosen]
            // Candidates differing only in the IV threshold, prior or penalty share their bins:
            // binning by binning, each set of rows (all, then each fold's) is cut once for all of them.
            let sets: [(columns: [(name: String, column: DataColumn)], isBad: [Bool])] =
                [(columns, isBad)] + folds.prefix(search.folds).map { ($0.trainColumns, $0.trainLabels) }
            for group in Self.byBinning(members) {
                let binner = binner(for: group[0])
                for (set, rows) in sets.enumerated() {
                    let cut = set == 0 && group[0] == chosen ? binned : rows.columns.map { binner.bin($0.name, $0.column, isBad: rows.isBad) }
                    for member in group where set > 0 || member != chosen {
                        let l2 = set == 0 ? options.l2 ?? member.l2PerRow * Double(isBad.count) : member.l2PerRow * Double(rows.isBad.count)
                        guard let memberFit = try? fit(member, rows.columns, isBad: rows.isBad, l2: l2, binned: cut) else { continue }
                        let regressed = memberFit.regressed
                        if member != chosen, let kept, Set(regressed.features.map(\.name)) != kept { continue }
                        joined.insert(member)
                        cards.append(zip(regressed.features, regressed.regression.coefficients).map { scorecardFeature($0, coefficient: $1) })
                        intercepts.append(regressed.regression.intercept)
                    }
                }
            }
            candidates = kept == nil ? members.count : joined.count
            var names: [String] = []
            for card in cards { for feature in card where !names.contains(feature.name) { names.append(feature.name) } }
            features = names.map { name in ScorecardFeature.mean(of: cards.map { card in card.first { $0.name == name } }) }
            intercept = intercepts.reduce(0, +) / Double(intercepts.count)
            for name in names where summaries.first(where: { $0.name == name })?.coefficient == nil {
                let index = summaries.firstIndex { $0.name == name }!
                summaries[index].dropped = (summaries[index].dropped ?? "") + " in the fit on all rows; points from the fold cards"
            }
        }
        for feature in features {
            let index = summaries.firstIndex { $0.name == feature.name }!
            summaries[index].inCards = cards.count { card in card.contains { $0.name == feature.name } }
            summaries[index].cardBins = switch feature.binning {
            case let .numeric(bins, _): bins.count
            case let .categorical(groups, _): groups.count
            }
        }
        for name in selector where !features.contains(where: { $0.name == name }) {
            features.append(scorecardFeature(binned.first { $0.name == name }!, coefficient: 0))
            summaries[summaries.firstIndex { $0.name == name }!].dropped! += "; kept with no points to select the segment"
        }
        let report = SegmentReport(
            name: name, regression: fitted.regression, features: summaries, rows: isBad.count, bads: bads,
            search: results, chosen: chosen, l2: l2, cards: cards.count, candidates: candidates, deals: results.isEmpty ? 0 : search.deals(rows: isBad.count))
        return (features, intercept, report)
    }

    /// The binner of `candidate`'s settings (the rest from the options).
    private func binner(for candidate: ModelSearch.Candidate) -> FeatureBinner {
        var binner = options.binner
        binner.method = candidate.method
        binner.maxBins = candidate.maxBins
        binner.minBinShare = candidate.minBinShare
        binner.noiseZ = candidate.noiseZ
        binner.monotonicity = candidate.monotonicity
        return binner
    }

    /// One fold of one deal: the rows the fits learn from and the held-out rows they are measured on.
    struct Fold {
        var trainLabels: [Bool]
        var testLabels: [Bool]
        var trainColumns: [(name: String, column: DataColumn)]
        var testColumns: [String: DataColumn]
    }

    /// The folds of `deals` deals of the rows (``ModelSearch/foldOfRow(_:repeat:)``), deal by deal.
    static func folds(_ columns: [(name: String, column: DataColumn)], isBad: [Bool], search: ModelSearch, deals: Int) -> [Fold] {
        (0..<deals).flatMap { round in
            let foldOfRow = search.foldOfRow(isBad, repeat: round)
            return (0..<search.folds).map { fold in
                let trainRows = isBad.indices.filter { foldOfRow[$0] != fold }
                let testRows = isBad.indices.filter { foldOfRow[$0] == fold }
                return Fold(trainLabels: trainRows.map { isBad[$0] }, testLabels: testRows.map { isBad[$0] },
                            trainColumns: columns.map { ($0.name, $0.column.rows(trainRows)) },
                            testColumns: Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.column.rows(testRows)) }))
            }
        }
    }

    /// `candidates` grouped by their binning settings (all but the IV threshold, prior and
    /// penalty), groups in order of first appearance, each group in the given order.
    static func byBinning(_ candidates: [ModelSearch.Candidate]) -> [[ModelSearch.Candidate]] {
        var groups: [[ModelSearch.Candidate]] = []
        var groupOf: [ModelSearch.Candidate: Int] = [:]
        for candidate in candidates {
            var binning = candidate
            (binning.minimumInformationValue, binning.slopePrior, binning.l2PerRow) = (0, 0, 0)
            if let index = groupOf[binning] {
                groups[index].append(candidate)
            } else {
                groupOf[binning] = groups.count
                groups.append([candidate])
            }
        }
        return groups
    }

    /// One candidate's fit: every column binned, the selection, and the regression on what it keeps.
    struct Fit {
        var binned: [BinnedFeature]
        var regressed: (features: [BinnedFeature], regression: LogisticRegression, dropped: [String: String])
        /// Why each column not in the regression is not (the filters', then the sign check's).
        var dropped: [String: String]
    }

    /// `candidate`'s settings fitted on `columns`: binned (or `binned`, the columns already cut
    /// with its binning settings), selected, regressed with the penalty `l2`.
    private func fit(
        _ candidate: ModelSearch.Candidate, _ columns: [(name: String, column: DataColumn)], isBad: [Bool], l2: Double,
        binned: [BinnedFeature]? = nil
    ) throws(TrainingError) -> Fit {
        let binner = binner(for: candidate)
        let binned = binned ?? columns.map { binner.bin($0.name, $0.column, isBad: isBad) }
        let selection = select(binned, minimumInformationValue: candidate.minimumInformationValue)
        let regressed = try regress(selection.kept, isBad: isBad, l2: l2, prior: candidate.slopePrior)
        return Fit(binned: binned, regressed: regressed, dropped: selection.dropped.merging(regressed.dropped) { first, _ in first })
    }

    /// Every candidate the search measured on `folds`, with its held-out AUCs and log-loss (see ``ModelSearch``).
    private func crossValidate(_ folds: [Fold], search: ModelSearch) -> [SearchResult] {
        /// Every IV threshold and `penalties` with `binning`'s bins, averaged over the folds.
        func measure(_ binning: ModelSearch.Candidate, penalties: [Double]) -> [SearchResult] {
            // Each candidate's results in the order first measured (so ties rank the same in every process).
            var results: [SearchResult] = []
            var index: [ModelSearch.Candidate: Int] = [:]
            let binner = binner(for: binning)
            for fold in folds {
                let binned = fold.trainColumns.map { binner.bin($0.name, $0.column, isBad: fold.trainLabels) }
                let cache = PatternCache()
                // The held-out rows' WOE per feature, looked up once for every fit.
                var testWOE: [String: [Double]] = [:]
                for feature in binned { testWOE[feature.name] = feature.woe(of: fold.testColumns[feature.name]!) }
                for threshold in search.minimumInformationValue {
                    let kept = select(binned, minimumInformationValue: threshold).kept
                    for prior in search.slopePrior {
                        // Strongest penalty first, each fit starting from the previous one's.
                        var previous: LogisticRegression?
                        for l2PerRow in penalties {
                            var candidate = binning
                            candidate.minimumInformationValue = threshold
                            candidate.slopePrior = prior
                            candidate.l2PerRow = l2PerRow
                            let at = index[candidate] ?? {
                                results.append(SearchResult(candidate: candidate, meanAUC: 0, meanLogLoss: 0))
                                index[candidate] = results.count - 1
                                return results.count - 1
                            }()
                            guard let fitted = try? regress(kept, isBad: fold.trainLabels, l2: l2PerRow * Double(fold.trainLabels.count),
                                                            prior: prior, start: previous, cache: cache) else {
                                results[at].meanLogLoss += .infinity
                                results[at].foldAUCs.append(0)
                                continue
                            }
                            previous = fitted.regression
                            var logOdds = Array(repeating: fitted.regression.intercept, count: fold.testLabels.count)
                            for (feature, coefficient) in zip(fitted.features, fitted.regression.coefficients) {
                                for (row, woe) in testWOE[feature.name]!.enumerated() { logOdds[row] += coefficient * woe }
                            }
                            results[at].foldAUCs.append(ModelMetrics.auc(scores: logOdds.map { -$0 }, isBad: fold.testLabels) ?? 0)
                            results[at].meanLogLoss += zip(logOdds, fold.testLabels).reduce(0.0) { loss, row in
                                // −log P(observed outcome), with log(1 + e^x) computed stably.
                                let x = row.1 ? -row.0 : row.0
                                return loss + (x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)))
                            } / Double(fold.testLabels.count)
                        }
                    }
                }
            }
            let count = Double(folds.count)
            for at in results.indices {
                results[at].meanAUC = results[at].foldAUCs.reduce(0, +) / count
                results[at].meanLogLoss /= count
            }
            return results
        }
        let coarse = search.l2PerRow.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        var results = search.binnings.flatMap { measure($0, penalties: coarse) }
        if let best = Self.rank(results, aucTolerance: search.aucTolerance).first {
            let fine = search.l2PerRow.filter { !coarse.contains($0) }
            if !fine.isEmpty { results += measure(best, penalties: fine) }
        }
        return results
    }

    /// The candidates the search cannot tell from the best (see ``ModelSearch/standardErrors``):
    /// those without a failed fold whose mean held-out AUC is within `standardErrors` standard
    /// errors of the best's, the standard error being the spread of the best's fold AUCs over √folds.
    public static func indistinguishable(from results: [SearchResult], search: ModelSearch) -> [SearchResult] {
        guard let best = results.filter(\.meanLogLoss.isFinite).max(by: { $0.meanAUC < $1.meanAUC }) else { return [] }
        let aucs = best.foldAUCs
        guard aucs.count > 1 else { return [best] }
        let mean = aucs.reduce(0, +) / Double(aucs.count)
        let spread = (aucs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(aucs.count - 1)).squareRoot()
        let floor = best.meanAUC - search.standardErrors * spread / Double(search.folds).squareRoot()
        return results.filter { $0.meanLogLoss.isFinite && $0.meanAUC >= floor }
    }

    /// `results` best first: those within `aucTolerance` of the best AUC by log-loss, then the
    /// rest by AUC (ties keep their order).
    public static func rank(_ results: [SearchResult], aucTolerance tolerance: Double) -> [ModelSearch.Candidate] {
        guard let top = results.map(\.meanAUC).max() else { return [] }
        let close = results.filter { $0.meanAUC >= top - tolerance }, far = results.filter { $0.meanAUC < top - tolerance }
        func stable(_ list: [SearchResult], by less: (SearchResult, SearchResult) -> Bool) -> [SearchResult] {
            list.enumerated().sorted { less($0.element, $1.element) || (!less($1.element, $0.element) && $0.offset < $1.offset) }.map(\.element)
        }
        return (stable(close) { $0.meanLogLoss < $1.meanLogLoss } + stable(far) { $0.meanAUC > $1.meanAUC }).map(\.candidate)
    }

    /// The features that pass the filters, and why each other one does not: constant, below the
    /// minimum IV, or WOE correlated beyond the cap with a feature of higher IV.
    private func select(_ binned: [BinnedFeature], minimumInformationValue: Double) -> (kept: [BinnedFeature], dropped: [String: String]) {
        var dropped: [String: String] = [:]
        var passing: [BinnedFeature] = []
        for feature in binned {
            // A column whose rows all fall in one bin (all missing, say, in a segment selected
            // by another column's absence) is constant: no regression can weigh it.
            if feature.table.counts.count(where: { $0.total > 0 }) < 2 {
                dropped[feature.name] = "the same bin for every row"
            } else if feature.informationValue < minimumInformationValue {
                dropped[feature.name] = String(format: "information value %.4f below %.4f", feature.informationValue, minimumInformationValue)
            } else {
                passing.append(feature)
            }
        }
        guard options.maximumCorrelation < 1 else { return (passing, dropped) }
        var kept: [(name: String, standardised: [Double])] = []
        for feature in passing.sorted(by: { $0.informationValue > $1.informationValue }) {
            let woe = feature.assignment.map { feature.table.woe[$0] }
            let mean = woe.reduce(0, +) / Double(woe.count)
            let deviation = (woe.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(woe.count)).squareRoot()
            let standardised = woe.map { ($0 - mean) / deviation }
            let correlated = kept.lazy.map { other in
                (other.name, zip(other.standardised, standardised).reduce(0) { $0 + $1.0 * $1.1 } / Double(woe.count))
            }.first { abs($0.1) > options.maximumCorrelation }
            if let (other, correlation) = correlated {
                dropped[feature.name] = String(format: "WOE correlation %.2f with %@ (higher IV) above %.2f", correlation, other,
                                               options.maximumCorrelation)
            } else {
                kept.append((feature.name, standardised))
            }
        }
        let names = Set(kept.map(\.name))
        return (passing.filter { names.contains($0.name) }, dropped)
    }

    /// The regression of default on the features' WOE (rows with the same bins fitted once). A
    /// feature whose slope comes out positive (WOE is "good" evidence, so a positive slope is a
    /// collinearity artefact) is dropped and the rest refitted.
    private func regress(
        _ features: [BinnedFeature], isBad: [Bool], l2: Double, prior: Double = 0, start: LogisticRegression? = nil,
        cache: PatternCache? = nil
    ) throws(TrainingError) -> (features: [BinnedFeature], regression: LogisticRegression, dropped: [String: String]) {
        var candidates = features
        var dropped: [String: String] = [:]
        while true {
            guard !candidates.isEmpty else { throw .noFeatures }
            let names = candidates.map(\.name)
            let patterns = cache?.patterns[names] ?? Self.patterns(candidates, isBad: isBad)
            cache?.patterns[names] = patterns
            let regression: LogisticRegression
            do {
                regression = try LogisticRegression(
                    patterns: patterns, l2: l2, prior: prior, start: candidates.count == features.count ? start : nil)
            } catch { throw .regression(error) }
            guard let worst = regression.coefficients.indices.max(by: { regression.coefficients[$0] < regression.coefficients[$1] }),
                  regression.coefficients[worst] > 0 else { return (candidates, regression, dropped) }
            dropped[candidates[worst].name] =
                String(format: "positive slope %.4f on WOE (collinear with other features)", regression.coefficients[worst])
            candidates.remove(at: worst)
        }
    }

    /// The grouped rows of one set of binned features, kept while the search fits them with
    /// several penalties.
    final class PatternCache {
        var patterns: [[String]: LogisticRegression.Patterns] = [:]
    }

    /// The rows grouped by their bins of `features`, with each group's WOE values and counts.
    private static func patterns(_ features: [BinnedFeature], isBad: [Bool]) -> LogisticRegression.Patterns {
        var patterns = LogisticRegression.Patterns(width: features.count)
        var patternOf: [[Int]: Int] = [:]
        var key = Array(repeating: 0, count: features.count)
        var woe = Array(repeating: 0.0, count: features.count)
        var positives: [Double] = [], totals: [Double] = []
        for row in isBad.indices {
            for (j, feature) in features.enumerated() { key[j] = feature.assignment[row] }
            let index: Int
            if let known = patternOf[key] {
                index = known
            } else {
                index = positives.count
                patternOf[key] = index
                for (j, feature) in features.enumerated() { woe[j] = feature.table.woe[key[j]] }
                patterns.append(woe, positives: 0, total: 0)
                positives.append(0)
                totals.append(0)
            }
            totals[index] += 1
            if isBad[row] { positives[index] += 1 }
        }
        patterns.setCounts(positives: positives, totals: totals)
        return patterns
    }

    /// Points rounded to hundredths so cards read well (adding 0 turns −0 into 0).
    private static func points(_ value: Double) -> Double { (value * 100).rounded() / 100 + 0 }

    /// The feature's bins with `−factor·coefficient·WOE` points each (none with a zero coefficient).
    private func scorecardFeature(_ feature: BinnedFeature, coefficient: Double) -> ScorecardFeature {
        let woe = feature.table.woe
        let factor = options.scaling.factor
        func points(_ bin: Int) -> Double { Self.points(-factor * coefficient * woe[bin]) }
        let binning: ScorecardFeature.Binning = switch feature.bins {
        case .numeric where coefficient == 0:
            .numeric(bins: [.init(lower: -.infinity, upper: .infinity, points: 0)], specialValues: [])
        case let .numeric(cuts):
            .numeric(bins: woe.indices.dropLast().map { bin in
                ScorecardFeature.NumericBin(
                    lower: bin == 0 ? -.infinity : cuts[bin - 1], upper: bin == cuts.count ? .infinity : cuts[bin], points: points(bin))
            }, specialValues: [])
        case let .categorical(groups):
            .categorical(groups: groups.enumerated().map { .init(values: $1, points: points($0)) }, otherPoints: 0)
        }
        return ScorecardFeature(
            name: feature.name, binning: binning, missingPoints: points(feature.bins.count),
            reason: ReasonCode(code: "", chinese: "{feature} 为 {value}，拉低评分", english: "{feature} = {value} lowered the score")
        )
    }
}
