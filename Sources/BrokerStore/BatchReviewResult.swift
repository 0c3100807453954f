/// A processed subject of a batch review: its masked answer and the indicators it showed.
public struct BatchReviewResult: Sendable, Hashable {
    public let position: Int
    /// The masked answer, as JSON the gateway wrote (opaque to the store).
    public let json: String
    /// Indicator names (e.g. `dishonest_mark`) that `BatchReviewStore.indicatorCounts` counts.
    public let indicators: [String]

    public init(position: Int, json: String, indicators: [String]) {
        self.position = position
        self.json = json
        self.indicators = indicators
    }
}
