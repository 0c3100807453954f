import BrokerCore
import PropertyBased
import Testing
@testable import Scoring

@Suite struct FeatureBinnerTests {
    /// Bad rate falls with x, but noisily: every tenth value of a band flips.
    static func noisyDecreasing(count: Int) -> (values: [Double?], isBad: [Bool]) {
        var random = SplitMix64(seed: 7)
        var values: [Double?] = [], isBad: [Bool] = []
        for _ in 0..<count {
            let x = Double.random(in: 0..<100, using: &random)
            let badRate = 0.4 - 0.003 * x + (Int(x) % 10 == 3 ? 0.25 : 0)
            values.append(Double.random(in: 0..<1, using: &random) < 0.05 ? nil : (x * 10).rounded() / 10)
            isBad.append(Double.random(in: 0..<1, using: &random) < badRate)
        }
        return (values, isBad)
    }

    @Test(arguments: BinningMethod.allCases)
    func monotonicBinsHaveMonotonicWOE(method: BinningMethod) {
        let data = Self.noisyDecreasing(count: 5000)
        let binner = FeatureBinner(method: method, maxBins: 10, minBinShare: 0.05, monotonicity: .on, smoothing: 0.5)
        let binned = binner.bin("x", .numeric(data.values), isBad: data.isBad)
        let woe = Array(binned.table.woe.dropLast())
        #expect(woe.count >= 2)
        #expect(OrderedBinner.isMonotonic(woe, increasing: true), "\(woe)")
        if method == .tree {
            let shares = binned.table.counts.dropLast().map { Double($0.total) / Double(data.values.count(where: { $0 != nil })) }
            #expect(shares.allSatisfy { $0 >= 0.05 }, "\(shares)")
        }
    }

    @Test func theMissingBinCountsTheMissingRows() {
        let data = Self.noisyDecreasing(count: 2000)
        let binned = FeatureBinner(method: .quantile).bin("x", .numeric(data.values), isBad: data.isBad)
        #expect(binned.table.counts.last?.total == data.values.count(where: { $0 == nil }))
        #expect(binned.table.counts.reduce(0) { $0 + $1.total } == data.values.count)
    }

    /// Each row's bin is the one whose range holds its value; missing rows use the last bin.
    @Test(arguments: BinningMethod.allCases)
    func everyValueLandsInExactlyOneBin(method: BinningMethod) async {
        await propertyCheck(input: Gen.int(in: 0...30).array(of: 20...200)) { ints in
            let values: [Double?] = ints.map { $0 == 0 ? nil : Double($0) }
            let isBad = ints.map { $0 % 3 == 0 }
            let binned = FeatureBinner(method: method, maxBins: 5, minBinShare: 0.1).bin("x", .numeric(values), isBad: isBad)
            guard case let .numeric(cuts) = binned.bins else { Issue.record("not numeric"); return }
            #expect(cuts == cuts.sorted() && Set(cuts).count == cuts.count)
            let bounds = [-Double.infinity] + cuts + [.infinity]
            for (value, bin) in zip(values, binned.assignment) {
                guard let value else { #expect(bin == cuts.count + 1); continue }
                let holders = (0..<bounds.count - 1).filter { bounds[$0] <= value && value < bounds[$0 + 1] }
                #expect(holders == [bin])
            }
        }
    }

    @Test func categoriesGroupByRiskAndRareOnesPool() {
        var values: [String?] = [], isBad: [Bool] = []
        for (category, rows, bads) in [("A", 400, 8), ("B", 400, 40), ("C", 400, 120), ("r1", 10, 2), ("r2", 10, 3)] {
            values += Array(repeating: category, count: rows)
            isBad += Array(repeating: true, count: bads) + Array(repeating: false, count: rows - bads)
        }
        values += Array(repeating: nil, count: 30)
        isBad += Array(repeating: false, count: 30)
        let binned = FeatureBinner(method: .quantile, minBinShare: 0.05).bin("c", .categorical(values), isBad: isBad)
        // Worst first: C (30 %), the pooled rare values (25 %), B (10 %), A (2 %).
        #expect(binned.bins == .categorical(groups: [["C"], ["r1", "r2"], ["B"], ["A"]]))
        #expect(binned.table.counts.last == BinCounts(good: 30, bad: 0))
    }

    /// A category of 3 % of the rows whose bad rate (15 %) differs from its neighbour's (10 %) by
    /// less than 1.96 standard errors joins that neighbour under a 5 % least share and keeps its
    /// own group under 2 % (the search's two candidates).
    @Test func theLeastShareDecidesWhetherASmallCategoryKeepsItsGroup() {
        var values: [String?] = [], isBad: [Bool] = []
        for (category, rows, bads) in [("A", 1500, 30), ("B", 1410, 141), ("C", 90, 14)] {
            values += Array(repeating: category, count: rows)
            isBad += Array(repeating: true, count: bads) + Array(repeating: false, count: rows - bads)
        }
        let coarse = FeatureBinner(method: .tree, minBinShare: 0.05).bin("c", .categorical(values), isBad: isBad)
        let fine = FeatureBinner(method: .tree, minBinShare: 0.02).bin("c", .categorical(values), isBad: isBad)
        #expect(coarse.bins == .categorical(groups: [["B", "C"], ["A"]]))
        #expect(fine.bins == .categorical(groups: [["C"], ["B"], ["A"]]))
    }

    /// Bad rate by band of x: the same (10 %) in the first three bands, then 30 %. Quantile bins
    /// cut every band apart; merging bins within noise leaves the two real levels.
    @Test func binsWhoseWOEDiffersByLessThanNoiseMerge() {
        var values: [Double?] = [], isBad: [Bool] = []
        for band in 0..<4 {
            for row in 0..<1000 {
                values.append(Double(band) + Double(row) / 1000)
                isBad.append(row % 10 < (band == 3 ? 3 : 1))
            }
        }
        let apart = FeatureBinner(method: .quantile, maxBins: 4).bin("x", .numeric(values), isBad: isBad)
        #expect(apart.bins == .numeric(cuts: [1, 2, 3]))
        let merged = FeatureBinner(method: .quantile, maxBins: 4, noiseZ: 1).bin("x", .numeric(values), isBad: isBad)
        #expect(merged.bins == .numeric(cuts: [3]))
        // Categories: "a", "b", "c" equally risky, "d" riskier: merged into two groups by WOE.
        let categories = values.map { value in value.map { ["a", "b", "c", "d"][Int($0)] } }
        let groups = FeatureBinner(method: .quantile, noiseZ: 1).bin("c", .categorical(categories), isBad: isBad)
        #expect(groups.bins == .categorical(groups: [["d"], ["a", "b", "c"]]))
    }

    /// With `auto`, a noisy falling trend gets monotonic bins, and a U-shape (risk high at both
    /// ends) keeps its free bins, which fit it significantly better.
    @Test func autoMonotonicityFollowsTheTrend() {
        let noisy = Self.noisyDecreasing(count: 5000)
        let falling = FeatureBinner(method: .tree, maxBins: 10, monotonicity: .auto).bin("x", .numeric(noisy.values), isBad: noisy.isBad)
        #expect(falling.increasing == true)
        #expect(OrderedBinner.isMonotonic(Array(falling.table.woe.dropLast()), increasing: true))
        var values: [Double?] = [], isBad: [Bool] = []
        var random = SplitMix64(seed: 3)
        for _ in 0..<5000 {
            let x = Double.random(in: -1..<1, using: &random)
            values.append(x)
            isBad.append(Double.random(in: 0..<1, using: &random) < 0.05 + 0.4 * x * x)
        }
        let shaped = FeatureBinner(method: .tree, maxBins: 6, monotonicity: .auto).bin("u", .numeric(values), isBad: isBad)
        #expect(shaped.increasing == nil)
        let woe = Array(shaped.table.woe.dropLast())
        #expect(!OrderedBinner.isMonotonic(woe, increasing: true) && !OrderedBinner.isMonotonic(woe, increasing: false), "\(woe)")
    }

    /// x uniform on [−1, 1), bad rate `0.05 + 0.4·x²`: high at both ends, lowest in the middle.
    static func uShaped(count: Int, seed: UInt64 = 3) -> (values: [Double?], isBad: [Bool]) {
        var values: [Double?] = [], isBad: [Bool] = []
        var random = SplitMix64(seed: seed)
        for _ in 0..<count {
            let x = Double.random(in: -1..<1, using: &random)
            values.append(x)
            isBad.append(Double.random(in: 0..<1, using: &random) < 0.05 + 0.4 * x * x)
        }
        return (values, isBad)
    }

    /// Whether `woe` rises then falls (a valley of the bad rate), each part possibly empty.
    static func risesThenFalls(_ woe: [Double]) -> Bool {
        guard let top = woe.indices.max(by: { woe[$0] < woe[$1] }) else { return true }
        return OrderedBinner.isMonotonic(Array(woe[...top]), increasing: true) && OrderedBinner.isMonotonic(Array(woe[top...]), increasing: false)
    }

    /// With `peak-valley`, a U-shaped bad rate gets bins whose WOE rises then falls (a valley of
    /// the bad rate), with the turn in the middle and every bin at least the least share; with
    /// `on` the same rows get monotonic bins, which miss one side of the U.
    @Test(arguments: BinningMethod.allCases)
    func aUShapedBadRateGetsAValley(method: BinningMethod) {
        let data = Self.uShaped(count: 5000)
        let binner = FeatureBinner(method: method, maxBins: 8, minBinShare: 0.05, monotonicity: .peakValley)
        let valley = binner.bin("u", .numeric(data.values), isBad: data.isBad)
        let woe = Array(valley.table.woe.dropLast())
        #expect(valley.trend == .valley)
        #expect(valley.increasing == nil)
        #expect(woe.count >= 4, "\(woe)")
        #expect(Self.risesThenFalls(woe), "\(woe)")
        #expect(!OrderedBinner.isMonotonic(woe, increasing: true) && !OrderedBinner.isMonotonic(woe, increasing: false), "\(woe)")
        // The best bin (highest WOE) holds x near 0.
        guard case let .numeric(cuts) = valley.bins, let top = woe.indices.max(by: { woe[$0] < woe[$1] }) else {
            Issue.record("not numeric"); return
        }
        let lower = top == 0 ? -1 : cuts[top - 1], upper = top == cuts.count ? 1 : cuts[top]
        #expect(lower < 0.05 && upper > -0.05, "best bin [\(lower), \(upper))")
        let shares = valley.table.counts.dropLast().map { Double($0.total) / Double(data.values.count) }
        #expect(shares.allSatisfy { $0 >= 0.05 }, "\(shares)")
        // Held monotonic, the same rows lose most of the U's information.
        var monotonic = binner
        monotonic.monotonicity = .on
        let held = monotonic.bin("u", .numeric(data.values), isBad: data.isBad)
        #expect(held.trend != nil && held.trend != .valley)
        #expect(valley.informationValue > 2 * held.informationValue, "\(valley.informationValue) vs \(held.informationValue)")
    }

    /// The mirror image: a bad rate highest in the middle gets a peak.
    @Test func anInvertedUGetsAPeak() {
        let data = Self.uShaped(count: 5000)
        let isBad = data.isBad.map { !$0 }
        let peak = FeatureBinner(method: .tree, maxBins: 6, monotonicity: .peakValley).bin("u", .numeric(data.values), isBad: isBad)
        #expect(peak.trend == .peak)
        #expect(Self.risesThenFalls(Array(peak.table.woe.dropLast()).map { -$0 }), "\(peak.table.woe)")
    }

    /// With `peak-valley`, monotonic bad rates keep monotonic bins: a clean falling one and the
    /// noisy one above (whose every tenth band is riskier), each the same bins as `on` gives.
    @Test(arguments: BinningMethod.allCases)
    func aMonotonicBadRateStaysMonotonic(method: BinningMethod) {
        var random = SplitMix64(seed: 11)
        var clean: (values: [Double?], isBad: [Bool]) = ([], [])
        for _ in 0..<5000 {
            let x = Double.random(in: 0..<100, using: &random)
            clean.values.append(x)
            clean.isBad.append(Double.random(in: 0..<1, using: &random) < 0.4 - 0.003 * x)
        }
        for data in [clean, Self.noisyDecreasing(count: 5000)] {
            let binner = FeatureBinner(method: method, maxBins: 8, minBinShare: 0.05, monotonicity: .peakValley)
            let binned = binner.bin("x", .numeric(data.values), isBad: data.isBad)
            #expect(binned.trend == .up)
            #expect(binned.increasing == true)
            #expect(OrderedBinner.isMonotonic(Array(binned.table.woe.dropLast()), increasing: true), "\(binned.table.woe)")
            var monotonic = binner
            monotonic.monotonicity = .on
            #expect(binned.bins == monotonic.bin("x", .numeric(data.values), isBad: data.isBad).bins)
        }
    }

    /// A narrow dip of the bad rate (3 % of the rows, 2 % bad against 20–30 % falling with x)
    /// under least shares of 5 % and 10 %: a valley whose bins each keep the least share (the dip
    /// shares its bin), with and without noise merging, turning once at most.
    @Test(arguments: [0.05, 0.1])
    func theValleyKeepsTheLeastBinShare(share: Double) {
        var random = SplitMix64(seed: 5)
        var values: [Double?] = [], isBad: [Bool] = []
        for _ in 0..<6000 {
            let x = Double.random(in: 0..<1, using: &random)
            values.append(x)
            isBad.append(Double.random(in: 0..<1, using: &random) < ((0.40..<0.43).contains(x) ? 0.02 : 0.3 - 0.1 * x))
        }
        for noiseZ in [0.0, 1.0] {
            let binned = FeatureBinner(method: .tree, maxBins: 8, minBinShare: share, monotonicity: .peakValley, noiseZ: noiseZ)
                .bin("x", .numeric(values), isBad: isBad)
            let counts = binned.table.counts.dropLast()
            let shares = counts.map { Double($0.total) / Double(values.count) }
            #expect(shares.allSatisfy { $0 >= share }, "\(shares)")
            let woe = Array(binned.table.woe.dropLast())
            #expect(binned.trend == .valley, "\(String(describing: binned.trend)) \(binned.bins)")
            #expect(Self.risesThenFalls(woe) || Self.risesThenFalls(woe.map { -$0 }), "\(woe)")
        }
    }
}
