/// How a scorecard performs on labelled rows.
public struct ScorecardEvaluation: Sendable {
    /// Rows and bad rate of one grade.
    public struct GradeRow: Sendable, Equatable {
        public var grade: Grade
        public var rows: Int
        public var bads: Int
        /// The card's PD for the grade, to compare with the observed bad rate.
        public var cardPD: Double
        public var badRate: Double? { rows > 0 ? Double(bads) / Double(rows) : nil }
    }

    /// Rows, bads and AUC of the rows one segment of the card scored.
    public struct SegmentRow: Sendable, Equatable {
        /// `nil` for an unsegmented card.
        public var name: String?
        public var rows: Int
        public var bads: Int
        public var auc: Double?
    }

    public let cardVersion: String
    public let scores: [Int]
    public let isBad: [Bool]
    public let auc: Double?
    public let ks: Double?
    public let gini: Double?
    public let grades: [GradeRow]
    /// One per segment of the card, in card order.
    public let segments: [SegmentRow]
    /// Rows a hard-decline rule caught.
    public let declined: Int

    /// Scores every row of `table` with `card` and measures the result against `target`.
    public init(card: CompiledScorecard, table: CSVTable, target: TargetColumn) throws(CSVError) {
        let isBad = try target.labels(in: table)
        let results = try card.layout.vectors(from: table).map(card.score)
        var grades = card.card.grades.map { GradeRow(grade: $0.grade, rows: 0, bads: 0, cardPD: $0.probabilityOfDefault) }
        for (result, bad) in zip(results, isBad) {
            let index = Grade.allCases.firstIndex(of: result.grade)!
            grades[index].rows += 1
            if bad { grades[index].bads += 1 }
        }
        let scores = results.map(\.score)
        let asDouble = scores.map(Double.init)
        cardVersion = card.card.version
        self.scores = scores
        self.isBad = isBad
        auc = ModelMetrics.auc(scores: asDouble, isBad: isBad)
        ks = ModelMetrics.ks(scores: asDouble, isBad: isBad)
        gini = ModelMetrics.gini(scores: asDouble, isBad: isBad)
        self.grades = grades
        segments = card.segmentNames.map { name in
            let rows = results.indices.filter { results[$0].segment == name }
            let labels = rows.map { isBad[$0] }
            return SegmentRow(
                name: name, rows: rows.count, bads: labels.count { $0 },
                auc: ModelMetrics.auc(scores: rows.map { asDouble[$0] }, isBad: labels))
        }
        declined = results.count(where: \.isDeclined)
    }

    public var rows: Int { scores.count }
    public var bads: Int { isBad.count(where: { $0 }) }
    public var scoreRange: ClosedRange<Int>? { scores.min().map { $0...scores.max()! } }

    /// PSI of `other`'s scores against these (see ``ModelMetrics/psi(expected:actual:)``).
    public func stability(against other: [Int]) -> Double? {
        ModelMetrics.psi(expected: scores.map(Double.init), actual: other.map(Double.init))
    }
}
