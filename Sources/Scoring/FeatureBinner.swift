/// Cuts training columns into bins (see ``BinningMethod``), with a missing bin of their own.
public struct FeatureBinner: Sendable {
    public var method: BinningMethod
    /// Most bins of present values.
    public var maxBins: Int
    /// Least share of present rows in a numeric bin (tree method and monotonic merging), and the
    /// share below which categories are pooled into one group.
    public var minBinShare: Double
    /// Whether numeric bins must have monotonic WOE (or WOE with one turn, see ``Monotonicity/peakValley``).
    public var monotonicity: Monotonicity
    /// Neighbouring bins (numeric, or categories in WOE order) whose WOE differ by fewer standard
    /// errors than this are merged; 0 never merges.
    public var noiseZ: Double
    public var smoothing: Double
    /// Distinct values are first pooled into at most this many equal-frequency atoms for the tree.
    public var treeAtoms = 100

    public init(method: BinningMethod = .tree, maxBins: Int = 8, minBinShare: Double = 0.05,
                monotonicity: Monotonicity = .off, noiseZ: Double = 0, smoothing: Double = WOETable.defaultSmoothing) {
        self.method = method
        self.maxBins = maxBins
        self.minBinShare = minBinShare
        self.monotonicity = monotonicity
        self.noiseZ = noiseZ
        self.smoothing = smoothing
    }

    private func binner(monotonicity: Monotonicity, minBinShare: Double) -> OrderedBinner {
        OrderedBinner(method: method, maxBins: maxBins, minBinShare: minBinShare, monotonicity: monotonicity, noiseZ: noiseZ,
                      smoothing: smoothing)
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
            let pooled = OrderedBinner(method: .quantile, maxBins: treeAtoms, minBinShare: 0, monotonicity: .off, smoothing: smoothing)
                .bins(atoms)
            atomStarts = pooled.map(\.lowerBound)
            atoms = pooled.map { atoms[$0].reduce(BinCounts(), +) }
        }
        let outcome = binner(monotonicity: monotonicity, minBinShare: minBinShare).binning(atoms)
        let cuts = outcome.bins.dropFirst().map { distinct[atomStarts[$0.lowerBound]] }
        let assignment = values.map { BinnedFeature.bin(of: $0, cuts: cuts) }
        return finish(name, .numeric(cuts: cuts), assignment, isBad, trend: outcome.trend)
    }

    private func binCategorical(_ name: String, _ values: [String?], _ isBad: [Bool]) -> BinnedFeature {
        var counts: [String: BinCounts] = [:]
        var present = 0
        for (value, bad) in zip(values, isBad) {
            guard let value else { continue }
            counts[value, default: BinCounts()].count(isBad: bad)
            present += 1
        }
        // Quantile: categories below the minimum share are pooled into one atom. Tree: every
        // category is an atom. Atoms go in WOE order.
        let threshold = method == .quantile ? minBinShare * Double(present) : 0
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
        // A category is a natural bin: quantile keeps every atom; the tree merges atoms to stay
        // within the maximum bin count, then merges a group below the minimum share into its
        // nearer neighbour in WOE unless their WOE differ significantly (so a 3 % "yes" that
        // matters stays apart). Either way, neighbours whose WOE differ by less than noise merge.
        let binner = binner(monotonicity: .off, minBinShare: 0)
        let ranges = method == .quantile
            ? binner.mergeNoise(atoms.indices.map { $0..<$0 + 1 }, atoms: atoms.map(\.counts))
            : binner.mergeSmall(binner.bins(atoms.map(\.counts)), atoms: atoms.map(\.counts), minimumShare: minBinShare)
        let groups = ranges.map { range in atoms[range].flatMap(\.values).sorted() }
        var groupOf: [String: Int] = [:]
        for (index, group) in groups.enumerated() { for value in group { groupOf[value] = index } }
        let assignment = values.map { $0.flatMap { groupOf[$0] } ?? groups.count }
        return finish(name, .categorical(groups: groups), assignment, isBad, trend: nil)
    }

    private func finish(_ name: String, _ bins: BinnedFeature.Bins, _ assignment: [Int], _ isBad: [Bool], trend: WOETrend?) -> BinnedFeature {
        var counts = Array(repeating: BinCounts(), count: bins.count + 1)
        for (bin, bad) in zip(assignment, isBad) { counts[bin].count(isBad: bad) }
        return BinnedFeature(name: name, bins: bins, table: WOETable(counts, smoothing: smoothing), assignment: assignment,
                             trend: trend)
    }
}
