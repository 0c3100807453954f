import BrokerCore
import Formats

/// Why training failed.
public enum TrainingError: Error, Sendable, CustomStringConvertible {
    case csv(CSVError)
    case noContrast(String)
    case noFeatures
    /// The segment definitions are unusable (the message says which and why).
    case segments(String)
    case regression(LogisticRegressionError)

    public var description: String {
        switch self {
        case let .csv(error): error.description
        case let .noContrast(message): message
        case .noFeatures: "no feature column has enough information value (lower --min-iv?)"
        case let .regression(error): "regression failed: \(error)"
        case let .segments(message): "segments: \(message)"
        }
    }
}
