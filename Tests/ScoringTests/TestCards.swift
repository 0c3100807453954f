import Foundation
@testable import Scoring

/// Small cards and files shared by the tests.
enum TestCards {
    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func exampleCardText() throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("Policies/scorecards/sme-lending-v1.yaml"), encoding: .utf8)
    }

    /// The card `/v1/scores` serves.
    static func shippedCard() throws -> CompiledScorecard {
        try CompiledScorecard(yaml: String(
            contentsOf: repositoryRoot.appendingPathComponent("Policies/scorecards/sme-lending-v3.yaml"), encoding: .utf8))
    }

    static func reason(_ code: String) -> ReasonCode {
        ReasonCode(code: code, chinese: "{feature} 为 {value}", english: "{feature} is {value}")
    }

    /// Three features: age (numeric with a special value), level (categorical), debts (numeric).
    static let small = Scorecard(
        name: "test", version: "test-v1", scaling: ScoreScaling(), interceptPoints: 500, reasonCount: 2,
        features: [
            ScorecardFeature(
                name: "age",
                binning: .numeric(
                    bins: [.init(lower: -.infinity, upper: 2, points: 0), .init(lower: 2, upper: 5, points: 20),
                           .init(lower: 5, upper: .infinity, points: 40)],
                    specialValues: [.init(value: -1, points: 10)]),
                missingPoints: 5, reason: reason("R1")),
            ScorecardFeature(
                name: "level",
                binning: .categorical(
                    groups: [.init(values: ["A"], points: 30), .init(values: ["B", "M"], points: 15), .init(values: ["D"], points: 0)],
                    otherPoints: 10),
                missingPoints: 12, reason: reason("R2")),
            ScorecardFeature(
                name: "debts",
                binning: .numeric(
                    bins: [.init(lower: -.infinity, upper: 1, points: 40), .init(lower: 1, upper: .infinity, points: 0)],
                    specialValues: []),
                missingPoints: 20, reason: reason("R3")),
        ],
        declineRules: [
            DeclineRule(feature: "level", condition: .isOneOf(["D"]), reason: reason("D1")),
            DeclineRule(feature: "debts", condition: .atLeast(5), reason: reason("D2")),
            DeclineRule(feature: "age", condition: .equals(-1), reason: reason("D3")),
            DeclineRule(feature: "age", condition: .atMost(-10), reason: reason("D4")),
        ],
        grades: GradeBand.standard(for: ScoreScaling())
    )

    /// Two segments over the features of ``small``: `with_level` (a level is present: its own
    /// age bins and the level) and `base` (age and debts, no level).
    static let segmented: Scorecard = {
        var card = small
        card.version = "test-v2"
        card.declineRules = [small.declineRules[1]]
        let base = small.segments[0]
        card.segments = [
            ScorecardSegment(name: "with_level", whenPresent: ["level"], interceptPoints: 450, features: [
                ScorecardFeature(
                    name: "level",
                    binning: .categorical(groups: [.init(values: ["A"], points: 40), .init(values: ["B", "Z"], points: 10)], otherPoints: 5),
                    missingPoints: 0, reason: reason("R2")),
                ScorecardFeature(
                    name: "age",
                    binning: .numeric(
                        bins: [.init(lower: -.infinity, upper: 3, points: 0), .init(lower: 3, upper: .infinity, points: 30)], specialValues: []),
                    missingPoints: 5, reason: reason("R1")),
            ]),
            ScorecardSegment(name: "base", interceptPoints: 500, features: [base.features[0], base.features[2]]),
        ]
        return card
    }()
}
