import BrokerCore
import Formats

/// How a scorecard performs on labelled rows.
public struct ScorecardEvaluation: Sendable {
    /// Rows and bad rate of one grade.
    public struct GradeRow: Sendable, Equatable {
        public var grade: Grade
        public var rows: Int
        public var bads: Int
        /// The card's PD for the grade, to compare with the observed bad rate.
        public var cardPD: Double
        /// Sum over the grade's rows of the PD their own scores stand for (``ScoreScaling``).
        var scorePDSum = 0.0
        public var badRate: Double? { rows > 0 ? Double(bads) / Double(rows) : nil }
        /// Mean PD of the grade's rows' scores (`nil` without rows).
        public var meanScorePD: Double? { rows > 0 ? scorePDSum / Double(rows) : nil }

        /// The Wilson 95 % interval of the observed bad rate (`nil` without rows).
        public var badRateInterval: ClosedRange<Double>? {
            guard rows > 0 else { return nil }
            let n = Double(rows), p = Double(bads) / n, z = 1.959964
            let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
            return max(0, centre - half)...min(1, centre + half)
        }
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
    /// Each row's grade (the worst when a decline rule met it).
    public let rowGrades: [Grade]
    public let isBad: [Bool]
    public let auc: Double?
    public let ks: Double?
    public let gini: Double?
    public let grades: [GradeRow]
    /// One per segment of the card, in card order.
    public let segments: [SegmentRow]
    /// Rows a hard-decline rule caught.
    public let declined: Int
    /// Brier score of the PD the card answers (its grade's): the mean of `(PD − bad)²`, bad = 1.
    public let brier: Double?
    /// Brier score of the PD each row's own score stands for.
    public let scoreBrier: Double?
    /// Brier score of answering every row the observed bad rate (the reference a card must beat).
    public let baseRateBrier: Double?

    /// Scores every row of `table` with `card` and measures the result against `target`.
    public init(card: CompiledScorecard, table: CSVTable, target: TargetColumn) throws(CSVError) {
        let isBad = try target.labels(in: table)
        let results = try card.layout.vectors(from: table).map(card.score)
        var grades = card.card.grades.map { GradeRow(grade: $0.grade, rows: 0, bads: 0, cardPD: $0.probabilityOfDefault) }
        var squares = 0.0, scoreSquares = 0.0
        for (result, bad) in zip(results, isBad) {
            let index = Grade.allCases.firstIndex(of: result.grade)!
            let scorePD = card.card.scaling.probabilityOfDefault(score: Double(result.score))
            grades[index].rows += 1
            grades[index].scorePDSum += scorePD
            if bad { grades[index].bads += 1 }
            let outcome = bad ? 1.0 : 0.0
            squares += (result.probabilityOfDefault - outcome) * (result.probabilityOfDefault - outcome)
            scoreSquares += (scorePD - outcome) * (scorePD - outcome)
        }
        let rate = Double(isBad.count { $0 }) / Double(isBad.count)
        brier = results.isEmpty ? nil : squares / Double(results.count)
        scoreBrier = results.isEmpty ? nil : scoreSquares / Double(results.count)
        baseRateBrier = results.isEmpty ? nil : rate * (1 - rate)
        let scores = results.map(\.score)
        let asDouble = scores.map(Double.init)
        cardVersion = card.card.version
        self.scores = scores
        rowGrades = results.map(\.grade)
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
