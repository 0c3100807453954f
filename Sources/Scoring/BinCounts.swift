/// Goods and bads in one bin.
public struct BinCounts: Sendable, Hashable {
    public var good: Int
    public var bad: Int

    public init(good: Int = 0, bad: Int = 0) {
        self.good = good
        self.bad = bad
    }

    public var total: Int { good + bad }

    public static func + (lhs: BinCounts, rhs: BinCounts) -> BinCounts {
        BinCounts(good: lhs.good + rhs.good, bad: lhs.bad + rhs.bad)
    }

    public static func += (lhs: inout BinCounts, rhs: BinCounts) { lhs = lhs + rhs }

    /// Adds one row.
    mutating func count(isBad: Bool) {
        if isBad { bad += 1 } else { good += 1 }
    }
}
