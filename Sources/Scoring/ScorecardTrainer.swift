import Foundation

/// Trains a scorecard from a CSV: bins every feature column, keeps those with enough
/// information value, fits a logistic regression of default on their WOE, and scales the fit
/// to points.
///
/// With `factor` and `offset` from ``ScoreScaling`` and the fit `logit P(bad) = β₀ + Σ βⱼ·WOEⱼ`,
/// `score = offset − factor · logit P(bad)`: the intercept gets `offset − factor·β₀` points and a
/// bin of feature j gets `−factor·βⱼ·WOE` points. A feature whose slope comes out positive (WOE
/// is "good" evidence, so a positive slope is a collinearity artefact) is dropped and the model
/// refitted. Values unseen in training score the WOE 0 of the average subject.
public struct ScorecardTrainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions) {
        self.options = options
    }

    /// The outcome of training: the card and how each column fared.
    public struct Report: Sendable {
        public var card: Scorecard
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
        let bads = isBad.count(where: { $0 })
        guard bads > 0, bads < isBad.count else {
            throw .noContrast("the target column \(options.target.name) has no \(bads == 0 ? "bad" : "good") rows")
        }
        var summaries: [FeatureSummary] = []
        var candidates: [BinnedFeature] = []
        for (index, name) in table.header.enumerated() where name != options.target.name && !options.excluded.contains(name) {
            let binned = options.binner.bin(name, DataColumn(table, column: index), isBad: isBad)
            let keep = binned.informationValue >= options.minimumInformationValue
            summaries.append(FeatureSummary(
                name: name, informationValue: binned.informationValue, bins: binned.bins.count, coefficient: nil,
                dropped: keep ? nil : String(format: "information value %.4f below %.4f", binned.informationValue, options.minimumInformationValue)
            ))
            if keep { candidates.append(binned) }
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
        let scaling = options.scaling
        let features = zip(candidates, regression.coefficients).enumerated().map { index, pair in
            scorecardFeature(pair.0, coefficient: pair.1, factor: scaling.factor, code: String(format: "R%02d", index + 1))
        }
        let card = Scorecard(
            name: options.name, version: options.version, scaling: scaling,
            interceptPoints: Self.points(scaling.offset - scaling.factor * regression.intercept),
            features: features, grades: GradeBand.standard(for: scaling)
        )
        return Report(card: card, regression: regression, features: summaries, rows: isBad.count, bads: bads)
    }

    /// Points rounded to hundredths so cards read well (adding 0 turns −0 into 0).
    private static func points(_ value: Double) -> Double { (value * 100).rounded() / 100 + 0 }

    private func scorecardFeature(_ feature: BinnedFeature, coefficient: Double, factor: Double, code: String) -> ScorecardFeature {
        let woe = feature.table.woe
        func points(_ bin: Int) -> Double { Self.points(-factor * coefficient * woe[bin]) }
        let binning: ScorecardFeature.Binning = switch feature.bins {
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
            reason: ReasonCode(code: code, chinese: "{feature} 为 {value}，拉低评分", english: "{feature} = {value} lowered the score")
        )
    }
}
