import BrokerCore
import Formats
import PropertyBased
@testable import Scoring
import ScoringValidation
import Testing

@Suite struct CompiledScorecardTests {
    let compiled: CompiledScorecard

    init() throws { compiled = try CompiledScorecard(TestCards.small) }

    func vector(age: Double?, level: String?, debts: Double?) throws -> FeatureVector {
        var vector = compiled.makeVector()
        try vector.set("age", number: age)
        try vector.set("level", category: level)
        try vector.set("debts", number: debts)
        return vector
    }

    @Test func binsAreHalfOpenAndSpecialValuesComeFirst() {
        let cases: [(Double, Double)] = [(-5, 0), (1.999, 0), (2, 20), (4.5, 20), (5, 40), (1e9, 40), (-1, 10)]
        for (age, points) in cases {
            #expect(compiled.points(for: .number(age), inSlot: 0) == points, "age \(age)")
        }
    }

    @Test func missingAndUnlistedValuesHaveTheirOwnPoints() throws {
        #expect(compiled.points(for: .missing, inSlot: 0) == 5)
        #expect(compiled.points(for: .missing, inSlot: 1) == 12)
        let unlisted = try vector(age: nil, level: "Z", debts: nil)
        #expect(unlisted[1] == .category(FeatureLayout.unlistedCategory))
        #expect(compiled.points(for: unlisted[1], inSlot: 1) == 10)
        let grouped = try vector(age: nil, level: "M", debts: nil)
        #expect(compiled.points(for: grouped[1], inSlot: 1) == 15)
    }

    @Test func scoreAddsTheInterceptAndStampsTheVersion() throws {
        let result = compiled.score(try vector(age: 6, level: "A", debts: 0))
        #expect(result.score == 500 + 40 + 30 + 40)
        #expect(result.cardVersion == "test-v1")
        #expect(result.grade == .bb)
        #expect(result.reasons.isEmpty)
        #expect(!result.isDeclined)
    }

    /// Age 6, level A and debts 0 earn 110 points; CC starts at 417 and CCC at 467.
    @Test(arguments: [(306.0, Grade.c), (307, .cc), (356, .cc), (357, .ccc)])
    func gradeBandsIncludeTheirMinimum(intercept: Double, grade: Grade) throws {
        var card = TestCards.small
        card.segments[0].interceptPoints = intercept
        let compiled = try CompiledScorecard(card)
        var vector = compiled.makeVector()
        vector.setNumber(6, inSlot: 0)
        vector.setCategory("A", inSlot: 1)
        vector.setNumber(0, inSlot: 2)
        let result = compiled.score(vector)
        #expect(result.score == Int(intercept) + 110)
        #expect(result.grade == grade)
        #expect(result.probabilityOfDefault == card.grades.first { $0.grade == grade }?.probabilityOfDefault)
    }

    @Test func reasonsAreTheCostliestFeaturesWithTiesInCardOrder() throws {
        // age missing loses 35, level D loses 30, debts 3 loses 40: the top two are debts, age.
        let result = compiled.score(try vector(age: nil, level: "D", debts: 3))
        #expect(result.reasons.map(\.slot) == [2, 0])
        #expect(result.reasons.map(\.pointsLost) == [40, 35])
        // age 0 loses 40, level other loses 20, debts 3 loses 40: a tie, broken by card order.
        let tied = compiled.score(try vector(age: 0, level: "Q", debts: 3))
        #expect(tied.reasons.map(\.slot) == [0, 2])
        let explained = compiled.explain(result, for: try vector(age: nil, level: "D", debts: 3))
        #expect(explained.map(\.code) == ["R3", "R1"])
        #expect(explained.map(\.english) == ["debts is 3", "age: not available"])
        #expect(explained.map(\.chinese) == ["debts 为 3", "age：缺失"])
    }

    @Test func pointsLostAreGivenToTheHundredthLikeTheCardsPoints() throws {
        // 45.12 − 7.28 is 37.839999999999996 in binary floating point.
        var card = TestCards.small
        card.segments[0].features[1].binning = .categorical(groups: [.init(values: ["A"], points: 45.12), .init(values: ["D"], points: 0)], otherPoints: 7.28)
        let compiled = try CompiledScorecard(card)
        var vector = compiled.makeVector()
        try vector.set("age", number: 6)
        try vector.set("level", category: "Q")
        try vector.set("debts", number: 0)
        #expect(compiled.explain(compiled.score(vector), for: vector).map(\.pointsLost) == [37.84])
    }

    @Test func declineRulesApplyInCardOrderAndSkipMissingValues() throws {
        #expect(compiled.score(try vector(age: 3, level: "D", debts: 9)).declinedBy?.reason.code == "D1")
        #expect(compiled.score(try vector(age: 3, level: "A", debts: 5)).declinedBy?.reason.code == "D2")
        #expect(compiled.score(try vector(age: 3, level: "A", debts: 4.99)).declinedBy == nil)
        #expect(compiled.score(try vector(age: -1, level: nil, debts: nil)).declinedBy?.reason.code == "D3")
        #expect(compiled.score(try vector(age: -10, level: nil, debts: nil)).declinedBy?.reason.code == "D4")
        #expect(compiled.score(try vector(age: nil, level: nil, debts: nil)).declinedBy == nil)
    }

    @Test func vectorsRejectUnknownNamesWrongKindsAndNaN() {
        var vector = compiled.makeVector()
        #expect(throws: FeatureVectorError.unknownFeature("height")) { try vector.set("height", number: 1) }
        #expect(throws: FeatureVectorError.wrongKind(feature: "level", expected: "categorical")) { try vector.set("level", number: 1) }
        #expect(throws: FeatureVectorError.notANumber(feature: "age")) { try vector.set("age", number: .nan) }
    }

    @Test func aBatchScoresLikeItsVectorsOneByOne() throws {
        var vectors: [FeatureVector] = []
        for age in [nil, -10, -1, 0, 1.999, 2, 4.5, 5, 1e9] as [Double?] {
            for level in [nil, "A", "B", "D", "M", "Z"] {
                for debts in [nil, 0, 0.5, 1, 3, 5] as [Double?] { vectors.append(try vector(age: age, level: level, debts: debts)) }
            }
        }
        let batch = FeatureBatch(layout: compiled.layout, vectors: vectors)
        #expect(batch.count == vectors.count)
        #expect(batch[7].values == vectors[7].values)
        #expect(compiled.score(batch) == vectors.map(compiled.score))
        #expect(compiled.score(batch).contains { $0.isDeclined && $0.reasons.count == 2 })
    }

    @Test func aBatchScoresLikeItsVectorsOneByOneOnATrainedCard() throws {
        var options = TrainingOptions.fixed(target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner())
        options.minimumInformationValue = 0
        let card = try CompiledScorecard(
            ScorecardTrainer(options: options).train(CSVTable(parsing: SyntheticCreditData(rows: 5_000, seed: 1).csv)).card)
        let data = SyntheticCreditData(rows: 2_000, seed: 2)
        let vectors = try card.layout.vectors(
            from: CSVTable(header: SyntheticCreditData.featureNames, rows: data.rows, lines: Array(data.rows.indices)))
        let results = card.score(FeatureBatch(layout: card.layout, vectors: vectors))
        #expect(results == vectors.map(card.score))
        #expect(results.contains { $0.reasons.count == ReasonList.capacity })
    }

    /// Every value lands in exactly one bin, and the compiled search (a count of the edges below a
    /// value for a few bins, a binary search for many) finds that bin's points.
    @Test func everyValueLandsInExactlyOneBin() async {
        await propertyCheck(input: Gen.double(in: -100...100).array(of: 1...24), Gen.double(in: -150...150)) { cuts, x in
            let edges = Array(Set(cuts)).sorted()
            let bounds = [-Double.infinity] + edges + [.infinity]
            let bins = (0..<bounds.count - 1).map {
                ScorecardFeature.NumericBin(lower: bounds[$0], upper: bounds[$0 + 1], points: Double($0))
            }
            var card = TestCards.small
            card.segments[0].features[2].binning = .numeric(bins: bins, specialValues: [])
            let compiled = try! CompiledScorecard(card)
            for value in [x] + edges {
                let holders = bins.filter { $0.contains(value) }
                #expect(holders.count == 1)
                #expect(compiled.points(for: .number(value), inSlot: 2) == holders.first?.points)
            }
        }
    }
}
