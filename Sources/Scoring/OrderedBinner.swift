import Foundation

/// Groups an ordered list of atoms (distinct numeric values, or categories sorted by WOE) into
/// contiguous bins, optionally makes the bins' WOE monotonic, and merges neighbours whose WOE
/// differ by less than noise.
struct OrderedBinner {
    var method: BinningMethod
    var maxBins: Int
    /// Least share of the atoms' rows a bin may hold (tree method and monotonic merging).
    var minBinShare: Double
    var monotonicity: Monotonicity
    /// Neighbouring bins whose WOE differ by fewer standard errors than this are merged (0: never).
    var noiseZ: Double = 0
    var smoothing: Double

    /// The outcome of binning: the ranges, and the shape their WOE was held to.
    struct Outcome {
        var bins: [Range<Int>]
        /// `nil` when the bins are not held to a shape, else the shape of their WOE.
        var trend: WOETrend?
    }

    /// Contiguous ranges of `atoms` covering them all, in order.
    func bins(_ atoms: [BinCounts]) -> [Range<Int>] { binning(atoms).bins }

    func binning(_ atoms: [BinCounts]) -> Outcome {
        guard atoms.count > 1 else { return Outcome(bins: [0..<atoms.count], trend: nil) }
        let increasing = trendIsIncreasing(atoms)
        let monotonicTrend: WOETrend = increasing ? .up : .down
        func monotonic() -> [Range<Int>] {
            var bins = cut(atoms, monotonic: true)
            bins = mergeUntilMonotonic(bins, atoms: atoms, increasing: increasing)
            return bins
        }
        var outcome: Outcome
        switch monotonicity {
        case .off: outcome = Outcome(bins: cut(atoms, monotonic: false), trend: nil)
        case .on: outcome = Outcome(bins: monotonic(), trend: monotonicTrend)
        case .auto:
            let held = monotonic()
            let free = cut(atoms, monotonic: false)
            outcome = Self.significantlyBetter(free, than: held, atoms: atoms)
                ? Outcome(bins: free, trend: nil) : Outcome(bins: held, trend: monotonicTrend)
        case .peakValley:
            let held = monotonic()
            if let turned = turnedBins(atoms),
               Self.significantlyBetter(turned.bins, than: held, atoms: atoms, z: Self.turnZ, minimumDegrees: 1) {
                outcome = Outcome(bins: turned.bins, trend: turned.trend)
            } else {
                outcome = Outcome(bins: held, trend: monotonicTrend)
            }
        }
        // Merging two neighbours gives a WOE between theirs, so monotonic bins stay monotonic and
        // bins with one turn keep one turn at most.
        if noiseZ > 0 { outcome.bins = mergeNoise(outcome.bins, atoms: atoms) }
        if outcome.trend == .valley || outcome.trend == .peak { outcome.trend = shape(of: outcome.bins, atoms: atoms) }
        return outcome
    }

    /// The upper 5 % point of the standard normal: the level of the test that keeps a turn.
    static let turnZ = 1.645

    /// The shape of `bins`' WOE: monotonic (either way; `up` when flat), or one turn.
    private func shape(of bins: [Range<Int>], atoms: [BinCounts]) -> WOETrend? {
        let woe = WOETable(bins.map { atoms[$0].reduce(BinCounts(), +) }, smoothing: smoothing).woe
        if Self.isMonotonic(woe, increasing: true) { return .up }
        if Self.isMonotonic(woe, increasing: false) { return .down }
        guard let top = woe.indices.max(by: { woe[$0] < woe[$1] }), let bottom = woe.indices.min(by: { woe[$0] < woe[$1] }) else { return nil }
        if Self.isMonotonic(Array(woe[...top]), increasing: true), Self.isMonotonic(Array(woe[top...]), increasing: false) { return .valley }
        if Self.isMonotonic(Array(woe[...bottom]), increasing: false), Self.isMonotonic(Array(woe[bottom...]), increasing: true) { return .peak }
        return nil
    }

    /// The bins with one turn of highest information value: for every turning point (an atom
    /// boundary with the least bin share on either side; on at most 24 such points, evenly spread by
    /// rows, for the tree; between quantile bins for the quantile method) and both shapes, the
    /// method's bins with each side monotonic its own way, merged like monotonic bins.
    private func turnedBins(_ atoms: [BinCounts]) -> (bins: [Range<Int>], trend: WOETrend)? {
        let rows = atoms.reduce(0) { $0 + $1.total }
        let minimumRows = max(1, Int((minBinShare * Double(rows)).rounded(.up)))
        let points: [Int]
        switch method {
        case .quantile:
            points = quantileBins(atoms).dropFirst().map(\.lowerBound)
        case .tree:
            var before = 0
            var eligible: [(point: Int, before: Int)] = []
            for point in 1..<atoms.count {
                before += atoms[point - 1].total
                if before >= minimumRows, rows - before >= minimumRows { eligible.append((point, before)) }
            }
            let most = 24
            if eligible.count <= most {
                points = eligible.map(\.point)
            } else {
                // The eligible point nearest each of `most` evenly spaced row counts.
                var chosen: [Int] = []
                var next = 0
                for step in 0..<most {
                    let target = eligible[0].before + (eligible.last!.before - eligible[0].before) * step / (most - 1)
                    while next + 1 < eligible.count, eligible[next + 1].before <= target { next += 1 }
                    if chosen.last != eligible[next].point { chosen.append(eligible[next].point) }
                }
                points = chosen
            }
        }
        let quantiles = method == .quantile ? quantileBins(atoms) : []
        var best: (bins: [Range<Int>], trend: WOETrend, iv: Double)?
        for point in points {
            for risingFirst in [true, false] {
                let cut: [Range<Int>] = switch method {
                case .quantile: quantiles
                case .tree: treeBins(atoms, turn: (point, risingFirst))
                }
                var turn = point
                let bins = mergeUntilMonotonic(cut, atoms: atoms, increasing: risingFirst, turn: &turn)
                let iv = WOETable(bins.map { atoms[$0].reduce(BinCounts(), +) }, smoothing: smoothing).informationValue
                if iv > (best?.iv ?? -.infinity) + 1e-12 { best = (bins, risingFirst ? .valley : .peak, iv) }
            }
        }
        return best.map { ($0.bins, $0.trend) }
    }

    private func cut(_ atoms: [BinCounts], monotonic: Bool) -> [Range<Int>] {
        switch method {
        case .quantile: quantileBins(atoms)
        case .tree: treeBins(atoms, monotonic: monotonic)
        }
    }

    /// Whether `free` bins fit the rows significantly better than `held` (fewer) bins: the
    /// likelihood-ratio statistic `2·(LL_free − LL_held)` above the 99th percentile of χ² with
    /// the difference in bins as degrees of freedom (Wilson–Hilferty).
    /// With `minimumDegrees` (for bins with a turn against monotonic ones, whose shape is itself a
    /// choice), at least that many degrees of freedom, even with no more bins; `z` is the normal
    /// quantile of the level (2.326: 1 %).
    static func significantlyBetter(_ free: [Range<Int>], than held: [Range<Int>], atoms: [BinCounts], z: Double = 2.326,
                                    minimumDegrees: Int = 0) -> Bool {
        guard free.count > held.count || minimumDegrees > 0 else { return false }
        func logLikelihood(_ bins: [Range<Int>]) -> Double {
            bins.reduce(0) { sum, range in
                let counts = atoms[range].reduce(BinCounts(), +)
                let n = Double(counts.total)
                func term(_ k: Int) -> Double { k == 0 ? 0 : Double(k) * log(Double(k) / n) }
                return sum + term(counts.good) + term(counts.bad)
            }
        }
        let statistic = 2 * (logLikelihood(free) - logLikelihood(held))
        let df = Double(max(free.count - held.count, minimumDegrees))
        let critical = df * pow(1 - 2 / (9 * df) + z * (2 / (9 * df)).squareRoot(), 3)
        return statistic > critical
    }

    /// Merges the neighbours whose WOE differ by the fewest standard errors, while that is below
    /// ``noiseZ``.
    func mergeNoise(_ start: [Range<Int>], atoms: [BinCounts]) -> [Range<Int>] {
        var bins = start
        while bins.count > 1 {
            let counts = bins.map { atoms[$0].reduce(BinCounts(), +) }
            let weakest = (0..<bins.count - 1).map { ($0, zScore(counts[$0], counts[$0 + 1])) }.min { $0.1 < $1.1 }!
            guard weakest.1 < noiseZ else { break }
            bins.replaceSubrange(weakest.0...weakest.0 + 1, with: [bins[weakest.0].lowerBound..<bins[weakest.0 + 1].upperBound])
        }
        return bins
    }

    /// Merges each bin holding less than `minimumShare` of the rows into the neighbour nearer in
    /// WOE, unless it differs from both neighbours significantly (|z| ≥ 1.96); smallest first.
    func mergeSmall(_ start: [Range<Int>], atoms: [BinCounts], minimumShare: Double) -> [Range<Int>] {
        var bins = start
        let total = Double(atoms.reduce(0) { $0 + $1.total })
        while bins.count > 1 {
            let counts = bins.map { atoms[$0].reduce(BinCounts(), +) }
            let merges = bins.indices.compactMap { index -> (small: Int, with: Int, rows: Int)? in
                guard Double(counts[index].total) < minimumShare * total else { return nil }
                let neighbours = [index - 1, index + 1].filter { bins.indices.contains($0) }
                    .map { ($0, zScore(counts[index], counts[$0])) }.filter { $0.1 < 1.96 }
                return neighbours.min { $0.1 < $1.1 }.map { (index, $0.0, counts[index].total) }
            }
            guard let merge = merges.min(by: { $0.rows < $1.rows }) else { break }
            let low = min(merge.small, merge.with)
            bins.replaceSubrange(low...low + 1, with: [bins[low].lowerBound..<bins[low + 1].upperBound])
        }
        return bins
    }

    /// How many standard errors apart the WOE of two bins are: the standard error of a WOE
    /// difference is `√(Σ 1/(good+α) + 1/(bad+α))` over the two bins.
    private func zScore(_ a: BinCounts, _ b: BinCounts) -> Double {
        func variance(_ c: BinCounts) -> Double { 1 / (Double(c.good) + smoothing) + 1 / (Double(c.bad) + smoothing) }
        let woeA = log((Double(a.good) + smoothing) / (Double(a.bad) + smoothing))
        let woeB = log((Double(b.good) + smoothing) / (Double(b.bad) + smoothing))
        return abs(woeA - woeB) / (variance(a) + variance(b)).squareRoot()
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
    /// A candidate's IV is the others' terms (with the smoothing of one bin more) plus its two
    /// halves', and its monotonicity is checked against its neighbours only: the bins it splits
    /// from were monotonic already, and the smoothing shifts every bin's WOE alike.
    ///
    /// With a `turn`, the bins are first cut at its atom `point`, and WOE is held monotonic on
    /// either side of it: rising then falling when `risingFirst`, else falling then rising.
    private func treeBins(_ atoms: [BinCounts], monotonic: Bool = false, turn: (point: Int, risingFirst: Bool)? = nil) -> [Range<Int>] {
        let prefix = atoms.reduce(into: [BinCounts()]) { $0.append($0.last! + $1) }
        let total = prefix.last!
        let minimumRows = max(1, Int((minBinShare * Double(total.total)).rounded(.up)))
        let increasing = turn == nil && monotonic ? trendIsIncreasing(atoms) : true
        func counts(_ range: Range<Int>) -> BinCounts {
            BinCounts(good: prefix[range.upperBound].good - prefix[range.lowerBound].good,
                      bad: prefix[range.upperBound].bad - prefix[range.lowerBound].bad)
        }
        var bins = [0..<atoms.count]
        var currentIV = 0.0
        if let turn, turn.point > 0, turn.point < atoms.count {
            bins = [0..<turn.point, turn.point..<atoms.count]
        }
        while bins.count < maxBins {
            let used = Double(bins.count + 1)
            let goods = Double(total.good) + used * smoothing, bads = Double(total.bad) + used * smoothing
            func term(_ bin: BinCounts) -> (iv: Double, woe: Double) {
                let pGood = (Double(bin.good) + smoothing) / goods, pBad = (Double(bin.bad) + smoothing) / bads
                let woe = log(pGood / pBad)
                return ((pGood - pBad) * woe, woe)
            }
            let terms = bins.map { term(counts($0)) }
            let sum = terms.reduce(0) { $0 + $1.iv }
            if bins.count == 2, turn != nil, currentIV == 0 { currentIV = sum }
            var best: (iv: Double, index: Int, cut: Int)?
            for (index, bin) in bins.enumerated() where bin.count > 1 {
                for cut in bin.lowerBound + 1 ..< bin.upperBound {
                    let left = counts(bin.lowerBound..<cut), right = counts(cut..<bin.upperBound)
                    guard left.total >= minimumRows, right.total >= minimumRows else { continue }
                    let l = term(left), r = term(right)
                    if let turn {
                        // The neighbours on the same side of the turn, and that side's direction.
                        let leftSide = bin.upperBound <= turn.point
                        func sameSide(_ other: Int) -> Bool { (bins[other].upperBound <= turn.point) == leftSide }
                        var sequence = [l.woe, r.woe]
                        if index > 0, sameSide(index - 1) { sequence.insert(terms[index - 1].woe, at: 0) }
                        if index + 1 < bins.count, sameSide(index + 1) { sequence.append(terms[index + 1].woe) }
                        guard Self.isMonotonic(sequence, increasing: leftSide == turn.risingFirst) else { continue }
                    } else if monotonic {
                        var sequence = [l.woe, r.woe]
                        if index > 0 { sequence.insert(terms[index - 1].woe, at: 0) }
                        if index + 1 < bins.count { sequence.append(terms[index + 1].woe) }
                        guard Self.isMonotonic(sequence, increasing: increasing) else { continue }
                    }
                    let iv = sum - terms[index].iv + l.iv + r.iv
                    if iv > (best?.iv ?? currentIV + 1e-6) { best = (iv, index, cut) }
                }
            }
            guard let best else { break }
            let bin = bins[best.index]
            bins.replaceSubrange(best.index...best.index, with: [bin.lowerBound..<best.cut, best.cut..<bin.upperBound])
            currentIV = best.iv
        }
        return bins
    }

    /// Merges adjacent bins until WOE runs in the given direction and every bin holds the
    /// minimum share: each step merges the violating pair whose WOEs are closest.
    private func mergeUntilMonotonic(_ start: [Range<Int>], atoms: [BinCounts], increasing: Bool) -> [Range<Int>] {
        var turn = atoms.count
        return mergeUntilMonotonic(start, atoms: atoms, increasing: increasing, turn: &turn)
    }

    /// The same, with WOE running in the given direction up to the atom `turn` (a bin boundary)
    /// and the other way after it; the two bins that meet there may be in either order. When they
    /// merge (one too small), the turn moves to the merged bin's end.
    private func mergeUntilMonotonic(_ start: [Range<Int>], atoms: [BinCounts], increasing: Bool, turn: inout Int) -> [Range<Int>] {
        var bins = start
        let total = atoms.reduce(0) { $0 + $1.total }
        func counts(_ range: Range<Int>) -> BinCounts { atoms[range].reduce(BinCounts(), +) }
        while bins.count > 1 {
            let binCounts = bins.map(counts)
            let woe = WOETable(binCounts, smoothing: smoothing).woe
            var merge: (index: Int, gap: Double)?
            for index in 0..<bins.count - 1 {
                let meeting = bins[index].upperBound == turn
                let rising = bins[index + 1].upperBound <= turn ? increasing : !increasing
                let ordered = meeting || (rising ? woe[index] <= woe[index + 1] : woe[index] >= woe[index + 1])
                let small = Double(min(binCounts[index].total, binCounts[index + 1].total)) < minBinShare * Double(total)
                guard !ordered || small else { continue }
                let gap = abs(woe[index] - woe[index + 1])
                if gap < (merge?.gap ?? .infinity) { merge = (index, gap) }
            }
            guard let merge else { break }
            let merged = bins[merge.index].lowerBound..<bins[merge.index + 1].upperBound
            if merged.lowerBound < turn, turn < merged.upperBound { turn = merged.upperBound }
            bins.replaceSubrange(merge.index...merge.index + 1, with: [merged])
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
