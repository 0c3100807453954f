import BrokerCore
import Formats
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
        CSV.text(header: Self.featureNames + [Self.target], rows: zip(rows, isBad).map { row, bad in row + [bad ? "1" : "0"] })
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
        func add(_ text: String, _ effect: Double) {
            cells.append(text)
            logit += effect
        }
        /// Adds the value, or with probability `rate` an empty cell with `missingEffect`.
        func add(_ text: String, _ effect: Double, missing rate: Double, missingEffect: Double = 0) {
            if chance(rate) { add("", missingEffect) } else { add(text, effect) }
        }

        let years = 30 * uniform() * uniform()
        add(cell((years * 10).rounded() / 10), 1.2 - 0.8 * log(1 + years), missing: 0.02, missingEffect: 0.3)
        let (capital, capitalIndex) = pick(["under_100", "100_to_500", "500_to_1000", "1000_to_5000", "5000_plus"], [30, 30, 20, 15, 5])
        add(capital, -0.15 * Double(capitalIndex))
        let general = count(mean: 0.3)
        add(cell(Double(general)), 0.35 * Double(min(general, 4)))
        let serious = chance(0.05) ? 1 + count(mean: 0.3) : 0
        add(cell(Double(serious)), 0.9 * Double(min(serious, 3)))
        let threeYears = general + serious + count(mean: 0.5)
        add(cell(Double(threeYears)), 0.1 * Double(min(threeYears, 6)), missing: 0.03)
        let dishonest = chance(0.03)
        add(dishonest ? "yes" : "no", dishonest ? 1.8 : 0)
        let abnormal = chance(0.06)
        add(abnormal ? "yes" : "no", abnormal ? 0.9 : 0)
        let (level, levelIndex) = pick(["A", "B", "M", "C", "D"], [25, 35, 25, 10, 5])
        add(level, [-0.8, -0.3, 0, 0.6, 1.4][levelIndex], missing: 0.05, missingEffect: 0.4)
        let (customs, customsIndex) = pick(["advanced_certified", "general", "none", "dishonest"], [5, 20, 72, 3])
        add(customs, [-0.5, -0.1, 0, 1.2][customsIndex])
        let taxPaid = exp(2.5 + 1.5 * normal())
        add(cell((taxPaid * 10).rounded() / 10), -0.25 * (log(1 + taxPaid) - 2.5), missing: 0.10, missingEffect: 0.5)
        let taxTrend = 0.05 + 0.25 * normal()
        add(cell(taxTrend), -1.2 * max(-0.6, min(taxTrend, 0.6)), missing: 0.08)
        let headcount = Int(exp(2 + 1.2 * normal()))
        add(cell(Double(headcount)), -0.2 * log(1 + Double(headcount)))
        let headcountTrend = 0.02 + 0.2 * normal()
        add(cell(headcountTrend), -0.8 * max(-0.5, min(headcountTrend, 0.5)), missing: 0.1)
        let delinquencies = count(mean: 0.25)
        add(cell(Double(delinquencies)), 0.45 * Double(min(delinquencies, 4)), missing: 0.15, missingEffect: 0.2)
        let estate = chance(0.35)
        add(estate ? "yes" : "no", estate ? -0.4 : 0)
        let patents = count(mean: 1.0)
        add(cell(Double(patents)), -0.1 * Double(min(patents, 8)))
        let highTech = chance(0.12)
        add(highTech ? "yes" : "no", highTech ? -0.3 : 0)
        let litigation = count(mean: 0.2)
        add(cell(Double(litigation)), 0.4 * Double(min(litigation, 3)))
        let industries = ["manufacturing", "retail", "construction", "services", "software", "logistics", "catering", "agriculture"]
        let (industry, industryIndex) = pick(industries, [20, 20, 12, 15, 8, 10, 10, 5])
        add(industry, [0, 0.1, 0.3, 0, -0.2, 0.1, 0.25, 0.15][industryIndex])
        add(cell((uniform() * 1000).rounded() / 1000), 0)
        return (cells, logit)
    }
}
