import Foundation
import Testing
@testable import Scoring

/// Segmented cards: the segment comes from which features are present, each segment scores with
/// its own points, and bad segment definitions are refused with their place in the YAML.
@Suite struct SegmentedScorecardTests {
    let compiled: CompiledScorecard

    init() throws { compiled = try CompiledScorecard(TestCards.segmented) }

    func vector(age: Double?, level: String?, debts: Double?) -> FeatureVector {
        var vector = compiled.makeVector()
        vector.setNumber(age, inSlot: compiled.layout.slot(named: "age")!)
        vector.setCategory(level, inSlot: compiled.layout.slot(named: "level")!)
        vector.setNumber(debts, inSlot: compiled.layout.slot(named: "debts")!)
        return vector
    }

    @Test func theLayoutHoldsEverySegmentsFeatures() {
        #expect(compiled.layout.names == ["level", "age", "debts"])
        #expect(compiled.layout.kinds[0] == .categorical(values: ["A", "B", "Z"]))
        #expect(compiled.segmentNames == ["with_level", "base"])
    }

    @Test func aPresentSelectorFeatureChoosesItsSegmentAndItsPoints() {
        // with_level: 450 + level A 40 + age ≥ 3 30; debts are not scored there.
        let rich = compiled.score(vector(age: 6, level: "A", debts: 3))
        #expect(rich.segment == "with_level" && rich.score == 520)
        #expect(compiled.segment(of: vector(age: 6, level: "A", debts: 3)) == 0)
        // A level no segment lists still selects with_level and scores its `other`.
        #expect(compiled.score(vector(age: 1, level: "Q", debts: nil)).score == 450 + 5 + 0)
        // base: 500 + age ≥ 5 40 + debts < 1 40.
        let plain = compiled.score(vector(age: 6, level: nil, debts: 0))
        #expect(plain.segment == "base" && plain.score == 580 && plain.cardVersion == "test-v2")
        #expect(compiled.totalPoints(vector(age: 6, level: nil, debts: 0)) == 580)
    }

    @Test func reasonsComeFromTheSegmentsOwnFeatures() {
        let rich = vector(age: 1, level: "B", debts: 9)
        let result = compiled.score(rich)
        // level B loses 30, age < 3 loses 30 (a tie, in layout order); debts are not scored here.
        #expect(result.reasons.map(\.slot) == [0, 1])
        #expect(compiled.explain(result, for: rich).map(\.code) == ["R2", "R1"])
        #expect(result.declinedBy?.reason.code == "D2")
        let plain = vector(age: 1, level: nil, debts: 9)
        #expect(compiled.explain(compiled.score(plain), for: plain).map(\.code) == ["R1", "R3"])
    }

    @Test func columnScoresEqualVectorScoresAcrossSegments() {
        var vectors: [FeatureVector] = []
        for age in [nil, -1, 0, 2.5, 3, 6] as [Double?] {
            for level in [nil, "A", "B", "Q"] {
                for debts in [nil, 0, 3] as [Double?] { vectors.append(vector(age: age, level: level, debts: debts)) }
            }
        }
        // Blocks with both segments, with one only, and a ragged tail.
        let rows = (0..<1_300).map { vectors[$0 < 600 ? $0 % vectors.count : ($0 * 7) % 18] }
        let columns = FeatureColumns(layout: compiled.layout, vectors: rows)
        #expect(compiled.scores(columns) == rows.map { compiled.score($0).score })
        #expect(Set(rows.map { compiled.score($0).segment }) == ["with_level", "base"])
    }

    @Test func segmentedCardsRoundTripThroughYAML() throws {
        let text = TestCards.segmented.yaml()
        #expect(text.contains("segments:") && text.contains("when_present: [level]") && !text.contains("\nfeatures:"))
        #expect(try Scorecard(yaml: text) == TestCards.segmented)
    }

    /// The segmented test card's YAML with `old` replaced, failing the test when `old` is absent.
    private func card(replacing old: String, with new: String) throws -> String {
        let text = TestCards.segmented.yaml()
        try #require(text.contains(old), "\(text)")
        return text.replacingOccurrences(of: old, with: new)
    }

    private func line(of fragment: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) }.map { $0 + 1 }
    }

    @Test(arguments: [
        ("  when_present: [level]\n", "", "segments[0]", "- name: with_level", "every segment but the last needs when_present"),
        ("- name: base\n", "- name: base\n  when_present: [age]\n", "segments[1]", "- name: base", "the last segment"),
        ("when_present: [level]", "when_present: [height]", "segments[0].when_present", "when_present: [height]", "unknown feature height"),
        ("- name: base\n", "- name: with_level\n", "segments[1]", "- name: with_level\n  intercept_points: 500", "defined twice"),
    ])
    func badSegmentsNameTheSegmentAndItsLine(old: String, new: String, path: String, lineText: String, message: String) throws {
        let text = try card(replacing: old, with: new)
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.path == path)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        let expected = lineText.contains("\n")
            ? text.range(of: lineText).map { text[..<$0.lowerBound].count { $0 == "\n" } + 1 }
            : line(of: lineText, in: text)
        #expect(error?.line != nil && error?.line == expected)
    }

    @Test func featuresBesideSegmentsAreRefusedWithTheirLine() throws {
        let text = try card(replacing: "segments:\n", with: "intercept_points: 3\nsegments:\n")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.line == line(of: "intercept_points: 3", in: text))
        #expect(error?.message.contains("in each segment") == true)
    }

    @Test func aFeatureKeepsOneKindAcrossSegments() {
        var card = TestCards.segmented
        card.segments[1].features[0].binning = .categorical(groups: [.init(values: ["old"], points: 1)], otherPoints: 0)
        let error = #expect(throws: ScorecardError.self) { try card.validate() }
        #expect(error?.path == "segments[1].features[0]")
        #expect(error?.message.contains("numeric in an earlier segment") == true)
    }

    @Test func aReasonCodeNamesOneFeatureAcrossSegments() {
        var card = TestCards.segmented
        card.segments[1].features[1].reason.code = "R2"
        let error = #expect(throws: ScorecardError.self) { try card.validate() }
        #expect(error?.path == "segments[1].features[1].reason")
    }
}
