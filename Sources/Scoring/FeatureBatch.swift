/// Many subjects' features for one compiled scorecard, row after row in one contiguous buffer, for
/// scoring in bulk with ``CompiledScorecard/score(_:)-(FeatureBatch)``.
public struct FeatureBatch: Sendable {
    public let layout: FeatureLayout
    /// Values row after row: row `r`'s slot `s` is at `values[r * layout.count + s]`.
    public private(set) var values: [FeatureValue] = []
    /// Number of rows.
    public private(set) var count = 0

    /// An empty batch with room for `capacity` rows.
    public init(layout: FeatureLayout, capacity: Int = 0) {
        self.layout = layout
        values.reserveCapacity(capacity * layout.count)
    }

    /// A batch of `vectors`, all laid out by `layout`.
    public init(layout: FeatureLayout, vectors: some Collection<FeatureVector>) {
        self.init(layout: layout, capacity: vectors.count)
        for vector in vectors { append(vector) }
    }

    /// Appends `vector` as the last row.
    public mutating func append(_ vector: FeatureVector) {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        values += vector.values
        count += 1
    }

    /// Row `row` as a vector.
    public subscript(row: Int) -> FeatureVector {
        precondition(row >= 0 && row < count, "row \(row) out of range 0..<\(count)")
        return FeatureVector(layout: layout, values: values[row * layout.count ..< (row + 1) * layout.count])
    }
}
