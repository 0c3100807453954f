import Foundation

/// Synthetic small-firm records with a known default model, for tests, benchmarks and demos.
///
/// Twenty columns: the seventeen fusion features plus `litigation_defendant_3y`, `industry` and
/// `noise` (no effect). Some cells are empty (missing). Each row's default probability is
/// `1 / (1 + exp(−logit))` with a fixed logit of the features, and `default_flag` is drawn from it.
public struct SyntheticCreditData: Sendable {
    public static let target = "default_flag"
    public static let featureNames = [
        "years_since_registration", "registered_capital_band", "penalties_1y_general", "penalties_1y_serious",
        "penalties_3y", "dishonest_mark", "abnormal_operation", "tax_credit_level", "customs_level", "tax_paid_12m",
        "tax_trend", "social_insurance_headcount", "headcount_trend", "utility_delinquencies", "real_estate",
        "patents", "high_tech", "litigation_defendant_3y", "industry", "noise",
    ]

    /// Cells per row in `featureNames` order; empty means missing.
    public let rows: [[String]]
    /// The true default probability of each row.
    public let probabilities: [Double]
    public let isBad: [Bool]

    public init(rows count: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var rows: [[String]] = []
        var probabilities: [Double] = []
        var isBad: [Bool] = []
        rows.reserveCapacity(count)
        for _ in 0..<count {
            let (cells, logit) = Self.row(&random)
            let probability = 1 / (1 + exp(-logit))
            rows.append(cells)
            probabilities.append(probability)
            isBad.append(Double.random(in: 0..<1, using: &random) < probability)
        }
        self.rows = rows
        self.probabilities = probabilities
        self.isBad = isBad
    }

    /// The data as CSV text with a header, the target column last (`1` = default).
    public var csv: String {
        var text = (Self.featureNames + [Self.target]).joined(separator: ",") + "\n"
        for (row, bad) in zip(rows, isBad) {
            text += row.joined(separator: ",") + (bad ? ",1\n" : ",0\n")
        }
        return text
    }

    private static func row(_ random: inout SplitMix64) -> (cells: [String], logit: Double) {
        func uniform() -> Double { Double.random(in: 0..<1, using: &random) }
        func chance(_ p: Double) -> Bool { uniform() < p }
        func normal() -> Double { (-2 * log(1 - uniform())).squareRoot() * cos(2 * .pi * uniform()) }
        func count(mean: Double) -> Int { Int(log(1 - uniform()) / log(mean / (1 + mean))) }
        func pick(_ values: [String], _ weights: [Double]) -> (String, Int) {
            var u = uniform() * weights.reduce(0, +)
            for (index, weight) in weights.enumerated() {
                u -= weight
                if u < 0 { return (values[index], index) }
            }
            return (values[values.count - 1], values.count - 1)
        }
        func cell(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.3f", value) }

        var logit = -3.0
        var cells: [String] = []
        // years_since_registration: young firms are riskier.
        let years = 30 * uniform() * uniform()
        if chance(0.02) { cells.append(""); logit += 0.3 } else { cells.append(cell((years * 10).rounded() / 10)); logit -= 0.8 * log(1 + years) - 1.2 }
        let (capital, capitalIndex) = pick(["under_100", "100_to_500", "500_to_1000", "1000_to_5000", "5000_plus"], [30, 30, 20, 15, 5])
        cells.append(capital); logit -= 0.15 * Double(capitalIndex)
        let general = count(mean: 0.3)
        cells.append(cell(Double(general))); logit += 0.35 * Double(min(general, 4))
        let serious = chance(0.05) ? 1 + count(mean: 0.3) : 0
        cells.append(cell(Double(serious))); logit += 0.9 * Double(min(serious, 3))
        let threeYears = general + serious + count(mean: 0.5)
        if chance(0.03) { cells.append("") } else { cells.append(cell(Double(threeYears))); logit += 0.1 * Double(min(threeYears, 6)) }
        let dishonest = chance(0.03)
        cells.append(dishonest ? "yes" : "no"); logit += dishonest ? 1.8 : 0
        let abnormal = chance(0.06)
        cells.append(abnormal ? "yes" : "no"); logit += abnormal ? 0.9 : 0
        let (level, levelIndex) = pick(["A", "B", "M", "C", "D"], [25, 35, 25, 10, 5])
        if chance(0.05) { cells.append(""); logit += 0.4 } else { cells.append(level); logit += [-0.8, -0.3, 0, 0.6, 1.4][levelIndex] }
        let (customs, customsIndex) = pick(["advanced_certified", "general", "none", "dishonest"], [5, 20, 72, 3])
        cells.append(customs); logit += [-0.5, -0.1, 0, 1.2][customsIndex]
        let taxPaid = exp(2.5 + 1.5 * normal())
        if chance(0.10) { cells.append(""); logit += 0.5 } else { cells.append(cell((taxPaid * 10).rounded() / 10)); logit -= 0.25 * (log(1 + taxPaid) - 2.5) }
        let taxTrend = 0.05 + 0.25 * normal()
        if chance(0.08) { cells.append("") } else { cells.append(cell(taxTrend)); logit -= 1.2 * max(-0.6, min(taxTrend, 0.6)) }
        let headcount = Int(exp(2 + 1.2 * normal()))
        cells.append(cell(Double(headcount))); logit -= 0.2 * log(1 + Double(headcount))
        let headcountTrend = 0.02 + 0.2 * normal()
        if chance(0.1) { cells.append("") } else { cells.append(cell(headcountTrend)); logit -= 0.8 * max(-0.5, min(headcountTrend, 0.5)) }
        let delinquencies = count(mean: 0.25)
        if chance(0.15) { cells.append(""); logit += 0.2 } else { cells.append(cell(Double(delinquencies))); logit += 0.45 * Double(min(delinquencies, 4)) }
        let estate = chance(0.35)
        cells.append(estate ? "yes" : "no"); logit -= estate ? 0.4 : 0
        let patents = count(mean: 1.0)
        cells.append(cell(Double(patents))); logit -= 0.1 * Double(min(patents, 8))
        let highTech = chance(0.12)
        cells.append(highTech ? "yes" : "no"); logit -= highTech ? 0.3 : 0
        let litigation = count(mean: 0.2)
        cells.append(cell(Double(litigation))); logit += 0.4 * Double(min(litigation, 3))
        let (industry, industryIndex) = pick(["manufacturing", "retail", "construction", "services", "software", "logistics", "catering", "agriculture"], [20, 20, 12, 15, 8, 10, 10, 5])
        cells.append(industry); logit += [0, 0.1, 0.3, 0, -0.2, 0.1, 0.25, 0.15][industryIndex]
        cells.append(cell((uniform() * 1000).rounded() / 1000))
        return (cells, logit)
    }
}
