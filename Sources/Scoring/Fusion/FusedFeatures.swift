/// Every ``FusionFeature`` of one subject, each a number, a category or missing.
public struct FusedFeatures: Sendable, Hashable {
    /// One feature's value. Missing is a value of its own: data withheld or not held, never zero.
    public enum Value: Sendable, Hashable {
        case missing
        case number(Double)
        case category(String)
    }

    /// Values in `FusionFeature.allCases` order.
    private var values = Array(repeating: Value.missing, count: FusionFeature.allCases.count)

    /// Every feature missing.
    public init() {}

    public subscript(feature: FusionFeature) -> Value {
        get { values[Self.index[feature]!] }
        set { values[Self.index[feature]!] = newValue }
    }

    /// The features as CSV cells in `FusionFeature.allCases` order (missing is an empty cell).
    public var csvCells: [String] {
        values.map { value in
            switch value {
            case .missing: ""
            case let .number(x): x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            case let .category(text): text
            }
        }
    }

    private static let index = Dictionary(uniqueKeysWithValues: FusionFeature.allCases.enumerated().map { ($1, $0) })
}
