/// A scorecard compiled to flat arrays for scoring: numeric bins by binary search over their
/// edges, categorical points by interned index. Scoring a vector allocates nothing.
public struct CompiledScorecard: Sendable {
    public let card: Scorecard
    /// The slots vectors for this card are laid out in.
    public let layout: FeatureLayout

    /// Per slot: where its edges, points and special values live in the flat arrays.
    private struct Program: Sendable {
        var isNumeric: Bool
        /// Numeric: interior bin edges `edges[edgeStart ..< edgeStart + edgeCount]`.
        var edgeStart: Int
        var edgeCount: Int
        /// Numeric: points of bin i at `points[pointStart + i]`; categorical: points of code c at
        /// `points[pointStart + c]` and of unlisted values at `points[pointStart + valueCount]`.
        var pointStart: Int
        var valueCount: Int
        var specialStart: Int
        var specialCount: Int
        var missingPoints: Double
        var bestPoints: Double
    }

    /// A decline rule as a closed numeric interval or a set of categorical codes.
    private struct Rule: Sendable {
        var slot: Int
        var lower: Double
        var upper: Double
        /// Categorical: whether code c triggers, at index c + 1 (index 0 is unlisted values).
        var codes: [Bool]
    }

    private let programs: [Program]
    private let edges: [Double]
    private let points: [Double]
    private let specialValues: [Double]
    private let specialPoints: [Double]
    private let rules: [Rule]
    /// Band minimums, best grade first; the last band has none.
    private let gradeMinimums: [Int]
    private let intercept: Double
    private let reasonCount: Int

    /// Validates and compiles `card`.
    public init(_ card: Scorecard) throws(ScorecardError) {
        try card.validate()
        self.card = card
        let layout = FeatureLayout(features: card.features)
        self.layout = layout
        var programs: [Program] = []
        var edges: [Double] = []
        var points: [Double] = []
        var specialValues: [Double] = []
        var specialPoints: [Double] = []
        for feature in card.features {
            var program = Program(
                isNumeric: feature.isNumeric, edgeStart: edges.count, edgeCount: 0, pointStart: points.count,
                valueCount: 0, specialStart: specialValues.count, specialCount: 0,
                missingPoints: feature.missingPoints, bestPoints: feature.allPoints.max()!
            )
            switch feature.binning {
            case let .numeric(bins, specials):
                edges += bins.dropFirst().map(\.lower)
                points += bins.map(\.points)
                specialValues += specials.map(\.value)
                specialPoints += specials.map(\.points)
                program.edgeCount = bins.count - 1
                program.specialCount = specials.count
            case let .categorical(groups, other):
                for group in groups { points += Array(repeating: group.points, count: group.values.count) }
                points.append(other)
                program.valueCount = groups.reduce(0) { $0 + $1.values.count }
            }
            programs.append(program)
        }
        self.programs = programs
        self.edges = edges
        self.points = points
        self.specialValues = specialValues
        self.specialPoints = specialPoints
        rules = card.declineRules.map { rule -> Rule in
            let slot = layout.slot(named: rule.feature)!
            switch rule.condition {
            case let .isOneOf(values):
                var codes = Array(repeating: false, count: programs[slot].valueCount + 1)
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
    }

    /// Loads, validates and compiles a card from YAML text.
    public init(yaml: String) throws(ScorecardError) {
        try self.init(Scorecard(yaml: yaml))
    }

    /// A vector with every feature missing, laid out for this card.
    public func makeVector() -> FeatureVector { layout.makeVector() }

    /// The points `value` earns in `slot`.
    @inline(__always)
    public func points(for value: FeatureValue, inSlot slot: Int) -> Double {
        let program = programs[slot]
        switch value {
        case .missing:
            return program.missingPoints
        case let .category(code):
            return points[program.pointStart + (code < 0 ? program.valueCount : Int(code))]
        case let .number(x):
            for s in program.specialStart ..< program.specialStart + program.specialCount where specialValues[s] == x {
                return specialPoints[s]
            }
            // Bin index = number of interior edges <= x (bins are [lower, upper)).
            var low = program.edgeStart
            var high = program.edgeStart + program.edgeCount
            while low < high {
                let middle = (low + high) >> 1
                if edges[middle] <= x { low = middle + 1 } else { high = middle }
            }
            return points[program.pointStart + low - program.edgeStart]
        }
    }

    /// The unrounded points of `vector`: intercept plus every feature's points.
    public func totalPoints(_ vector: FeatureVector) -> Double {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        var total = intercept
        for slot in programs.indices { total += points(for: vector[slot], inSlot: slot) }
        return total
    }

    /// Scores `vector`: points, grade, band PD, hard declines and the top reason codes.
    public func score(_ vector: FeatureVector) -> ScoreResult {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        var total = intercept
        var reasons = ReasonList(limit: reasonCount)
        for slot in programs.indices {
            let earned = points(for: vector[slot], inSlot: slot)
            total += earned
            reasons.offer(slot: slot, pointsLost: programs[slot].bestPoints - earned)
        }
        let score = Int(total.rounded())
        let band = gradeIndex(score)
        return ScoreResult(
            cardVersion: card.version, score: score, grade: card.grades[band].grade,
            probabilityOfDefault: card.grades[band].probabilityOfDefault,
            declinedBy: declineRuleIndex(vector).map { card.declineRules[$0] }, reasons: reasons
        )
    }

    /// Index of the first grade band whose minimum `score` reaches.
    private func gradeIndex(_ score: Int) -> Int {
        var index = 0
        while index < gradeMinimums.count, score < gradeMinimums[index] { index += 1 }
        return index
    }

    private func declineRuleIndex(_ vector: FeatureVector) -> Int? {
        rules.indices.first { index in
            let rule = rules[index]
            switch vector[rule.slot] {
            case .missing: return false
            case let .number(x): return rule.lower <= x && x <= rule.upper
            case let .category(code): return rule.codes[Int(code) + 1]
            }
        }
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
