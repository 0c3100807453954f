/// A reason code resolved for one subject, with its texts filled in.
public struct ScoreReason: Sendable, Hashable {
    public var code: String
    public var feature: String
    /// The subject's value as text, `nil` when missing.
    public var value: String?
    public var pointsLost: Double
    public var chinese: String
    public var english: String
}
