/// A scorecard compiled to flat arrays for scoring: numeric bins by counting the edges below the
/// value (binary search for many bins), categorical points by interned index. Scoring a vector
/// allocates nothing; score many at once with a ``FeatureBatch``.
public struct CompiledScorecard: Sendable {
    public let card: Scorecard
    /// The slots vectors for this card are laid out in.
    public let layout: FeatureLayout

    /// A decline rule as a closed numeric interval or a set of categorical codes.
    private struct Rule: Sendable {
        var slot: Int
        var lower: Double
        var upper: Double
        /// Categorical: whether code c triggers, at index c + 1 (index 0 is unlisted values).
        var codes: [Bool]
    }

    private let tables: PointTables
    private let rules: [Rule]
    /// Band minimums, best grade first; the last band has none.
    private let gradeMinimums: [Int]
    private let grades: [GradeBand]
    private let version: String
    private let intercept: Double
    private let reasonCount: Int

    /// Validates and compiles `card`.
    public init(_ card: Scorecard) throws(ScorecardError) {
        try card.validate()
        self.card = card
        let layout = FeatureLayout(features: card.features)
        self.layout = layout
        let tables = PointTables(features: card.features)
        self.tables = tables
        rules = card.declineRules.map { rule -> Rule in
            let slot = layout.slot(named: rule.feature)!
            switch rule.condition {
            case let .isOneOf(values):
                var codes = Array(repeating: false, count: tables.programs[slot].valueCount + 1)
                for value in values { codes[Int(layout.code(of: value, inSlot: slot)) + 1] = true }
                return Rule(slot: slot, lower: 0, upper: 0, codes: codes)
            case let .atLeast(bound): return Rule(slot: slot, lower: bound, upper: .infinity, codes: [])
            case let .atMost(bound): return Rule(slot: slot, lower: -.infinity, upper: bound, codes: [])
            case let .equals(bound): return Rule(slot: slot, lower: bound, upper: bound, codes: [])
            }
        }
        gradeMinimums = card.grades.compactMap(\.minimumScore)
        intercept = card.interceptPoints
        reasonCount = card.reasonCount
        grades = card.grades
        version = card.version
    }

    /// Loads, validates and compiles a card from YAML text.
    public init(yaml: String) throws(ScorecardError) {
        try self.init(Scorecard(yaml: yaml))
    }

    /// A vector with every feature missing, laid out for this card.
    public func makeVector() -> FeatureVector { layout.makeVector() }

    /// The points `value` earns in `slot`.
    public func points(for value: FeatureValue, inSlot slot: Int) -> Double {
        tables.points(for: value, inSlot: slot)
    }

    /// The unrounded points of `vector`: intercept plus every feature's points.
    public func totalPoints(_ vector: FeatureVector) -> Double {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        return vector.values.withUnsafeBufferPointer { tables.score(row: $0.baseAddress!, intercept: intercept).points }
    }

    /// Scores `vector`: points, grade, band PD, hard declines and the top reason codes.
    public func score(_ vector: FeatureVector) -> ScoreResult {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        return vector.values.withUnsafeBufferPointer { score(row: $0.baseAddress!) }
    }

    /// Scores every row of `batch`, in row order; the same results as scoring each row's vector.
    public func score(_ batch: FeatureBatch) -> [ScoreResult] {
        precondition(batch.layout === layout, "the batch was laid out for another scorecard")
        let width = layout.count
        return batch.values.withUnsafeBufferPointer { values in
            [ScoreResult](unsafeUninitializedCapacity: batch.count) { results, initialized in
                for row in 0..<batch.count {
                    (results.baseAddress! + row).initialize(to: score(row: values.baseAddress! + row * width))
                    initialized = row + 1
                }
            }
        }
    }

    /// The scores of every row of `columns`, in row order: the same numbers as ``score(_:)-(FeatureVector)``
    /// gives each row's vector, without grades, declines or reasons (get those for the rows that
    /// need them by scoring `columns[row]`).
    public func scores(_ columns: FeatureColumns) -> [Int] {
        precondition(columns.layout === layout, "the batch was laid out for another scorecard")
        let rows = columns.count
        // Rows go through in blocks whose running totals stay in the L1 cache while every slot's
        // points are added, slot by slot, in the same order as for one vector.
        let block = 512
        let totals = UnsafeMutableBufferPointer<Double>.allocate(capacity: block)
        defer { totals.deallocate() }
        return [Int](unsafeUninitializedCapacity: rows) { scores, initialized in
            for start in stride(from: 0, to: rows, by: block) {
                let count = min(block, rows - start)
                totals.update(repeating: intercept)
                for slot in 0..<layout.count {
                    columns.columns[slot].withUnsafeBufferPointer { column in
                        tables.addPoints(slot: slot, column: column.baseAddress! + start, count: count, to: totals.baseAddress!)
                    }
                }
                for row in 0..<count { (scores.baseAddress! + start + row).initialize(to: Int(totals[row].rounded())) }
            }
            initialized = rows
        }
    }

    /// Scores one row of values, one per slot.
    @inline(__always)
    private func score(row values: UnsafePointer<FeatureValue>) -> ScoreResult {
        let (total, reasons) = tables.score(row: values, intercept: intercept)
        let score = Int(total.rounded())
        let declinedBy = declineRuleIndex(values).map { card.declineRules[$0] }
        // A declined subject gets the worst grade whatever its points.
        let band = grades[declinedBy == nil ? gradeIndex(score) : grades.count - 1]
        return ScoreResult(
            cardVersion: version, score: score, grade: band.grade, probabilityOfDefault: band.probabilityOfDefault,
            declinedBy: declinedBy, reasons: reasons.list(limit: reasonCount)
        )
    }

    /// Index of the first grade band whose minimum `score` reaches.
    private func gradeIndex(_ score: Int) -> Int {
        var index = 0
        while index < gradeMinimums.count, score < gradeMinimums[index] { index += 1 }
        return index
    }

    private func declineRuleIndex(_ values: UnsafePointer<FeatureValue>) -> Int? {
        rules.indices.first { index in
            let rule = rules[index]
            switch values[rule.slot] {
            case .missing: return false
            case let .number(x): return rule.lower <= x && x <= rule.upper
            case let .category(code): return rule.codes[Int(code) + 1]
            }
        }
    }

    /// The hard-decline rule `result` met, with its texts filled in from `vector`; `nil` when none.
    public func explainDecline(_ result: ScoreResult, for vector: FeatureVector) -> ScoreReason? {
        guard let rule = result.declinedBy, let slot = layout.slot(named: rule.feature) else { return nil }
        let value = layout.describe(vector[slot], inSlot: slot)
        return ScoreReason(
            code: rule.reason.code, feature: rule.feature, value: value, pointsLost: 0,
            chinese: ReasonCode.render(rule.reason.chinese, feature: rule.feature, value: value ?? "缺失"),
            english: ReasonCode.render(rule.reason.english, feature: rule.feature, value: value ?? "missing")
        )
    }

    /// The result's reason codes with their texts filled in from `vector`.
    public func explain(_ result: ScoreResult, for vector: FeatureVector) -> [ScoreReason] {
        result.reasons.map { entry in
            let feature = card.features[entry.slot]
            let value = layout.describe(vector[entry.slot], inSlot: entry.slot)
            return ScoreReason(
                code: feature.reason.code, feature: feature.name, value: value, pointsLost: entry.pointsLost,
                chinese: ReasonCode.render(feature.reason.chinese, feature: feature.name, value: value ?? "缺失"),
                english: ReasonCode.render(feature.reason.english, feature: feature.name, value: value ?? "missing")
            )
        }
    }
}
