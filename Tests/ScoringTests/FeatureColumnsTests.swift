import PropertyBased
import Testing
@testable import Scoring

/// The column-wise batch scorer gives exactly the per-vector scores, and rows come back intact.
@Suite struct FeatureColumnsTests {
    let compiled: CompiledScorecard

    init() throws { compiled = try CompiledScorecard(TestCards.small) }

    /// Ages (one a special value, some missing), levels (listed, unlisted, missing) and debts.
    static let ages: [Double?] = [nil, -1, -10, 0, 1.5, 2, 4.99, 5, 80]
    static let levels: [String?] = [nil, "A", "B", "M", "D", "Z"]
    static let debts: [Double?] = [nil, 0, 0.99, 1, 7]

    @Test func columnScoresEqualVectorScoresAndRowsRoundTrip() async {
        let rows = zip(
            Gen.int(in: 0...(Self.ages.count - 1)), Gen.int(in: 0...(Self.levels.count - 1)), Gen.int(in: 0...(Self.debts.count - 1))
        ).array(of: 0...1500)
        await propertyCheck(input: rows) { rows in
            let vectors = rows.map { age, level, debts in
                var vector = compiled.makeVector()
                vector.setNumber(Self.ages[age], inSlot: 0)
                vector.setCategory(Self.levels[level], inSlot: 1)
                vector.setNumber(Self.debts[debts], inSlot: 2)
                return vector
            }
            let columns = FeatureColumns(layout: compiled.layout, vectors: vectors)
            #expect(columns.count == vectors.count)
            #expect(compiled.scores(columns) == vectors.map { compiled.score($0).score })
            for row in [0, vectors.count / 2, vectors.count - 1] where vectors.indices.contains(row) {
                #expect(columns[row].values == vectors[row].values)
            }
        }
    }
}
