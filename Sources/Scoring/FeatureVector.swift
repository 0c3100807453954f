/// One subject's features, laid out for one compiled scorecard. Every feature starts missing.
///
/// Fill by name (checked, throws) or by slot (resolved once with ``FeatureLayout/slot(named:)``).
public struct FeatureVector: Sendable {
    public let layout: FeatureLayout
    /// Values in slot order.
    public private(set) var values: [FeatureValue]

    public init(layout: FeatureLayout) {
        self.layout = layout
        values = Array(repeating: .missing, count: layout.count)
    }

    /// A vector of `values`, one per slot of `layout`.
    init(layout: FeatureLayout, values: some Collection<FeatureValue>) {
        precondition(values.count == layout.count, "a vector has one value per slot")
        self.layout = layout
        self.values = Array(values)
    }

    public subscript(slot: Int) -> FeatureValue { values[slot] }

    /// Sets numeric slot `slot`; `nil` means missing. NaN is a programming error.
    public mutating func setNumber(_ value: Double?, inSlot slot: Int) {
        precondition(layout.kinds[slot] == .numeric, "slot \(slot) (\(layout.names[slot])) is not numeric")
        guard let value else { values[slot] = .missing; return }
        precondition(!value.isNaN, "NaN is not a feature value; use nil for missing")
        values[slot] = .number(value)
    }

    /// Sets categorical slot `slot` from its string; `nil` means missing.
    public mutating func setCategory(_ value: String?, inSlot slot: Int) {
        precondition(layout.kinds[slot] != .numeric, "slot \(slot) (\(layout.names[slot])) is not categorical")
        values[slot] = value.map { .category(layout.code(of: $0, inSlot: slot)) } ?? .missing
    }

    /// Sets numeric feature `name`; `nil` means missing.
    public mutating func set(_ name: String, number value: Double?) throws(FeatureVectorError) {
        let slot = try self.slot(name, numeric: true)
        if let value, value.isNaN { throw .notANumber(feature: name) }
        setNumber(value, inSlot: slot)
    }

    /// Sets categorical feature `name`; `nil` means missing.
    public mutating func set(_ name: String, category value: String?) throws(FeatureVectorError) {
        setCategory(value, inSlot: try slot(name, numeric: false))
    }

    private func slot(_ name: String, numeric: Bool) throws(FeatureVectorError) -> Int {
        guard let slot = layout.slot(named: name) else { throw .unknownFeature(name) }
        guard (layout.kinds[slot] == .numeric) == numeric else {
            throw .wrongKind(feature: name, expected: numeric ? "categorical" : "numeric")
        }
        return slot
    }
}
