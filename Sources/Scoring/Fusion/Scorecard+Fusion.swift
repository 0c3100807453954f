extension Scorecard {
    /// The hard-decline rules of a card over fusion features: a current dishonest-debtor or
    /// major-tax-violation mark, and tax credit level D.
    public static let fusionDeclineRules = [
        DeclineRule(
            feature: FusionFeature.dishonestMark.rawValue, condition: .isOneOf(["yes"]),
            reason: ReasonCode(code: "D01", chinese: "失信被执行人或重大税收违法失信主体，不予授信", english: "Dishonest debtor or major tax violator: declined")),
        DeclineRule(
            feature: FusionFeature.taxCreditLevel.rawValue, condition: .isOneOf(["D"]),
            reason: ReasonCode(code: "D02", chinese: "纳税信用 D 级，不予授信", english: "Tax credit level D: declined")),
    ]

    /// This card with each fusion feature's Chinese and English reason texts (codes kept) and the
    /// ``fusionDeclineRules`` whose feature and value the card has. Other features keep theirs.
    public func withFusionReasons() -> Scorecard {
        var card = self
        for segment in card.segments.indices {
            for index in card.segments[segment].features.indices {
                guard let feature = FusionFeature(rawValue: card.segments[segment].features[index].name) else { continue }
                var reason = feature.reason
                reason.code = card.segments[segment].features[index].reason.code
                card.segments[segment].features[index].reason = reason
            }
        }
        let features = card.segments.flatMap(\.features)
        card.declineRules = Self.fusionDeclineRules.filter { rule in
            guard case let .isOneOf(values) = rule.condition else { return false }
            var listed: Set<String> = []
            for case let .categorical(groups, _) in features.filter({ $0.name == rule.feature }).map(\.binning) {
                listed.formUnion(groups.flatMap(\.values))
            }
            return values.allSatisfy(listed.contains)
        }
        return card
    }
}
