import Foundation
import BrokerCore
import Testing
@testable import Scoring

/// Reason texts read correctly in both languages for every value a card can report.
@Suite struct ReasonTextTests {
    /// The ways a rendered reason can read badly; empty when it reads well.
    static func wordingProblems(chinese: String, english: String, value: String?) -> [String] {
        var problems: [String] = []
        for text in [chinese, english] {
            if text.contains("{") || text.contains("}") { problems.append("unfilled placeholder in \"\(text)\"") }
            if text.contains("  ") || text != text.trimmingCharacters(in: .whitespaces) { problems.append("stray space in \"\(text)\"") }
        }
        if let first = english.first, first.isLetter, !first.isUppercase { problems.append("lower-case start: \"\(english)\"") }
        // A value written in English inside the Chinese text (高新技术企业：no, 登记状态为 revoked).
        if chinese.range(of: "[a-z]{2,}", options: .regularExpression) != nil { problems.append("an English word in \"\(chinese)\"") }
        if let value {
            if value == "1" {
                // The noun the number counts ends the words before the first preposition; it is not plural.
                let words = english.split(separator: " ")
                if let index = words.firstIndex(of: "1"),
                   let noun = words[(index + 1)...].prefix(while: { !["in", "of", "on", "late", "since"].contains($0) }).last,
                   noun.hasSuffix("s") {
                    problems.append("\"1 … \(noun)\" in \"\(english)\"")
                }
            }
        } else {
            // The missing text closes the reason: no unit or noun after it.
            if !chinese.hasSuffix("缺失") { problems.append("text after 缺失 in \"\(chinese)\"") }
            if !english.hasSuffix("not available") { problems.append("text after \"not available\" in \"\(english)\"") }
            if english.localizedCaseInsensitiveContains("missing") { problems.append("\"missing\" used as a word in \"\(english)\"") }
        }
        return problems
    }

    /// A value of every bin of `feature` as the card describes it, the singular 1 of a numeric
    /// feature, an unlisted category, and missing (`nil`).
    static func values(of feature: ScorecardFeature, in card: CompiledScorecard) -> [String?] {
        let slot = card.layout.slot(named: feature.name)!
        var values: [FeatureValue] = [.missing]
        switch feature.binning {
        case let .numeric(bins, specials):
            for bin in bins {
                values.append(.number(bin.lower.isFinite ? bin.lower : bin.upper.isFinite ? bin.upper - 1 : 0))
            }
            values += specials.map { .number($0.value) } + [.number(1)]
        case let .categorical(groups, _):
            values += groups.flatMap(\.values).map { .category(card.layout.code(of: $0, inSlot: slot)) }
            values.append(.category(FeatureLayout.unlistedCategory))
        }
        return values.map { card.layout.describe($0, inSlot: slot) }
    }

    /// The shipped card, and the expert-set card before it.
    static func cards() throws -> [CompiledScorecard] {
        [try TestCards.shippedCard(), try CompiledScorecard(yaml: TestCards.exampleCardText())]
    }

    @Test func everyReasonOfTheCardsReadsCorrectlyForEveryBin() throws {
        for card in try Self.cards() {
            var rendered = 0
            for segment in card.card.segments {
                for feature in segment.features {
                    for value in Self.values(of: feature, in: card) {
                        let texts = feature.reason.texts(feature: feature.name, value: value)
                        let problems = Self.wordingProblems(chinese: texts.chinese, english: texts.english, value: value)
                        #expect(problems.isEmpty, "\(feature.reason.code) for \(value ?? "missing"): \(problems)")
                        rendered += 1
                    }
                }
            }
            #expect(rendered > 50)
        }
    }

    @Test func declineReasonsReadCorrectly() throws {
        for card in try Self.cards() {
            for rule in card.card.declineRules {
                let values = switch rule.condition {
                case let .isOneOf(values): values
                default: ["1", "2"]
                }
                for value in values {
                    let texts = rule.reason.texts(feature: rule.feature, value: value)
                    #expect(Self.wordingProblems(chinese: texts.chinese, english: texts.english, value: value).isEmpty, "\(texts)")
                }
            }
        }
    }

    @Test func withheldFeaturesReadAsMissing() throws {
        let card = try TestCards.shippedCard()
        // No item available to the partner: every feature is withheld, so missing.
        let features = FeatureFusion.features(of: [FusionRecord](), available: [], on: CivilDate(year: 2026, month: 11, day: 26)!)
        let vector = try FeatureFusion(layout: card.layout).vector(features)
        let reasons = card.explain(card.score(vector), for: vector)
        #expect(!reasons.isEmpty)
        for reason in reasons {
            #expect(reason.value == nil)
            #expect(Self.wordingProblems(chinese: reason.chinese, english: reason.english, value: nil).isEmpty, "\(reason)")
        }
    }

    @Test func theRulesCatchTheOldWording() {
        #expect(!Self.wordingProblems(chinese: "近三年行政处罚 1 次", english: "1 penalties in the last three years", value: "1").isEmpty)
        #expect(!Self.wordingProblems(chinese: "近三年涉诉 缺失 件", english: "Lawsuits in the last three years: not available", value: nil).isEmpty)
        #expect(!Self.wordingProblems(chinese: "近三年涉诉件数：缺失", english: "missing lawsuits in the last three years", value: nil).isEmpty)
    }

    @Test func wordChoicesAgreeWithTheValue() {
        let reason = ReasonCode(code: "R1", chinese: "处罚 {value} 次", english: "{value} {penalty|penalties} for {feature}")
        #expect(reason.texts(feature: "f", value: "1").english == "1 penalty for f")
        #expect(reason.texts(feature: "f", value: "0").english == "0 penalties for f")
        #expect(reason.texts(feature: "f", value: "2").english == "2 penalties for f")
        #expect(reason.texts(feature: "f", value: nil) == ("f：缺失", "f: not available"))
        #expect(reason.texts(feature: "f", value: "{a|b}").english == "{a|b} penalties for f")
    }

    @Test func malformedChoicesAndValuesInMissingTextsAreRejected() {
        for (english, missing) in [("{value} {penalty|}", "none"), ("{value} {a|b|c}", "none"), ("{value}", "{value} missing")] {
            var card = TestCards.small
            card.segments[0].features[0].reason.english = english
            card.segments[0].features[0].reason.missingEnglish = missing
            #expect(throws: ScorecardError.self) { try card.validate() }
        }
    }

    @Test func shippedCardHoldsTheFusionTexts() throws {
        let card = try TestCards.shippedCard().card
        let regenerated = card.withFusionReasons()
        #expect(regenerated.segments.map { $0.features.map(\.reason) } == card.segments.map { $0.features.map(\.reason) })
    }
}
