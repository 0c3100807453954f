/// A scorecard compiled to flat arrays for scoring: numeric bins by counting the edges below the
/// value (binary search for many bins), categorical points by interned index, one set of tables
/// per segment over one layout. Scoring a vector allocates nothing; score many at once with a
/// ``FeatureBatch`` or, for scores only, ``FeatureColumns``.
public struct CompiledScorecard: Sendable {
    public let card: Scorecard
    /// The slots vectors for this card are laid out in: the features of every segment.
    public let layout: FeatureLayout

    /// A decline rule as a closed numeric interval or a set of categorical codes.
    private struct Rule: Sendable {
        var slot: Int
        var lower: Double
        var upper: Double
        /// Categorical: whether code c triggers, at index c + 1 (index 0 is unlisted values).
        var codes: [Bool]
    }

    /// One segment's points and the slots whose presence selects it.
    private struct Segment: Sendable {
        var name: String?
        var tables: PointTables
        var intercept: Double
        /// Empty for the last segment, which takes every row no other selects.
        var selector: [Int]
        /// The segment's definition of each slot's feature; `nil` where it does not score the slot.
        var features: [ScorecardFeature?]
    }

    private let segments: [Segment]
    private let rules: [Rule]
    /// Band minimums, best grade first; the last band has none.
    private let gradeMinimums: [Int]
    private let grades: [GradeBand]
    private let version: String
    private let reasonCount: Int

    /// Validates and compiles `card`.
    public init(_ card: Scorecard) throws(ScorecardError) {
        try card.validate()
        self.card = card
        let layout = FeatureLayout(segments: card.segments)
        self.layout = layout
        let segments = card.segments.map { segment in
            let definitions = Dictionary(uniqueKeysWithValues: segment.features.map { ($0.name, $0) })
            return Segment(
                name: segment.name, tables: PointTables(features: segment.features, layout: layout),
                intercept: segment.interceptPoints, selector: segment.whenPresent.map { layout.slot(named: $0)! },
                features: layout.names.map { definitions[$0] })
        }
        self.segments = segments
        rules = card.declineRules.map { rule -> Rule in
            let slot = layout.slot(named: rule.feature)!
            switch rule.condition {
            case let .isOneOf(values):
                var codes = Array(repeating: false, count: segments[0].tables.programs[slot].valueCount + 1)
                for value in values { codes[Int(layout.code(of: value, inSlot: slot)) + 1] = true }
                return Rule(slot: slot, lower: 0, upper: 0, codes: codes)
            case let .atLeast(bound): return Rule(slot: slot, lower: bound, upper: .infinity, codes: [])
            case let .atMost(bound): return Rule(slot: slot, lower: -.infinity, upper: bound, codes: [])
            case let .equals(bound): return Rule(slot: slot, lower: bound, upper: bound, codes: [])
            }
        }
        gradeMinimums = card.grades.compactMap(\.minimumScore)
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

    /// The names of the card's segments, in order (`[nil]` for an unsegmented card).
    public var segmentNames: [String?] { segments.map(\.name) }

    /// The points `value` earns in `slot` in segment `segment` (an index into ``segmentNames``).
    public func points(for value: FeatureValue, inSlot slot: Int, segment: Int = 0) -> Double {
        segments[segment].tables.points(for: value, inSlot: slot)
    }

    /// The segment that scores `vector`: an index into ``segmentNames``.
    public func segment(of vector: FeatureVector) -> Int {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        return vector.values.withUnsafeBufferPointer { segmentIndex(row: $0.baseAddress!) }
    }

    /// How many of the features that `vector`'s segment scores are present (not missing) in it, of
    /// how many that segment scores.
    public func presentFeatures(in vector: FeatureVector) -> (present: Int, of: Int) {
        let segment = segments[segment(of: vector)]
        let scored = segment.features.indices.filter { segment.features[$0] != nil }
        return (scored.count { vector[$0] != .missing }, scored.count)
    }

    /// The unrounded points of `vector`: its segment's intercept plus every feature's points.
    public func totalPoints(_ vector: FeatureVector) -> Double {
        precondition(vector.layout === layout, "the vector was laid out for another scorecard")
        return vector.values.withUnsafeBufferPointer { values in
            let segment = segments[segmentIndex(row: values.baseAddress!)]
            return segment.tables.score(row: values.baseAddress!, intercept: segment.intercept).points
        }
    }

    /// Scores `vector`: segment, points, grade, band PD, hard declines and the top reason codes.
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
        // Rows go through in blocks whose running totals stay in the L1 cache while every scored
        // slot's points are added, slot by slot, in the same order as for one vector. A segmented
        // card keeps one running total per segment present in the block and takes each row's
        // from its own segment's.
        let block = 512
        let totals = UnsafeMutableBufferPointer<Double>.allocate(capacity: block * segments.count)
        defer { totals.deallocate() }
        let segmentOf = UnsafeMutableBufferPointer<Int>.allocate(capacity: block)
        defer { segmentOf.deallocate() }
        return [Int](unsafeUninitializedCapacity: rows) { scores, initialized in
            for start in stride(from: 0, to: rows, by: block) {
                let count = min(block, rows - start)
                let present = assignSegments(columns, rows: start..<start + count, to: segmentOf.baseAddress!)
                for (index, segment) in segments.enumerated() where present[index] {
                    let running = totals.baseAddress! + index * block
                    running.update(repeating: segment.intercept, count: count)
                    for slot in segment.tables.scoredSlots {
                        columns.columns[slot].withUnsafeBufferPointer { column in
                            segment.tables.addPoints(slot: slot, column: column.baseAddress! + start, count: count, to: running)
                        }
                    }
                }
                for row in 0..<count {
                    let total = totals[segmentOf[row] * block + row]
                    (scores.baseAddress! + start + row).initialize(to: Int(total.rounded()))
                }
            }
            initialized = rows
        }
    }

    /// Writes the segment of each row of `rows` to `segmentOf` (from index 0) and returns which
    /// segments occur.
    private func assignSegments(_ columns: FeatureColumns, rows: Range<Int>, to segmentOf: UnsafeMutablePointer<Int>) -> [Bool] {
        let last = segments.count - 1
        segmentOf.update(repeating: last, count: rows.count)
        guard last > 0 else { return [true] }
        var present = Array(repeating: false, count: segments.count)
        // Later segments first, so that the first segment whose selector a row meets wins.
        for index in (0..<last).reversed() {
            for slot in segments[index].selector {
                columns.columns[slot].withUnsafeBufferPointer { column in
                    for row in rows where !column[row].isNaN { segmentOf[row - rows.lowerBound] = index }
                }
            }
        }
        for row in 0..<rows.count { present[segmentOf[row]] = true }
        return present
    }

    /// The first segment whose selector a row of values (one per slot) meets.
    @inline(__always)
    private func segmentIndex(row values: UnsafePointer<FeatureValue>) -> Int {
        let last = segments.count - 1
        for index in 0..<last where segments[index].selector.contains(where: { values[$0] != .missing }) { return index }
        return last
    }

    /// Scores one row of values, one per slot.
    @inline(__always)
    private func score(row values: UnsafePointer<FeatureValue>) -> ScoreResult {
        let segmentIndex = segmentIndex(row: values)
        let segment = segments[segmentIndex]
        let (total, reasons) = segment.tables.score(row: values, intercept: segment.intercept)
        let score = Int(total.rounded())
        let declinedBy = declineRuleIndex(values).map { card.declineRules[$0] }
        // A declined subject gets the worst grade whatever its points.
        let band = grades[declinedBy == nil ? gradeIndex(score) : grades.count - 1]
        return ScoreResult(
            cardVersion: version, segment: segment.name, segmentIndex: segmentIndex, score: score, grade: band.grade,
            probabilityOfDefault: band.probabilityOfDefault, declinedBy: declinedBy, reasons: reasons.list(limit: reasonCount)
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
        let texts = rule.reason.texts(feature: rule.feature, value: value)
        return ScoreReason(
            code: rule.reason.code, feature: rule.feature, value: value, pointsLost: 0, chinese: texts.chinese, english: texts.english
        )
    }

    /// The result's reason codes with their texts filled in from `vector`; points lost to the
    /// hundredth, as cards give points (a difference of two such points is not exact in binary).
    public func explain(_ result: ScoreResult, for vector: FeatureVector) -> [ScoreReason] {
        result.reasons.map { entry in
            // A slot gives a reason only in a segment that scores it.
            let feature = segments[result.segmentIndex].features[entry.slot]!
            let value = layout.describe(vector[entry.slot], inSlot: entry.slot)
            let texts = feature.reason.texts(feature: feature.name, value: value)
            return ScoreReason(
                code: feature.reason.code, feature: feature.name, value: value, pointsLost: (entry.pointsLost * 100).rounded() / 100,
                chinese: texts.chinese, english: texts.english
            )
        }
    }
}
