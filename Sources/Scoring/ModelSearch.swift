import BrokerCore
import Foundation

/// The settings training chooses by k-fold cross-validation on the training rows. Each
/// combination of the binning candidates is binned, selected and fitted on k − 1 folds with
/// every other penalty of ``l2PerRow`` and measured on the held-out fold; the best binning is
/// then fitted with the penalties in between. The best candidate has the highest mean held-out
/// AUC, or, among those within ``aucTolerance`` of it, the lowest mean held-out log-loss (so
/// of rankings alike, the better calibrated); it is then refitted on all rows, and with
/// ``TrainingOptions/meanOfFoldCards`` averaged with every candidate within ``standardErrors``
/// of it (on large sets, those of their cards that keep its features; ``averagingRows``). A list
/// of one candidate fixes that setting; with every list fixed no cross-validation runs.
public struct ModelSearch: Sendable, Hashable {
    /// Folds, stratified by the target.
    public var folds = 5
    /// How many times the rows are dealt into folds afresh (each with its own seed); every
    /// candidate's AUC and log-loss are the means over all deals' held-out folds, so that the
    /// ranking of close candidates rests on more than one deal. `nil`: as many deals as it takes
    /// for the held-out folds to have scored ``heldOutRows`` rows, at most ``maximumRepeats``
    /// (one on large sets, where a deal's AUCs are steady; more on small ones, where they are not).
    public var repeats: Int?
    /// Held-out rows the automatic ``repeats`` aims for.
    public var heldOutRows = 5_000
    /// Most deals the automatic ``repeats`` makes.
    public var maximumRepeats = 3
    /// Seed of the fold assignment.
    public var seed: UInt64 = 1
    /// Candidates for ``FeatureBinner/method``.
    public var methods: [BinningMethod] = [.tree, .quantile]
    /// Candidates for ``FeatureBinner/maxBins``.
    public var maxBins: [Int] = [4, 6, 8]
    /// Candidates for ``FeatureBinner/minBinShare``: the least share of rows a numeric bin or a
    /// category group keeps on its own.
    public var minBinShare: [Double] = [0.05, 0.02]
    /// Candidates for ``FeatureBinner/noiseZ``.
    public var noiseZ: [Double] = [0, 1]
    /// Candidates for ``FeatureBinner/monotonicity``. ``Monotonicity/peakValley`` is not among them
    /// by default: as a third candidate it moved test AUC by +0.0004 ± 0.0003 on `german` (40 splits)
    /// and by less on three other public sets, for 44 % more training time (README, "A peak-or-valley trend").
    public var monotonicity: [Monotonicity] = [.on, .auto]
    /// Candidates for ``TrainingOptions/minimumInformationValue`` (empty: the options' value).
    public var minimumInformationValue: [Double] = [0.02, 0.005]
    /// Candidates for the L2 penalty, per training row (the fit on n rows uses `n ·` this),
    /// strongest first; the weakest still keeps exactly collinear bins apart.
    public var l2PerRow: [Double] = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0001]
    /// Candidates for the slope the penalty pulls each feature's WOE slope toward: 0 (the
    /// feature left out) or −1 (the feature's WOE as it stands, as in a card that adds up WOE).
    public var slopePrior: [Double] = [0, -1]
    /// Mean AUCs this close to the best count as equal (far below the folds' sampling noise).
    public var aucTolerance = 0.0005

    /// How many standard errors below the best mean held-out AUC a candidate may fall and still
    /// count as one the search cannot tell from the best. The standard error is the spread of the
    /// best candidate's fold AUCs over the square root of ``folds`` (repeated deals reuse the same
    /// rows, so they do not shrink it). With ``TrainingOptions/meanOfFoldCards`` the card is the
    /// mean of every such candidate's cards, not the best's alone: on few rows many candidates are
    /// within noise of each other, and the best of them is partly the luckiest (the winner's curse);
    /// their mean does not bet on one. 0: the best alone.
    public var standardErrors = 1.0
    /// From this many rows up, a card of another candidate within ``standardErrors`` of the best
    /// joins the mean only if it keeps exactly the features of the best's fit on all rows: the mean
    /// is then over binnings and penalties, not over which features to keep. Averaged freely on
    /// such sets, the candidates with a lower IV threshold or finer bins (and their fold fits)
    /// gave points to weak features the best had left out (in the synthetic province, features its
    /// latent risk does not drive; `ProvinceValidationTests`). Smaller sets average every such card.
    public var averagingRows = 5_000

    public init() {}

    /// The deals of `rows` rows into folds: ``repeats``, or as many as reach ``heldOutRows``.
    public func deals(rows: Int) -> Int {
        if let repeats { return max(1, repeats) }
        return min(maximumRepeats, max(1, (heldOutRows + rows - 1) / max(1, rows)))
    }

    /// Whether any setting has more than one candidate.
    public var searches: Bool {
        folds > 1 && [methods.count, maxBins.count, minBinShare.count, noiseZ.count, monotonicity.count, minimumInformationValue.count, slopePrior.count,
                      l2PerRow.count]
            .contains { $0 > 1 }
    }

    /// One combination of the candidates.
    public struct Candidate: Sendable, Hashable {
        public var method: BinningMethod
        public var maxBins: Int
        public var minBinShare: Double
        public var noiseZ: Double
        public var monotonicity: Monotonicity
        public var minimumInformationValue: Double
        public var slopePrior: Double
        public var l2PerRow: Double
    }

    /// Every combination of the binning settings (the penalty, its prior and the IV threshold left at their first candidates).
    var binnings: [Candidate] {
        methods.flatMap { method in
            maxBins.flatMap { bins in
                minBinShare.flatMap { share in
                    noiseZ.flatMap { z in
                        monotonicity.map { mode in
                            Candidate(method: method, maxBins: bins, minBinShare: share, noiseZ: z, monotonicity: mode,
                                      minimumInformationValue: minimumInformationValue.first ?? 0, slopePrior: slopePrior.first ?? 0,
                                      l2PerRow: l2PerRow.first ?? 0)
                        }
                    }
                }
            }
        }
    }

    /// The fold of each row: bads and goods each shuffled with ``seed`` (plus the repeat), then
    /// dealt round-robin.
    func foldOfRow(_ isBad: [Bool], repeat round: Int = 0) -> [Int] {
        var random = SplitMix64(seed: seed &+ UInt64(round))
        var fold = Array(repeating: 0, count: isBad.count)
        for label in [true, false] {
            let rows = isBad.indices.filter { isBad[$0] == label }.shuffled(using: &random)
            for (position, row) in rows.enumerated() { fold[row] = position % folds }
        }
        return fold
    }
}
