import BrokerCore

/// The settings training chooses by k-fold cross-validation on the training rows: every
/// combination of the candidates is binned, selected and fitted on k − 1 folds and ranked by its
/// mean AUC on the held-out fold; the best combination is then refitted on all rows. A list of
/// one candidate fixes that setting; with every list fixed no cross-validation runs.
public struct ModelSearch: Sendable, Hashable {
    /// Folds, stratified by the target.
    public var folds = 5
    /// Seed of the fold assignment.
    public var seed: UInt64 = 1
    /// Candidates for ``FeatureBinner/maxBins``, simplest first (ties go to the earlier one).
    public var maxBins: [Int] = [4, 6, 8]
    /// Candidates for ``FeatureBinner/noiseZ``.
    public var noiseZ: [Double] = [0, 1]
    /// Candidates for ``FeatureBinner/monotonicity``.
    public var monotonicity: [Monotonicity] = [.on, .auto]
    /// Candidates for the L2 penalty, per training row (the fit on n rows uses `n ·` this),
    /// strongest first.
    public var l2PerRow: [Double] = [0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0]

    public init() {}

    /// Whether any setting has more than one candidate.
    public var searches: Bool {
        folds > 1 && (maxBins.count > 1 || noiseZ.count > 1 || monotonicity.count > 1 || l2PerRow.count > 1)
    }

    /// One combination of the candidates.
    public struct Candidate: Sendable, Hashable {
        public var maxBins: Int
        public var noiseZ: Double
        public var monotonicity: Monotonicity
        public var l2PerRow: Double
    }

    /// Every combination, in candidate order (so earlier, simpler ones win ties; the penalty varies fastest).
    var candidates: [Candidate] {
        maxBins.flatMap { bins in
            noiseZ.flatMap { z in
                monotonicity.flatMap { mode in l2PerRow.map { Candidate(maxBins: bins, noiseZ: z, monotonicity: mode, l2PerRow: $0) } }
            }
        }
    }

    /// The fold of each row: bads and goods each shuffled with ``seed``, then dealt round-robin.
    func foldOfRow(_ isBad: [Bool]) -> [Int] {
        var random = SplitMix64(seed: seed)
        var fold = Array(repeating: 0, count: isBad.count)
        for label in [true, false] {
            let rows = isBad.indices.filter { isBad[$0] == label }.shuffled(using: &random)
            for (position, row) in rows.enumerated() { fold[row] = position % folds }
        }
        return fold
    }
}
