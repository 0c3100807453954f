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

    /// The four costliest features offered so far, in scalars the optimiser keeps in registers.
    struct Tracker {
        private var loss0 = 0.0, loss1 = 0.0, loss2 = 0.0, loss3 = 0.0
        private var slot0: Int32 = 0, slot1: Int32 = 0, slot2: Int32 = 0, slot3: Int32 = 0

        /// Offers a feature; slots must be offered in increasing order for ties to keep card order.
        /// Only losses above zero (the initial losses) enter.
        @inline(__always)
        mutating func offer(slot: Int, pointsLost loss: Double) {
            guard loss > loss3 else { return }
            let slot = Int32(truncatingIfNeeded: slot)
            if loss > loss1 {
                (loss3, slot3, loss2, slot2) = (loss2, slot2, loss1, slot1)
                if loss > loss0 {
                    (loss1, slot1, loss0, slot0) = (loss0, slot0, loss, slot)
                } else {
                    (loss1, slot1) = (loss, slot)
                }
            } else if loss > loss2 {
                (loss3, slot3, loss2, slot2) = (loss2, slot2, loss, slot)
            } else {
                (loss3, slot3) = (loss, slot)
            }
        }

        /// The first `limit` (0 … 4) entries.
        func list(limit: Int) -> ReasonList {
            let offered = (loss0 > 0 ? 1 : 0) + (loss1 > 0 ? 1 : 0) + (loss2 > 0 ? 1 : 0) + (loss3 > 0 ? 1 : 0)
            return ReasonList(
                slots: (slot0, slot1, slot2, slot3), losses: (loss0, loss1, loss2, loss3), count: Swift.min(limit, offered))
        }
    }

    // Tuples rather than SIMD4, whose 32-byte alignment would pad every `ScoreResult`.
    private let slots: (Int32, Int32, Int32, Int32)
    private let losses: (Double, Double, Double, Double)
    public let count: Int

    private init(slots: (Int32, Int32, Int32, Int32), losses: (Double, Double, Double, Double), count: Int) {
        self.slots = slots
        self.losses = losses
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Entry {
        precondition(position >= 0 && position < count, "reason index out of range")
        return switch position {
        case 0: Entry(slot: Int(slots.0), pointsLost: losses.0)
        case 1: Entry(slot: Int(slots.1), pointsLost: losses.1)
        case 2: Entry(slot: Int(slots.2), pointsLost: losses.2)
        default: Entry(slot: Int(slots.3), pointsLost: losses.3)
        }
    }

    public static func == (lhs: ReasonList, rhs: ReasonList) -> Bool { lhs.elementsEqual(rhs) }
}
