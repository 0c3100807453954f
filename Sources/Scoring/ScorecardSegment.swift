/// One set of points of a scorecard: its intercept and its features' bins.
///
/// A segmented card holds several and scores each subject with the first whose selector the
/// subject's features meet; the last segment has no selector and takes everyone else. The
/// selector reads only whether features are present, so with inference control (the features of
/// withheld items are missing) choosing a segment never reveals a withheld item.
public struct ScorecardSegment: Sendable, Hashable {
    /// The segment's name, stamped on each score beside the card's version; `nil` only for the
    /// single segment of an unsegmented card.
    public var name: String?
    /// The segment scores a subject when any of these features is present (not missing); empty
    /// for the last segment.
    public var whenPresent: [String]
    /// Points every subject of the segment starts with.
    public var interceptPoints: Double
    public var features: [ScorecardFeature]

    public init(name: String?, whenPresent: [String] = [], interceptPoints: Double, features: [ScorecardFeature]) {
        self.name = name
        self.whenPresent = whenPresent
        self.interceptPoints = interceptPoints
        self.features = features
    }
}
