/// Why a logistic regression could not be fitted.
public enum LogisticRegressionError: Error, Sendable, Equatable, CustomStringConvertible {
    case shapeMismatch
    case singleClass
    case singular
    case diverged

    public var description: String {
        switch self {
        case .shapeMismatch: "every feature needs one value per row, and there must be rows"
        case .singleClass: "the outcome must have both classes"
        case .singular: "the features are collinear (singular Hessian); drop a feature or add --l2"
        case .diverged: "the fit diverged (perfect separation?); add --l2"
        }
    }
}
