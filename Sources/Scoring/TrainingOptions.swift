/// Settings of ``ScorecardTrainer``.
public struct TrainingOptions: Sendable {
    public var target: TargetColumn
    /// Columns never used as features (identifiers, dates, the target is always excluded).
    public var excluded: Set<String> = []
    /// How features are binned; its `method`, `maxBins`, `noiseZ` and `monotonicity` are ``search``'s.
    public var binner = FeatureBinner(method: .tree, maxBins: 8, minBinShare: 0.05, monotonicity: .auto)
    /// Features with a lower information value are dropped before the regression (when
    /// ``search`` has one candidate for it; else the search's).
    public var minimumInformationValue = 0.02
    /// A feature whose WOE correlates beyond this (absolute Pearson) with a feature of higher
    /// information value is dropped; 1 keeps every feature.
    public var maximumCorrelation = 0.8
    /// L2 penalty of the regression; `nil` has the cross-validation choose it from
    /// ``ModelSearch/l2PerRow``.
    public var l2: Double?
    /// What cross-validation chooses, and from which candidates.
    public var search = ModelSearch()
    /// Whether each segment's points are the mean of the chosen candidate's card fitted on all
    /// rows and its cards fitted on each fold's training rows (bins cut at every card's edges),
    /// and of the same cards of every other candidate the search cannot tell from it
    /// (``ModelSearch/standardErrors``; from ``ModelSearch/averagingRows`` rows up, those that keep
    /// the chosen fit's features): a bagged card, steadier than one fit where the bins'
    /// cut points and the choice of settings depend on few rows.
    public var meanOfFoldCards = true
    public var scaling = ScoreScaling()
    /// Segments to train one set of points each for, in selection order; empty for an
    /// unsegmented card.
    public var segments: [TrainingSegment] = []
    /// Reason codes to keep, by feature name (a retrained card's codes keep their meaning);
    /// other features get the next free `Rnn`.
    public var reasonCodes: [String: String] = [:]
    public var name = "trained"
    public var version = "trained-v1"

    public init(target: TargetColumn) {
        self.target = target
    }

    /// Options that search nothing: the binner's bins and noise merging, and `l2`, as given.
    public static func fixed(target: TargetColumn, binner: FeatureBinner, l2: Double = 0) -> TrainingOptions {
        var options = TrainingOptions(target: target)
        options.binner = binner
        options.l2 = l2
        options.search.methods = [binner.method]
        options.search.maxBins = [binner.maxBins]
        options.search.noiseZ = [binner.noiseZ]
        options.search.monotonicity = [binner.monotonicity]
        options.search.minimumInformationValue = []
        options.search.slopePrior = [0]
        options.search.minBinShare = [binner.minBinShare]
        options.maximumCorrelation = 1
        options.meanOfFoldCards = false
        return options
    }
}
