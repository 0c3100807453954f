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

    public var informationValue: Double { table.informationValue }

    /// WOE of the missing bin (0 when no training row was missing).
    public var missingWOE: Double { table.woe[bins.count] }
}
