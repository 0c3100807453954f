/// The features that cost a subject the most points, worst first, held inline (no allocation).
///
/// Each entry is a feature slot and the points it lost against that feature's best bin. Equal
/// losses keep card order, so the list is deterministic.
public struct ReasonList: Sendable, Equatable, RandomAccessCollection {
    /// Most entries a list holds.
    public static let capacity = 4

    public struct Entry: Sendable, Hashable {
        /// The feature's slot in the card's ``FeatureLayout``.
        public var slot: Int
        /// Points below the feature's best bin (> 0).
        public var pointsLost: Double
    }

    private var slots = SIMD4<Int32>(repeating: 0)
    private var losses = SIMD4<Double>(repeating: 0)
    public private(set) var count = 0
    private let limit: Int

    init(limit: Int) {
        precondition((0...Self.capacity).contains(limit))
        self.limit = limit
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Entry {
        precondition(position >= 0 && position < count, "reason index out of range")
        return Entry(slot: Int(slots[position]), pointsLost: losses[position])
    }

    public static func == (lhs: ReasonList, rhs: ReasonList) -> Bool { lhs.elementsEqual(rhs) }

    /// Offers a feature; slots must be offered in increasing order for ties to keep card order.
    @inline(__always)
    mutating func offer(slot: Int, pointsLost: Double) {
        guard pointsLost > 0, limit > 0 else { return }
        if count == limit {
            guard pointsLost > losses[limit - 1] else { return }
            count -= 1
        }
        var position = count
        while position > 0, losses[position - 1] < pointsLost {
            losses[position] = losses[position - 1]
            slots[position] = slots[position - 1]
            position -= 1
        }
        losses[position] = pointsLost
        slots[position] = Int32(slot)
        count += 1
    }
}
