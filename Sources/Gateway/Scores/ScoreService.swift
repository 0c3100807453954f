import Scoring

/// What `POST /v1/scores` needs besides the query service: the compiled scorecard and the fusion
/// of records into its features.
public struct ScoreService: Sendable {
    let card: CompiledScorecard
    let fusion: FeatureFusion

    /// Fails when the card reads a feature that fusion does not compute.
    public init(card: CompiledScorecard) throws(FeatureVectorError) {
        self.card = card
        fusion = try FeatureFusion(layout: card.layout)
    }
}
