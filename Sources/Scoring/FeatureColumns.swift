/// Many subjects' features stored column by column (struct of arrays), for scoring in bulk with
/// ``CompiledScorecard/scores(_:)``: each slot's values of all rows lie side by side, so that the
/// scorer runs one feature's bins over many rows at a time.
///
/// Inside a column a categorical value is stored as its interned code and a missing value as NaN,
/// a marker no numeric feature value can take (``FeatureVector`` refuses NaN): missing stays a
/// value of its own.
public struct FeatureColumns: Sendable {
    public let layout: FeatureLayout
    /// Number of rows.
    public private(set) var count = 0
    /// One column per slot.
    private(set) var columns: [[Double]]

    /// An empty batch with room for `capacity` rows.
    public init(layout: FeatureLayout, capacity: Int = 0) {
        self.layout = layout
        columns = (0..<layout.count).map { _ in
            var column: [Double] = []
            column.reserveCapacity(capacity)
            return column
        }
    }

    /// A batch of `vectors`, all laid out by `layout`.
    public init(layout: FeatureLayout, vectors: some Collection<FeatureVector>) {
        self.init(layout: layout, capacity: vectors.count)
        for vector in vectors { append(vector) }
    }

    /// Appends `vector` as the last row.
    public mutating func append(_ vector: FeatureVector) {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        for slot in columns.indices {
            let value: Double = switch vector[slot] {
            case .missing: .nan
            case let .number(x): x
            case let .category(code): Double(code)
            }
            columns[slot].append(value)
        }
        count += 1
    }

    /// Row `row` as a vector (to explain one score: grade, declines and reasons).
    public subscript(row: Int) -> FeatureVector {
        precondition(row >= 0 && row < count, "row \(row) out of range 0..<\(count)")
        return FeatureVector(layout: layout, values: columns.indices.map { slot -> FeatureValue in
            let value = columns[slot][row]
            if value.isNaN { return .missing }
            return layout.kinds[slot] == .numeric ? .number(value) : .category(Int32(value))
        })
    }
}
