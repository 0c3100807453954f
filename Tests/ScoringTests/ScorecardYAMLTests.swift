import Testing
@testable import Scoring

@Suite struct ScorecardYAMLTests {
    static let fusionFeatures = [
        "years_since_registration", "registered_capital_band", "penalties_1y_general", "penalties_1y_serious",
        "penalties_3y", "dishonest_mark", "abnormal_operation", "tax_credit_level", "customs_level", "tax_paid_12m",
        "tax_trend", "social_insurance_headcount", "headcount_trend", "utility_delinquencies", "real_estate",
        "patents", "high_tech",
    ]

    @Test func exampleCardLoadsAndCoversTheFusionFeatures() throws {
        let card = try Scorecard(yaml: TestCards.exampleCardText())
        #expect(card.version == "sme-lending-v1.0")
        #expect(!card.isSegmented && card.segments[0].features.map(\.name) == Self.fusionFeatures)
        #expect(card.declineRules.map(\.reason.code) == ["D01", "D02", "D03"])
        _ = try CompiledScorecard(card)
    }

    @Test func cardsRoundTripThroughYAML() throws {
        for card in [TestCards.small, try Scorecard(yaml: TestCards.exampleCardText())] {
            let text = card.yaml()
            #expect(try Scorecard(yaml: text) == card, "\(text)")
        }
    }

    @Test func trickyValuesSurviveTheRoundTrip() throws {
        var card = TestCards.small
        card.segments[0].features[1].binning = .categorical(groups: [.init(values: ["yes", "no", "1.5", "", "a: b"], points: 0.1)], otherPoints: -3.25)
        card.declineRules = [DeclineRule(feature: "level", condition: .isOneOf(["yes"]), reason: TestCards.reason("D1"))]
        #expect(try Scorecard(yaml: card.yaml()) == card)
    }

    /// `text` with `old` replaced, failing the test when `old` is absent.
    private func exampleCard(replacing old: String, with new: String) throws -> String {
        let text = try TestCards.exampleCardText()
        try #require(text.contains(old))
        return text.replacingOccurrences(of: old, with: new)
    }

    private func lineNumber(of fragment: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) }.map { $0 + 1 }
    }

    @Test func aGapBetweenBinsNamesTheBinAndItsLine() throws {
        let text = try exampleCard(replacing: "{ from: 3, to: 8, points: 22 }", with: "{ from: 4, to: 8, points: 22 }")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.path == "features[0].bins[2]")
        #expect(error?.line == lineNumber(of: "{ from: 4, to: 8, points: 22 }", in: text))
        #expect(error?.message.contains("previous bin") == true)
    }

    @Test func aBadNumberNamesItsLine() throws {
        let text = try exampleCard(replacing: "{ from: 5, to: 50, points: 20 }", with: "{ from: 5, to: 50, points: twenty }")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.line == lineNumber(of: "points: twenty", in: text))
        #expect(error?.description.contains("twenty") == true)
    }

    @Test func anUnknownKeyNamesItsLine() throws {
        let text = try exampleCard(replacing: "    kind: numeric\n    missing: 0\n", with: "    kind: numeric\n    missng: 0\n")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.line == lineNumber(of: "missng", in: text))
    }

    @Test func aDeclineRuleOnAnUnlistedValueIsRejected() throws {
        let text = try exampleCard(replacing: "in: [\"D\"]", with: "in: [\"E\"]")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.path == "decline_rules[1]")
        #expect(error?.line == lineNumber(of: "- feature: tax_credit_level", in: text))
    }

    /// A numeric feature's `groups` is a key its kind does not have: the reader's own check names
    /// it and its line, and a numeric feature without bins is missing them, as for any mapping.
    @Test func aKeyOfTheOtherKindIsUnknownAtItsLine() throws {
        let text = try exampleCard(replacing: "    kind: numeric\n    missing: 0\n", with: "    kind: numeric\n    missing: 0\n    groups: []\n")
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: text) }
        #expect(error?.line == lineNumber(of: "groups: []", in: text))
        #expect(error?.message.contains("unknown key 'groups' in features[0]") == true)
        #expect(error?.message.contains("bins, special") == true)
        let noBins = try exampleCard(replacing: "    bins:", with: "    binz:")
        let missing = #expect(throws: ScorecardError.self) { try Scorecard(yaml: noBins) }
        #expect(missing.map { ([$0] + $0.further).contains { $0.message == "features[0] is missing 'bins'" } } == true)
    }

    /// Every problem the reader finds is in the error, each with its own line, the first in front.
    @Test func everyProblemOfTheTextIsReportedWithItsLine() throws {
        let text = try exampleCard(replacing: "{ from: 5, to: 50, points: 20 }", with: "{ from: 5, to: 50, points: twenty }")
            .replacingOccurrences(of: "    kind: numeric\n    missing: 0\n", with: "    kind: numeric\n    missng: 0\n")
        let error = try #require(#expect(throws: ScorecardError.self) { try Scorecard(yaml: text) })
        let all = [error] + error.further
        #expect(all.count >= 3, "\(error)")
        #expect(all.contains { $0.line == lineNumber(of: "points: twenty", in: text) && $0.message.contains("a number") })
        #expect(all.contains { $0.line == lineNumber(of: "missng", in: text) && $0.message.contains("unknown key 'missng'") })
        #expect(all.contains { $0.message.contains("is missing 'missing'") })
        // The description lists them all, one a line.
        #expect(error.description.split(separator: "\n").count == all.count)
        #expect(error.description.contains("twenty") && error.description.contains("missng"))
    }

    @Test func brokenYAMLSyntaxNamesItsLine() {
        let error = #expect(throws: ScorecardError.self) { try Scorecard(yaml: "name: x\nversion: [1, 2\nscaling: {}\n") }
        #expect(error?.line != nil)
    }

    @Test func unknownPlaceholdersAreRejected() {
        var card = TestCards.small
        card.segments[0].features[0].reason.english = "age {years}"
        #expect(throws: ScorecardError.self) { try card.validate() }
    }
}
