import Scoring

/// The best ranking that a subject's observable features allow, estimated on a synthetic province
/// whose true default propensities are known: the mean true propensity of the training subjects
/// that show exactly the same values of every feature the latent risk drives, shrunk towards the
/// overall mean for combinations seen only a few times.
///
/// Exact matching needs discrete features, so the oracle suits the organisations without market
/// data, whose risk-driven features are counts, marks and levels.
public struct ObservableOracle: Sendable {
    /// Features the synthetic province draws independently of the latent risk: age, capital, real
    /// estate, and the level (not the trend) of tax paid and headcount.
    public static let riskIndependent: Set<FusionFeature> = [
        .yearsSinceRegistration, .registeredCapitalBand, .realEstate, .taxPaid12m, .socialInsuranceHeadcount,
    ]

    private struct Group {
        var sum = 0.0
        var count = 0.0
    }

    private let observed = FusionFeature.allCases.filter { !Self.riskIndependent.contains($0) }
    private let groups: [[FusedFeatures.Value]: Group]
    private let mean: Double
    /// Weight of the overall mean, in subjects, in each combination's estimate.
    private let prior: Double

    /// Estimates the oracle from `features` and their true default `probabilities`.
    public init(features: [FusedFeatures], probabilities: [Double], prior: Double = 2) {
        precondition(features.count == probabilities.count && !features.isEmpty, "one probability per subject, at least one")
        var groups: [[FusedFeatures.Value]: Group] = [:]
        for (subject, probability) in zip(features, probabilities) {
            let key = observed.map { subject[$0] }
            groups[key, default: Group()].sum += probability
            groups[key, default: Group()].count += 1
        }
        self.groups = groups
        mean = probabilities.reduce(0, +) / Double(probabilities.count)
        self.prior = prior
    }

    /// The estimated default probability of a subject with `features`.
    public func probability(_ features: FusedFeatures) -> Double {
        let group = groups[observed.map { features[$0] }] ?? Group()
        return (group.sum + prior * mean) / (group.count + prior)
    }
}
