import BrokerCore
import Testing
@testable import Scoring

/// Fusion of records into features: windows, severities, registers against coverage, and
/// inference control.
@Suite struct FeatureFusionTests {
    static let day = CivilDate(year: 2026, month: 11, day: 26)!
    static let all = Set(FusionFeature.allCases.flatMap(\.items))

    static func penalty(_ decided: String, _ severity: String) -> FusionRecord {
        FusionRecord(item: "enterprise.penalty", fields: ["severity": .string(severity)], decisionDate: CivilDate(decided))
    }

    static func month(_ item: String, _ period: String, _ fields: [String: AnswerValue]) -> FusionRecord {
        FusionRecord(item: item, fields: fields.merging(["period": .string(period)]) { $1 })
    }

    static let records: [FusionRecord] = [
        FusionRecord(item: "enterprise.registration", fields: [
            "established_on": .string("2016-11-26"), "registered_capital": .int(600), "operating_status": .string("active"),
        ]),
        penalty("2026-06-01", "general"), penalty("2026-01-10", "minor"), penalty("2025-06-01", "serious"),
        penalty("2023-11-27", "general"), penalty("2023-11-20", "serious"),
        FusionRecord(item: "enterprise.tax_credit_level", fields: ["year": .int(2024), "level": .string("B")]),
        FusionRecord(item: "enterprise.tax_credit_level", fields: ["year": .int(2025), "level": .string("A")]),
        FusionRecord(item: "market.litigation", fields: ["role": .string("defendant")], decisionDate: CivilDate("2025-01-01")),
        FusionRecord(item: "market.litigation", fields: ["role": .string("plaintiff")], decisionDate: CivilDate("2025-01-01")),
        FusionRecord(item: "market.high_tech", fields: [:], publicityStart: CivilDate("2023-01-01"), publicityEnd: CivilDate("2025-12-31")),
    ] + (1...24).flatMap { back -> [FusionRecord] in
        // Months back from November 2026: October 2026 is 1, November 2024 is 24.
        let index = 2026 * 12 + 10 - back
        let period = "\(index / 12)-\(index % 12 + 1 < 10 ? "0" : "")\(index % 12 + 1)"
        return [
            month("market.tax_paid", period, ["tax_paid": .decimal(back <= 12 ? 15_000 : 10_000), "arrears": .int(back == 3 ? 100 : 0)]),
            month("market.social_insurance", period, ["headcount": .int(back <= 12 ? 9 : 10)]),
            month("market.utilities", period, ["days_late": .int(back % 4 == 0 ? 3 : 0)]),
        ]
    }

    @Test func everyFeatureFromRecords() {
        let features = FeatureFusion.features(of: Self.records, available: Self.all, on: Self.day)
        #expect(features[.yearsSinceRegistration] == .number(10))
        #expect(features[.registeredCapitalBand] == .category("500_to_1000"))
        #expect(features[.operatingStatus] == .category("active"))
        #expect(features[.penalties1yGeneral] == .number(2))
        #expect(features[.penalties1ySerious] == .number(0))
        #expect(features[.penalties3y] == .number(4))
        #expect(features[.penalties3ySerious] == .number(1))
        #expect(features[.dishonestMark] == .category("no"))
        #expect(features[.abnormalOperation] == .category("no"))
        #expect(features[.taxCreditLevel] == .category("A"))
        #expect(features[.taxCreditLevelPrevious] == .category("B"))
        #expect(features[.customsLevel] == .category("none"))
        #expect(features[.taxPaid12m] == .number(18))
        #expect(features[.taxTrend] == .number(0.5))
        #expect(features[.taxArrearsMonths12m] == .number(1))
        #expect(features[.socialInsuranceHeadcount] == .number(9))
        #expect(features[.headcountTrend] == .number(-0.1))
        #expect(features[.utilityDelinquencies] == .number(3))
        #expect(features[.utilityDaysLate12m] == .number(9))
        #expect(features[.realEstate] == .category("no"))
        #expect(features[.patents] == .number(0))
        #expect(features[.highTech] == .category("no"))
        #expect(features[.litigationDefendant3y] == .number(1))
        #expect(features[.litigation3y] == .number(2))
    }

    @Test func coverageWithoutRecordsIsMissingAndRegistersWithoutRecordsAreNone() {
        let features = FeatureFusion.features(of: [], available: Self.all, on: Self.day)
        for feature in [FusionFeature.yearsSinceRegistration, .registeredCapitalBand, .taxCreditLevel, .taxCreditLevelPrevious,
                        .taxPaid12m, .taxTrend, .socialInsuranceHeadcount, .headcountTrend, .utilityDelinquencies, .utilityDaysLate12m] {
            #expect(features[feature] == .missing, "\(feature)")
        }
        #expect(features[.penalties3y] == .number(0))
        #expect(features[.dishonestMark] == .category("no"))
        #expect(features[.litigationDefendant3y] == .number(0))
        #expect(features[.litigation3y] == .number(0))
    }

    @Test func withheldItemsMakeTheirFeaturesMissingWhateverTheirRecords() {
        let available = Self.all.subtracting(["market.tax_paid", "enterprise.major_tax_violation"])
        let listed = Self.records + [FusionRecord(item: "enterprise.major_tax_violation", fields: [:], decisionDate: CivilDate("2026-01-01"))]
        let features = FeatureFusion.features(of: listed, available: available, on: Self.day)
        #expect(features == FeatureFusion.features(of: Self.records, available: available, on: Self.day))
        for feature in [FusionFeature.taxPaid12m, .taxTrend, .taxArrearsMonths12m, .dishonestMark] {
            #expect(features[feature] == .missing, "\(feature)")
        }
        #expect(features[.headcountTrend] == .number(-0.1))
    }

    /// The shipped card's segment is chosen from the features the partner may see: without the
    /// monthly market items the subject scores in `records_only` as one without market data,
    /// whatever those items' records say.
    @Test func withheldMarketItemsNeverChooseTheSegmentOrMoveTheScore() throws {
        let card = try TestCards.shippedCard()
        let fusion = try FeatureFusion(layout: card.layout)
        func score(_ records: [FusionRecord], available: Set<String>) -> ScoreResult {
            card.score(fusion.vector(FeatureFusion.features(of: records, available: available, on: Self.day)))
        }
        let monthly: Set = ["market.tax_paid", "market.social_insurance", "market.utilities"]
        let publicOnly = Self.records.filter { !monthly.contains($0.item) }
        func withArrears(_ amount: Int64) -> [FusionRecord] {
            Self.records.map { record in
                var record = record
                if record.item == "market.tax_paid" { record.fields["arrears"] = .int(amount) }
                return record
            }
        }
        // Arrears every month against none (the card's bins tell one month from none, not one from twelve).
        let arrears = withArrears(50_000), noArrears = withArrears(0)
        #expect(score(Self.records, available: Self.all).segment == "market_data")
        let withheld = score(Self.records, available: Self.all.subtracting(monthly))
        #expect(withheld.segment == "records_only")
        #expect(withheld == score(publicOnly, available: Self.all))
        #expect(withheld == score(arrears, available: Self.all.subtracting(monthly)))
        #expect(withheld == score(noArrears, available: Self.all.subtracting(monthly)))
        #expect(score(arrears, available: Self.all).score < score(noArrears, available: Self.all).score)
        for item in monthly {
            #expect(score(Self.records, available: Self.all.subtracting([item])).segment == "market_data", "\(item)")
        }
    }

    @Test func aCardWithAnUnknownFeatureIsRefused() throws {
        #expect(throws: FeatureVectorError.unknownFeature("age")) { try FeatureFusion(layout: CompiledScorecard(TestCards.small).layout) }
    }
}
