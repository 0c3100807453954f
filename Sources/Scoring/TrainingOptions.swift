/// Settings of ``ScorecardTrainer``.
public struct TrainingOptions: Sendable {
    public var target: TargetColumn
    /// Columns never used as features (identifiers, dates, the target is always excluded).
    public var excluded: Set<String> = []
    public var binner = FeatureBinner()
    /// Features with a lower information value are dropped before the regression.
    public var minimumInformationValue = 0.02
    /// L2 penalty of the regression.
    public var l2 = 0.0
    public var scaling = ScoreScaling()
    /// Segments to train one set of points each for, in selection order; empty for an
    /// unsegmented card.
    public var segments: [TrainingSegment] = []
    public var name = "trained"
    public var version = "trained-v1"

    public init(target: TargetColumn) {
        self.target = target
    }
}
