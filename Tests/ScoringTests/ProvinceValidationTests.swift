import BrokerCore
import Foundation
import SyntheticProvince
import Testing
@testable import Scoring

/// Fuse a synthetic province's records through the same fusion code the gateway uses, train a
/// card on part of it and check it on the rest against the generator's true default propensity.
///
/// The generator draws each organisation's default from a latent risk that shows only through its
/// records. Market data (monthly tax, social insurance, utilities) reveal it well; an organisation
/// without them (most individual businesses) shows little beyond the odd penalty or listing, so no
/// card can rank those near the true propensity. The tolerance is therefore checked on the
/// organisations with market data, and the whole population's shortfall is only bounded.
@Suite struct ProvinceValidationTests {
    static let generator = ProvinceGenerator(
        ProvinceConfiguration(seed: 11, organisations: 40_000, persons: 0, asOf: CivilDate(year: 2026, month: 11, day: 26)!))

    struct Fixture {
        let holdout: ProvinceScoringData
        let report: ScorecardTrainer.Report
        let card: CompiledScorecard
        let scores: [Double]
    }

    static let fixture: Fixture = {
        let catalog = try! Catalog(
            yaml: String(contentsOf: TestCards.repositoryRoot.appending(path: "Policies/catalog.yaml"), encoding: .utf8),
            file: "catalog.yaml", knownMaskRules: nil)
        let training = ProvinceScoringData(generator: generator, organisations: 0..<24_000, catalog: catalog)
        let holdout = ProvinceScoringData(generator: generator, organisations: 24_000..<40_000, catalog: catalog)
        var options = TrainingOptions(target: TargetColumn(name: ProvinceScoringData.target))
        options.binner = FeatureBinner(method: .tree, monotonic: true)
        let report = try! ScorecardTrainer(options: options).train(training.table)
        let card = try! CompiledScorecard(report.card.withFusionReasons())
        let fusion = try! FeatureFusion(layout: card.layout)
        let scores = holdout.features.map { Double(card.score(fusion.vector($0)).score) }
        return Fixture(holdout: holdout, report: report, card: card, scores: scores)
    }()

    /// AUC of the card's scores and of the true propensity over the held-out rows `rows`.
    func aucs(_ rows: [Int]) throws -> (card: Double, truth: Double) {
        let fixture = Self.fixture
        let isBad = rows.map { fixture.holdout.defaulted[$0] }
        return (try #require(ModelMetrics.auc(scores: rows.map { fixture.scores[$0] }, isBad: isBad)),
                try #require(ModelMetrics.auc(scores: rows.map { -fixture.holdout.defaultProbabilities[$0] }, isBad: isBad)))
    }

    @Test func onOrganisationsWithMarketDataTheCardRanksNearlyAsWellAsTheTruePropensity() throws {
        let holdout = Self.fixture.holdout
        let covered = holdout.features.indices.filter { holdout.features[$0][.taxTrend] != .missing }
        #expect(covered.count > 1500)
        let (card, truth) = try aucs(covered)
        #expect(abs(card - truth) < 0.03, "card \(card), true propensity \(truth) on \(covered.count) organisations")
        let (allCard, allTruth) = try aucs(Array(holdout.features.indices))
        #expect(allCard > 0.65 && allTruth - allCard < 0.15, "card \(allCard), true propensity \(allTruth) on all")
    }

    @Test func theTopReasonCodesNameTheFeaturesThatDriveDefault() throws {
        let fixture = Self.fixture
        // The generator's latent risk raises these; age, capital, real estate, customs and the
        // level of tax paid or headcount do not depend on it.
        let drivers: Set<FusionFeature> = [
            .operatingStatus, .penalties1yGeneral, .penalties1ySerious, .penalties3y, .penalties3ySerious, .dishonestMark,
            .abnormalOperation, .taxCreditLevel, .taxTrend, .taxArrearsMonths12m, .headcountTrend, .utilityDelinquencies,
            .patents, .highTech, .litigationDefendant3y,
        ]
        let used = Set(fixture.card.layout.names.map { FusionFeature(rawValue: $0)! })
        #expect(used.isSubset(of: drivers), "\(used.subtracting(drivers))")
        let fusion = try FeatureFusion(layout: fixture.card.layout)
        var firstReasons: [String: Int] = [:]
        for row in fixture.holdout.features.indices where fixture.holdout.defaulted[row] {
            let vector = fusion.vector(fixture.holdout.features[row])
            if let first = fixture.card.explain(fixture.card.score(vector), for: vector).first {
                firstReasons[first.feature, default: 0] += 1
                #expect(!first.chinese.contains("{") && !first.english.contains("{"))
            }
        }
        let top = firstReasons.sorted { $0.value > $1.value }.prefix(3).map(\.key)
        #expect(top.count == 3 && top.allSatisfy { drivers.contains(FusionFeature(rawValue: $0)!) }, "\(firstReasons)")
    }
}
