/// A feature vector filled with a name or value the card does not accept.
public enum FeatureVectorError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownFeature(String)
    case wrongKind(feature: String, expected: String)
    case notANumber(feature: String)

    public var description: String {
        switch self {
        case let .unknownFeature(name): "the scorecard has no feature \(name)"
        case let .wrongKind(name, expected): "feature \(name) is \(expected)"
        case let .notANumber(name): "feature \(name): NaN is not a value (use nil for missing)"
        }
    }
}
