/// Cuts training columns into bins (see ``BinningMethod``), with a missing bin of their own.
public struct FeatureBinner: Sendable {
    public var method: BinningMethod
    /// Most bins of present values.
    public var maxBins: Int
    /// Least share of present rows in a numeric bin (tree method and monotonic merging), and the
    /// share below which categories are pooled into one group.
    public var minBinShare: Double
    /// Whether numeric bins must have monotonic WOE.
    public var monotonic: Bool
    public var smoothing: Double
    /// Distinct values are first pooled into at most this many equal-frequency atoms for the tree.
    public var treeAtoms = 100

    public init(method: BinningMethod = .tree, maxBins: Int = 8, minBinShare: Double = 0.05,
                monotonic: Bool = false, smoothing: Double = WOETable.defaultSmoothing) {
        self.method = method
        self.maxBins = maxBins
        self.minBinShare = minBinShare
        self.monotonic = monotonic
        self.smoothing = smoothing
    }

    private func binner(monotonic: Bool, minBinShare: Double) -> OrderedBinner {
        OrderedBinner(method: method, maxBins: maxBins, minBinShare: minBinShare, monotonic: monotonic, smoothing: smoothing)
    }

    /// Bins `column` against `isBad` (one label per row).
    public func bin(_ name: String, _ column: DataColumn, isBad: [Bool]) -> BinnedFeature {
        switch column {
        case let .numeric(values): binNumeric(name, values, isBad)
        case let .categorical(values): binCategorical(name, values, isBad)
        }
    }

    private func binNumeric(_ name: String, _ values: [Double?], _ isBad: [Bool]) -> BinnedFeature {
        var present: [(value: Double, bad: Bool)] = []
        present.reserveCapacity(values.count)
        for (value, bad) in zip(values, isBad) { if let value { present.append((value, bad)) } }
        present.sort { $0.value < $1.value }
        var distinct: [Double] = []
        var atoms: [BinCounts] = []
        for row in present {
            if distinct.last != row.value {
                distinct.append(row.value)
                atoms.append(BinCounts())
            }
            atoms[atoms.count - 1].count(isBad: row.bad)
        }
        // Pool distinct values into equal-frequency atoms so that the tree's search stays small.
        var atomStarts = Array(distinct.indices)
        if method == .tree, atoms.count > treeAtoms {
            let pooled = OrderedBinner(method: .quantile, maxBins: treeAtoms, minBinShare: 0, monotonic: false, smoothing: smoothing)
                .bins(atoms)
            atomStarts = pooled.map(\.lowerBound)
            atoms = pooled.map { atoms[$0].reduce(BinCounts(), +) }
        }
        let cuts = binner(monotonic: monotonic, minBinShare: minBinShare).bins(atoms).dropFirst().map { distinct[atomStarts[$0.lowerBound]] }
        let assignment = values.map { value -> Int in
            guard let value else { return cuts.count + 1 }
            var low = 0, high = cuts.count
            while low < high {
                let middle = (low + high) / 2
                if cuts[middle] <= value { low = middle + 1 } else { high = middle }
            }
            return low
        }
        return finish(name, .numeric(cuts: cuts), assignment, isBad)
    }

    private func binCategorical(_ name: String, _ values: [String?], _ isBad: [Bool]) -> BinnedFeature {
        var counts: [String: BinCounts] = [:]
        var present = 0
        for (value, bad) in zip(values, isBad) {
            guard let value else { continue }
            counts[value, default: BinCounts()].count(isBad: bad)
            present += 1
        }
        // Categories below the minimum share are pooled into one atom; atoms go in WOE order.
        let threshold = minBinShare * Double(present)
        var atoms: [(values: [String], counts: BinCounts)] = []
        var rare: (values: [String], counts: BinCounts) = ([], BinCounts())
        for (value, count) in counts.sorted(by: { $0.key < $1.key }) {
            if Double(count.total) < threshold {
                rare.values.append(value)
                rare.counts += count
            } else {
                atoms.append(([value], count))
            }
        }
        if !rare.values.isEmpty { atoms.append(rare) }
        let woe = WOETable(atoms.map(\.counts), smoothing: smoothing).woe
        atoms = zip(atoms, woe).sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.values[0] < $1.0.values[0]) }.map(\.0)
        // A category is a natural bin: quantile keeps every atom, and the tree may keep a small one
        // (such as a 3 % "yes") apart, merging atoms only to stay within the maximum bin count.
        let ranges = method == .quantile
            ? atoms.indices.map { $0..<$0 + 1 }
            : binner(monotonic: false, minBinShare: 0).bins(atoms.map(\.counts))
        let groups = ranges.map { range in atoms[range].flatMap(\.values).sorted() }
        var groupOf: [String: Int] = [:]
        for (index, group) in groups.enumerated() { for value in group { groupOf[value] = index } }
        let assignment = values.map { $0.flatMap { groupOf[$0] } ?? groups.count }
        return finish(name, .categorical(groups: groups), assignment, isBad)
    }

    private func finish(_ name: String, _ bins: BinnedFeature.Bins, _ assignment: [Int], _ isBad: [Bool]) -> BinnedFeature {
        var counts = Array(repeating: BinCounts(), count: bins.count + 1)
        for (bin, bad) in zip(assignment, isBad) { counts[bin].count(isBad: bad) }
        return BinnedFeature(name: name, bins: bins, table: WOETable(counts, smoothing: smoothing), assignment: assignment)
    }
}
