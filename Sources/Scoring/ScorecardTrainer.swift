import Foundation

/// Trains a scorecard from a CSV: bins every feature column, keeps those with enough
/// information value, fits a logistic regression of default on their WOE, and scales the fit
/// to points; with ``TrainingOptions/segments``, does so for each segment's rows.
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
    }

    /// One candidate column and what training made of it.
    public struct FeatureSummary: Sendable {
        public var name: String
        public var informationValue: Double
        public var bins: Int
        /// The regression slope on WOE; `nil` when the feature was dropped.
        public var coefficient: Double?
        /// Why the feature is not in the card, if it is not.
        public var dropped: String?
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
        // One reason code per feature name, in order of first appearance across the segments.
        var codes: [String: String] = [:]
        for feature in segments.flatMap(\.features) where codes[feature.name] == nil {
            codes[feature.name] = String(format: "R%02d", codes.count + 1)
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
        var summaries: [FeatureSummary] = []
        var binned: [BinnedFeature] = []
        var candidates: [BinnedFeature] = []
        for (index, name) in table.header.enumerated() where name != options.target.name && !options.excluded.contains(name) {
            let feature = options.binner.bin(name, DataColumn(table, column: index), isBad: isBad)
            // A column whose rows all fall in one bin (all missing, say, in a segment selected
            // by another column's absence) is constant: no regression can weigh it.
            let constant = feature.table.counts.count(where: { $0.total > 0 }) < 2
            let keep = !constant && feature.informationValue >= options.minimumInformationValue
            summaries.append(FeatureSummary(
                name: name, informationValue: feature.informationValue, bins: feature.bins.count, coefficient: nil,
                dropped: keep ? nil : constant ? "the same bin for every row"
                    : String(format: "information value %.4f below %.4f", feature.informationValue, options.minimumInformationValue)
            ))
            binned.append(feature)
            if keep { candidates.append(feature) }
        }
        var regression: LogisticRegression
        while true {
            guard !candidates.isEmpty else { throw .noFeatures }
            let columns = candidates.map { feature in feature.assignment.map { feature.table.woe[$0] } }
            do { regression = try LogisticRegression(columns: columns, outcomes: isBad, l2: options.l2) } catch { throw .regression(error) }
            guard let worst = regression.coefficients.indices.max(by: { regression.coefficients[$0] < regression.coefficients[$1] }),
                  regression.coefficients[worst] > 0 else { break }
            let name = candidates[worst].name
            summaries[summaries.firstIndex { $0.name == name }!].dropped =
                String(format: "positive slope %.4f on WOE (collinear with other features)", regression.coefficients[worst])
            candidates.remove(at: worst)
        }
        for (feature, coefficient) in zip(candidates, regression.coefficients) {
            summaries[summaries.firstIndex { $0.name == feature.name }!].coefficient = coefficient
        }
        var features = zip(candidates, regression.coefficients).map { scorecardFeature($0, coefficient: $1) }
        for name in selector where !features.contains(where: { $0.name == name }) {
            features.append(scorecardFeature(binned.first { $0.name == name }!, coefficient: 0))
            summaries[summaries.firstIndex { $0.name == name }!].dropped! += "; kept with no points to select the segment"
        }
        return (features, regression.intercept,
                SegmentReport(name: name, regression: regression, features: summaries, rows: isBad.count, bads: bads))
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
