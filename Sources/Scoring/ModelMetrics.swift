import Foundation

/// Discrimination and stability measures for scores where higher means less risky.
public enum ModelMetrics {
    /// Area under the ROC curve: the chance that a random good row outscores a random bad row,
    /// counting ties as one half. `nil` without both classes.
    public static func auc(scores: [Double], isBad: [Bool]) -> Double? {
        var auc = 0.0, badsBelow = 0.0, goods = 0.0, bads = 0.0
        for group in tiedGroups(scores: scores, isBad: isBad) {
            auc += Double(group.good) * (badsBelow + 0.5 * Double(group.bad))
            badsBelow += Double(group.bad)
            goods += Double(group.good)
            bads += Double(group.bad)
        }
        guard goods > 0, bads > 0 else { return nil }
        return auc / (goods * bads)
    }

    /// Kolmogorov–Smirnov statistic: the largest gap between the cumulative score distributions
    /// of bads and goods, taken only between distinct scores (ties never split). `nil` without both classes.
    public static func ks(scores: [Double], isBad: [Bool]) -> Double? {
        let groups = tiedGroups(scores: scores, isBad: isBad)
        let goods = Double(groups.reduce(0) { $0 + $1.good }), bads = Double(groups.reduce(0) { $0 + $1.bad })
        guard goods > 0, bads > 0 else { return nil }
        var ks = 0.0, cumulativeGood = 0.0, cumulativeBad = 0.0
        for group in groups {
            cumulativeGood += Double(group.good)
            cumulativeBad += Double(group.bad)
            ks = max(ks, abs(cumulativeBad / bads - cumulativeGood / goods))
        }
        return ks
    }

    /// Gini coefficient (accuracy ratio): `2·AUC − 1`.
    public static func gini(scores: [Double], isBad: [Bool]) -> Double? {
        auc(scores: scores, isBad: isBad).map { 2 * $0 - 1 }
    }

    /// The smallest share a PSI bin counts with, so an empty bin stays finite.
    public static let psiFloor = 1e-4

    /// Population stability index of `actual` against `expected`, over ten bins cut at the deciles
    /// of `expected` (the values at ranks ⌊k·n/10⌋, k = 1…9, duplicates removed; bins are
    /// `[cut, next cut)`, open at both ends). Shares below ``psiFloor`` count as the floor.
    /// `PSI = Σ (actualShare − expectedShare) · ln(actualShare / expectedShare)`.
    public static func psi(expected: [Double], actual: [Double]) -> Double? {
        guard !expected.isEmpty, !actual.isEmpty else { return nil }
        let sorted = expected.sorted()
        var cuts: [Double] = []
        for k in 1...9 {
            let cut = sorted[k * sorted.count / 10]
            if cut > sorted[0], cuts.last != cut { cuts.append(cut) }
        }
        func shares(_ values: [Double]) -> [Double] {
            var counts = Array(repeating: 0, count: cuts.count + 1)
            for value in values { counts[cuts.count(where: { $0 <= value })] += 1 }
            return counts.map { max(Double($0) / Double(values.count), psiFloor) }
        }
        return zip(shares(expected), shares(actual)).reduce(0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
    }

    /// Rows grouped by equal score, lowest score first.
    private static func tiedGroups(scores: [Double], isBad: [Bool]) -> [BinCounts] {
        precondition(scores.count == isBad.count, "one label per score")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var groups: [BinCounts] = []
        var previous: Double?
        for index in order {
            if previous != scores[index] { groups.append(BinCounts()) }
            groups[groups.count - 1].count(isBad: isBad[index])
            previous = scores[index]
        }
        return groups
    }
}
