/// A training column cut into bins, with WOE and IV; the missing bin comes last.
public struct BinnedFeature: Sendable {
    public enum Bins: Sendable, Equatable {
        /// Interior cut points: bin `i` is `[cuts[i-1], cuts[i])`, open at both ends.
        case numeric(cuts: [Double])
        /// The values of each group.
        case categorical(groups: [[String]])

        var count: Int {
            switch self {
            case let .numeric(cuts): cuts.count + 1
            case let .categorical(groups): groups.count
            }
        }
    }

    public let name: String
    public let bins: Bins
    /// Counts, WOE and IV of the bins followed by the missing bin.
    public let table: WOETable
    /// Each row's bin; `bins.count` is the missing bin.
    let assignment: [Int]
    /// `nil` when the numeric bins were not held to a shape, else the shape of their WOE.
    public var trend: WOETrend? = nil

    /// `nil` unless the numeric bins were held monotonic, else whether WOE rises with the value.
    public var increasing: Bool? { trend?.increasing }

    public var informationValue: Double { table.informationValue }

    /// WOE of the missing bin (0 when no training row was missing).
    public var missingWOE: Double { table.woe[bins.count] }

    /// The bin of each value of `column` (as the card places it); a category never seen in
    /// training gets `nil`, which scores as the average subject (WOE 0).
    func bins(of column: DataColumn) -> [Int?] {
        switch (bins, column) {
        case let (.numeric(cuts), .numeric(values)):
            return values.map { Self.bin(of: $0, cuts: cuts) }
        case let (.categorical(groups), .categorical(values)):
            var groupOf: [String: Int] = [:]
            for (index, group) in groups.enumerated() { for value in group { groupOf[value] = index } }
            return values.map { value in value.map { groupOf[$0] } ?? groups.count }
        default:
            preconditionFailure("a column is typed once for every fold")
        }
    }

    /// The numeric bin of `value` (`cuts.count + 1` when missing): the number of cuts at or below it.
    static func bin(of value: Double?, cuts: [Double]) -> Int {
        guard let value else { return cuts.count + 1 }
        var low = 0, high = cuts.count
        while low < high {
            let middle = (low + high) / 2
            if cuts[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The WOE of each value of `column` (0 for a category unseen in training).
    func woe(of column: DataColumn) -> [Double] {
        bins(of: column).map { $0.map { table.woe[$0] } ?? 0 }
    }
}
