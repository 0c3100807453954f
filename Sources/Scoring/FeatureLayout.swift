/// The feature slots of a compiled scorecard: names, kinds and the interned categorical values.
/// Resolve names and strings once (``slot(named:)``, ``code(of:inSlot:)``) and fill vectors by slot.
public final class FeatureLayout: Sendable {
    /// Interned code of a categorical value the card does not list (scored as the feature's `other`).
    public static let unlistedCategory: Int32 = -1

    public enum Kind: Sendable, Hashable {
        case numeric
        /// Categorical with its known values, in code order.
        case categorical(values: [String])
    }

    /// Feature names in slot order (the card's feature order).
    public let names: [String]
    public let kinds: [Kind]
    private let slots: [String: Int]
    private let codes: [[String: Int32]]

    /// The features of every segment, each name once in order of first appearance; a categorical
    /// feature's values are those all its segments list, in order of first appearance.
    init(segments: [ScorecardSegment]) {
        var names: [String] = []
        var values: [String: [String]] = [:]
        var numeric: Set<String> = []
        for feature in segments.flatMap(\.features) {
            if !names.contains(feature.name) { names.append(feature.name) }
            switch feature.binning {
            case .numeric: numeric.insert(feature.name)
            case let .categorical(groups, _):
                for value in groups.flatMap(\.values) where values[feature.name]?.contains(value) != true {
                    values[feature.name, default: []].append(value)
                }
            }
        }
        self.names = names
        kinds = names.map { numeric.contains($0) ? .numeric : .categorical(values: values[$0] ?? []) }
        slots = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        codes = kinds.map { kind in
            guard case let .categorical(values) = kind else { return [:] }
            return Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, Int32($0)) })
        }
    }

    /// Number of slots.
    public var count: Int { names.count }

    /// The slot of feature `name`, or `nil` when the card does not use it.
    public func slot(named name: String) -> Int? { slots[name] }

    /// The interned code of `value` in categorical slot `slot` (``unlistedCategory`` when unlisted).
    public func code(of value: String, inSlot slot: Int) -> Int32 {
        codes[slot][value] ?? Self.unlistedCategory
    }

    /// A vector with every feature missing.
    public func makeVector() -> FeatureVector { FeatureVector(layout: self) }

    /// `value` as text for reason messages: the number, the category, or `nil` when missing.
    public func describe(_ value: FeatureValue, inSlot slot: Int) -> String? {
        switch value {
        case .missing:
            return nil
        case let .number(number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case let .category(code):
            guard case let .categorical(values) = kinds[slot], code >= 0 else { return "other" }
            return values[Int(code)]
        }
    }
}
