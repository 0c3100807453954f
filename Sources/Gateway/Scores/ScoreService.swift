import BrokerCore
import BrokerStore
import Scoring

/// What `POST /v1/scores` and the reports' summary need: the compiled scorecard and the fusion of
/// records into its features.
public struct ScoreService: Sendable {
    let card: CompiledScorecard
    let fusion: FeatureFusion

    /// Fails when the card reads a feature that fusion does not compute.
    public init(card: CompiledScorecard) throws(FeatureVectorError) {
        self.card = card
        fusion = try FeatureFusion(layout: card.layout)
    }

    /// A subject scored from `records`, the disclosable records of the items in `available`: the
    /// features of any other item count as missing (inference control).
    struct Scored {
        let result: ScoreResult
        /// The features of the scoring segment present, of those it scores.
        let coverage: (present: Int, of: Int)
        /// At least half of the segment's features are present: the grade may be given.
        var sufficient: Bool { coverage.present >= needed }
        /// The features a grade needs.
        var needed: Int { (coverage.of + 1) / 2 }
        let reasons: [ScoreReason]
        let declined: ScoreReason?
        let missingFeatures: [String]
    }

    func score(_ records: [StoredRecord], available: Set<String>, on day: CivilDate) -> Scored {
        let features = FeatureFusion.features(of: records.map(FusionRecord.init), available: available, on: day)
        let vector = fusion.vector(features)
        let result = card.score(vector)
        return Scored(
            result: result, coverage: card.presentFeatures(in: vector), reasons: card.explain(result, for: vector),
            declined: card.explainDecline(result, for: vector),
            missingFeatures: card.layout.names.indices.filter { vector[$0] == .missing }.map { card.layout.names[$0] }
        )
    }
}
