/// Groups an ordered list of atoms (distinct numeric values, or categories sorted by WOE) into
/// contiguous bins, and optionally makes the bins' WOE monotonic.
struct OrderedBinner {
    var method: BinningMethod
    var maxBins: Int
    /// Least share of the atoms' rows a bin may hold (tree method and monotonic merging).
    var minBinShare: Double
    var monotonic: Bool
    var smoothing: Double

    /// Contiguous ranges of `atoms` covering them all, in order.
    func bins(_ atoms: [BinCounts]) -> [Range<Int>] {
        guard atoms.count > 1 else { return [0..<atoms.count] }
        var bins = switch method {
        case .quantile: quantileBins(atoms)
        case .tree: treeBins(atoms)
        }
        if monotonic { bins = mergeUntilMonotonic(bins, atoms: atoms, increasing: trendIsIncreasing(atoms)) }
        return bins
    }

    /// Equal-frequency bins: a bin ends at the first atom where the running count reaches the next
    /// multiple of `total / maxBins`. Atoms are never split, so heavy atoms give fewer bins.
    private func quantileBins(_ atoms: [BinCounts]) -> [Range<Int>] {
        let total = Double(atoms.reduce(0) { $0 + $1.total })
        var bins: [Range<Int>] = []
        var start = 0
        var running = 0.0
        for (index, atom) in atoms.enumerated() {
            running += Double(atom.total)
            let target = total * Double(bins.count + 1) / Double(maxBins)
            if running >= target - 1e-9, index + 1 < atoms.count, bins.count + 1 < maxBins {
                bins.append(start..<index + 1)
                start = index + 1
            }
        }
        bins.append(start..<atoms.count)
        return bins
    }

    /// Greedy supervised splitting: repeatedly apply the split (over all bins) that most raises
    /// the information value, while bins keep the minimum share and, when asked, monotonic WOE.
    private func treeBins(_ atoms: [BinCounts]) -> [Range<Int>] {
        let prefix = atoms.reduce(into: [BinCounts()]) { $0.append($0.last! + $1) }
        let total = prefix.last!.total
        let minimumRows = max(1, Int((minBinShare * Double(total)).rounded(.up)))
        let increasing = trendIsIncreasing(atoms)
        func counts(_ range: Range<Int>) -> BinCounts {
            BinCounts(good: prefix[range.upperBound].good - prefix[range.lowerBound].good,
                      bad: prefix[range.upperBound].bad - prefix[range.lowerBound].bad)
        }
        var bins = [0..<atoms.count]
        var currentIV = 0.0
        while bins.count < maxBins {
            var best: (iv: Double, bins: [Range<Int>])?
            for (index, bin) in bins.enumerated() where bin.count > 1 {
                for cut in bin.lowerBound + 1 ..< bin.upperBound {
                    let left = bin.lowerBound..<cut, right = cut..<bin.upperBound
                    guard counts(left).total >= minimumRows, counts(right).total >= minimumRows else { continue }
                    var candidate = bins
                    candidate.replaceSubrange(index...index, with: [left, right])
                    let table = WOETable(candidate.map(counts), smoothing: smoothing)
                    if monotonic, !Self.isMonotonic(table.woe, increasing: increasing) { continue }
                    if table.informationValue > (best?.iv ?? currentIV + 1e-6) { best = (table.informationValue, candidate) }
                }
            }
            guard let best else { break }
            bins = best.bins
            currentIV = best.iv
        }
        return bins
    }

    /// Merges adjacent bins until WOE runs in the given direction and every bin holds the
    /// minimum share: each step merges the violating pair whose WOEs are closest.
    private func mergeUntilMonotonic(_ start: [Range<Int>], atoms: [BinCounts], increasing: Bool) -> [Range<Int>] {
        var bins = start
        let total = atoms.reduce(0) { $0 + $1.total }
        func counts(_ range: Range<Int>) -> BinCounts { atoms[range].reduce(BinCounts(), +) }
        while bins.count > 1 {
            let binCounts = bins.map(counts)
            let woe = WOETable(binCounts, smoothing: smoothing).woe
            var merge: (index: Int, gap: Double)?
            for index in 0..<bins.count - 1 {
                let ordered = increasing ? woe[index] <= woe[index + 1] : woe[index] >= woe[index + 1]
                let small = Double(min(binCounts[index].total, binCounts[index + 1].total)) < minBinShare * Double(total)
                guard !ordered || small else { continue }
                let gap = abs(woe[index] - woe[index + 1])
                if gap < (merge?.gap ?? .infinity) { merge = (index, gap) }
            }
            guard let merge else { break }
            bins.replaceSubrange(merge.index...merge.index + 1, with: [bins[merge.index].lowerBound..<bins[merge.index + 1].upperBound])
        }
        return bins
    }

    /// Whether WOE tends to rise along the atoms: the sign of the count-weighted covariance of
    /// atom position and atom WOE.
    private func trendIsIncreasing(_ atoms: [BinCounts]) -> Bool {
        let woe = WOETable(atoms, smoothing: smoothing).woe
        let weights = atoms.map { Double($0.total) }
        let weight = weights.reduce(0, +)
        let meanPosition = zip(weights, weights.indices).reduce(0) { $0 + $1.0 * Double($1.1) } / weight
        let meanWOE = zip(weights, woe).reduce(0) { $0 + $1.0 * $1.1 } / weight
        let covariance = weights.indices.reduce(0.0) { sum, i in
            sum + weights[i] * (Double(i) - meanPosition) * (woe[i] - meanWOE)
        }
        return covariance >= 0
    }

    static func isMonotonic(_ values: [Double], increasing: Bool) -> Bool {
        zip(values, values.dropFirst()).allSatisfy { increasing ? $0 <= $1 : $0 >= $1 }
    }
}
