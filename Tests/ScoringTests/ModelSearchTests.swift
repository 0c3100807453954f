import BrokerCore
import Formats
@testable import Scoring
import ScoringValidation
import Testing

/// What cross-validation chooses, the filters around the regression, and the report of both.
@Suite struct ModelSearchTests {
    static let training = SyntheticCreditData(rows: 6_000, seed: 5)
    static let table = try! CSVTable(parsing: training.csv)

    static func options() -> TrainingOptions {
        var options = TrainingOptions(target: TargetColumn(name: SyntheticCreditData.target))
        options.search.methods = [.tree]
        options.search.maxBins = [3, 8]
        options.search.minimumInformationValue = [0.02]
        options.search.slopePrior = [0]
        options.search.minBinShare = [0.05]
        options.search.noiseZ = [0, 1]
        options.search.monotonicity = [.auto]
        options.search.l2PerRow = [0.03, 0]
        options.search.folds = 3
        return options
    }

    /// Every binning is measured with every other penalty, the best binning with the rest; the
    /// one fitted has the best held-out AUC, or nearly so and the lowest log-loss, and the final
    /// penalty is its per-row penalty times the rows.
    @Test func theBestCandidateIsFittedOnAllRows() throws {
        let options = Self.options()
        let report = try ScorecardTrainer(options: options).train(Self.table)
        let segment = try #require(report.segments.first)
        // 2 × 2 binnings with the penalty 0.03, then the best binning with the penalty 0.
        #expect(segment.search.count == 5)
        #expect(Set(segment.search.map(\.candidate)).count == 5)
        #expect(segment.search.filter { $0.candidate.l2PerRow == 0 }.count == 1)
        let best = try #require(segment.search.map(\.meanAUC).max())
        let chosen = try #require(segment.search.first { $0.candidate == segment.chosen })
        #expect(chosen.meanAUC >= best - options.search.aucTolerance)
        #expect(segment.search.filter { $0.meanAUC >= best - options.search.aucTolerance }.allSatisfy { $0.meanLogLoss >= chosen.meanLogLoss })
        #expect(abs(segment.l2 - segment.chosen.l2PerRow * Double(Self.training.rows.count)) < 1e-9)
        #expect(segment.search.allSatisfy { $0.meanAUC > 0.6 && $0.meanAUC < 1 && $0.meanLogLoss > 0 })
        // Held-out AUC differs between candidates: the search measures something.
        #expect(Set(segment.search.map(\.meanAUC)).count > 1)
        // The fitted features' bins respect the chosen maximum.
        #expect(segment.features.allSatisfy { $0.bins <= segment.chosen.maxBins })
    }

    /// Ranking: within the AUC tolerance of the best, lower log-loss first; then by AUC.
    @Test func rankingPrefersTheBetterCalibratedOfEqualRankings() {
        func candidate(_ l2: Double) -> ModelSearch.Candidate {
            ModelSearch.Candidate(method: .tree, maxBins: 4, minBinShare: 0.05, noiseZ: 0, monotonicity: .on, minimumInformationValue: 0, slopePrior: 0, l2PerRow: l2)
        }
        let results = [
            ScorecardTrainer.SearchResult(candidate: candidate(1), meanAUC: 0.8000, meanLogLoss: 0.50),
            ScorecardTrainer.SearchResult(candidate: candidate(2), meanAUC: 0.7998, meanLogLoss: 0.45),
            ScorecardTrainer.SearchResult(candidate: candidate(3), meanAUC: 0.7900, meanLogLoss: 0.40),
            ScorecardTrainer.SearchResult(candidate: candidate(4), meanAUC: 0.7950, meanLogLoss: .infinity),
        ]
        #expect(ScorecardTrainer.rank(results, aucTolerance: 0.0005).map(\.l2PerRow) == [2, 1, 4, 3])
    }

    /// The candidates the search cannot tell from the best: within one standard error (the spread
    /// of the best's fold AUCs over √folds) of its mean held-out AUC, none with a failed fold;
    /// with no standard errors allowed, the best alone.
    @Test func theCandidatesWithinOneStandardErrorOfTheBestAreIndistinguishable() {
        func result(_ l2: Double, _ folds: [Double], logLoss: Double = 0.5) -> ScorecardTrainer.SearchResult {
            let candidate = ModelSearch.Candidate(method: .tree, maxBins: 4, minBinShare: 0.05, noiseZ: 0, monotonicity: .on,
                                                  minimumInformationValue: 0, slopePrior: 0, l2PerRow: l2)
            return .init(candidate: candidate, meanAUC: folds.reduce(0, +) / Double(folds.count), meanLogLoss: logLoss, foldAUCs: folds)
        }
        // The best: mean 0.80, fold deviation 0.0163, so one standard error over 4 folds is 0.0082.
        let best = result(1, [0.78, 0.80, 0.82, 0.80])
        let within = result(2, [0.785, 0.795, 0.805, 0.795])   // 0.795
        let beyond = result(3, [0.77, 0.78, 0.79, 0.78])       // 0.78
        let failed = result(4, [0.81, 0.81, 0.81, 0.81], logLoss: .infinity)
        var search = ModelSearch()
        search.folds = 4
        #expect(search.standardErrors == 1)
        let all = [beyond, within, failed, best]
        #expect(ScorecardTrainer.indistinguishable(from: all, search: search).map(\.candidate.l2PerRow) == [2, 1])
        search.standardErrors = 3
        #expect(ScorecardTrainer.indistinguishable(from: all, search: search).map(\.candidate.l2PerRow) == [3, 2, 1])
        search.standardErrors = 0
        #expect(ScorecardTrainer.indistinguishable(from: all, search: search).map(\.candidate.l2PerRow) == [1])
    }

    /// The same options give the same folds and the same card.
    @Test func theSearchIsDeterministic() throws {
        let first = try ScorecardTrainer(options: Self.options()).train(Self.table)
        let second = try ScorecardTrainer(options: Self.options()).train(Self.table)
        #expect(first.card == second.card)
        #expect(first.segments[0].search.map(\.meanAUC) == second.segments[0].search.map(\.meanAUC))
    }

    /// Without a fixed number, small sets are dealt into folds until the held-out folds have
    /// scored 5,000 rows, at most 3 times; a fixed number is kept. Each deal is stratified and its
    /// own: the search over 2 deals ranks on other means than over 1, the same each time.
    @Test func smallSetsAreDealtIntoFoldsMoreThanOnce() throws {
        var search = ModelSearch()
        #expect(search.deals(rows: 700) == 3 && search.deals(rows: 1_666) == 3 && search.deals(rows: 3_117) == 2)
        #expect(search.deals(rows: 5_000) == 1 && search.deals(rows: 200_000) == 1)
        search.repeats = 2
        #expect(search.deals(rows: 200_000) == 2)
        let isBad = (0..<1000).map { $0 % 10 == 0 }
        #expect(search.foldOfRow(isBad, repeat: 0) != search.foldOfRow(isBad, repeat: 1))
        #expect(search.foldOfRow(isBad, repeat: 1).filter { $0 == 0 }.count == 200)
        var once = Self.options(), twice = Self.options()
        once.search.repeats = 1
        twice.search.repeats = 2
        let one = try ScorecardTrainer(options: once).train(Self.table).segments[0]
        let two = try ScorecardTrainer(options: twice).train(Self.table).segments[0]
        #expect(one.deals == 1 && two.deals == 2)
        #expect(one.search.map(\.meanAUC) != two.search.map(\.meanAUC))
        #expect(try ScorecardTrainer(options: twice).train(Self.table).segments[0].search.map(\.meanAUC) == two.search.map(\.meanAUC))
    }

    /// The card's points are the mean of the chosen settings' card fitted on all rows and its
    /// cards fitted on each fold's training rows, as `TrainingOptions.fixed` fits them; without
    /// the mean, the card is the fit on all rows.
    @Test func theCardIsTheMeanOfTheFitOnAllRowsAndOfEachFoldsFit() throws {
        var options = Self.options()
        options.search.standardErrors = 0
        let report = try ScorecardTrainer(options: options).train(Self.table)
        let segment = report.segments[0]
        #expect(segment.cards == options.search.folds + 1 && segment.candidates == 1)
        let members = try Self.bagged(segment.chosen, options: options)
        Self.expectMean(of: members, in: report.card.segments[0])
        var single = options
        single.meanOfFoldCards = false
        let alone = try ScorecardTrainer(options: single).train(Self.table)
        #expect(alone.segments[0].cards == 1)
        #expect(alone.card.segments[0].features.map(\.binning) == members[0].segments[0].features.map(\.binning))
    }

    /// By default the card is the mean of the bagged cards (the fit on all rows and on each
    /// fold's training rows) of every candidate the search cannot tell from the best, each
    /// fitted as `TrainingOptions.fixed` fits it; the chosen one is the best.
    @Test func theCardAveragesEveryCandidateWithinOneStandardErrorOfTheBest() throws {
        var options = Self.options()
        // Neighbouring penalties rank the held-out rows nearly alike: within one standard error.
        options.search.l2PerRow = [0.01, 0.003, 0.001, 0]
        options.search.averagingRows = 10_000
        let report = try ScorecardTrainer(options: options).train(Self.table)
        let segment = report.segments[0]
        let alike = ScorecardTrainer.indistinguishable(from: segment.search, search: options.search)
        #expect(alike.count > 1 && alike.count < segment.search.count, "\(segment.search.map(\.meanAUC))")
        #expect(segment.chosen == ScorecardTrainer.rank(segment.search, aucTolerance: options.search.aucTolerance).first)
        #expect(segment.candidates == alike.count && segment.cards == alike.count * (options.search.folds + 1))
        // In the trainer's order, so that sums round alike: the chosen one and the rest by rank,
        // grouped by binning; in each group all rows' fits, then each fold's.
        let order = [segment.chosen] + ScorecardTrainer.rank(segment.search, aucTolerance: options.search.aucTolerance)
            .filter { candidate in candidate != segment.chosen && alike.contains { $0.candidate == candidate } }
        var members: [Scorecard] = []
        for group in ScorecardTrainer.byBinning(order) {
            let cards = try group.map { try Self.bagged($0, options: options) }
            for set in 0...options.search.folds { members += cards.map { $0[set] } }
        }
        Self.expectMean(of: members, in: report.card.segments[0])
    }

    /// `card`'s features and intercept are the means of `members'`.
    static func expectMean(of members: [Scorecard], in card: ScorecardSegment) {
        #expect(Set(card.features.map(\.name)) == Set(members.flatMap { $0.segments[0].features.map(\.name) }))
        for feature in card.features {
            var expected = ScorecardFeature.mean(of: members.map { $0.segments[0].features.first { $0.name == feature.name } })
            expected.reason = feature.reason
            #expect(feature == expected, "\(feature.name)")
        }
        let intercept = members.map(\.segments[0].interceptPoints).reduce(0, +) / Double(members.count)
        #expect(abs(card.interceptPoints - intercept) < 0.01)
    }

    /// From ``ModelSearch/averagingRows`` rows up another candidate's card joins the mean only
    /// where it keeps exactly the features of the chosen candidate's fit on all rows (the chosen
    /// one's own fold cards always join).
    @Test func largeSetsAverageOnlyTheCardsThatKeepTheChosenFeatures() throws {
        var options = Self.options()
        options.search.l2PerRow = [0.01, 0.003, 0.001, 0]
        options.search.minimumInformationValue = [0.02, 0.005]
        options.search.averagingRows = 6_000
        let report = try ScorecardTrainer(options: options).train(Self.table)
        let segment = report.segments[0]
        let alike = ScorecardTrainer.indistinguishable(from: segment.search, search: options.search)
        #expect(alike.count > 1)
        let kept = Set(segment.features.filter { $0.coefficient != nil }.map(\.name))
        // In the trainer's order, as in the test above, less the cards that keep other features.
        let order = [segment.chosen] + ScorecardTrainer.rank(segment.search, aucTolerance: options.search.aucTolerance)
            .filter { candidate in candidate != segment.chosen && alike.contains { $0.candidate == candidate } }
        var members: [Scorecard] = []
        var joined: Set<ModelSearch.Candidate> = []
        var left = 0
        for group in ScorecardTrainer.byBinning(order) {
            let cards = try group.map { try Self.bagged($0, options: options) }
            for set in 0...options.search.folds {
                for (candidate, bagged) in zip(group, cards) {
                    if candidate == segment.chosen || Set(bagged[set].segments[0].features.map(\.name)) == kept {
                        members.append(bagged[set])
                        joined.insert(candidate)
                    } else {
                        left += 1
                    }
                }
            }
        }
        #expect(segment.candidates == joined.count && segment.cards == members.count)
        // The lower IV threshold keeps other features in some of them: the rule leaves cards out here.
        #expect(left > 0 && members.count + left == order.count * (options.search.folds + 1))
        Self.expectMean(of: members, in: report.card.segments[0])
    }

    /// `candidate`'s cards as `TrainingOptions.fixed` fits them on all rows, then on each fold's training rows.
    static func bagged(_ candidate: ModelSearch.Candidate, options: TrainingOptions) throws -> [Scorecard] {
        let isBad = try options.target.labels(in: table)
        let foldOfRow = options.search.foldOfRow(isBad)
        return try ([Array(isBad.indices)] + (0..<options.search.folds).map { fold in isBad.indices.filter { foldOfRow[$0] != fold } }).map { rows in
            var fixed = TrainingOptions.fixed(
                target: options.target,
                binner: FeatureBinner(method: candidate.method, maxBins: candidate.maxBins, minBinShare: candidate.minBinShare,
                                      monotonicity: candidate.monotonicity, noiseZ: candidate.noiseZ),
                l2: candidate.l2PerRow * Double(rows.count))
            fixed.search.minimumInformationValue = [candidate.minimumInformationValue]
            fixed.search.slopePrior = [candidate.slopePrior]
            fixed.maximumCorrelation = options.maximumCorrelation
            let subset = CSVTable(header: table.header, rows: rows.map { table.rows[$0] }, lines: rows.map { table.lines[$0] })
            return try ScorecardTrainer(options: fixed).train(subset).card
        }
    }

    @Test func foldsAreStratified() {
        var search = ModelSearch()
        search.folds = 4
        let isBad = (0..<1000).map { $0 % 10 == 0 }
        let fold = search.foldOfRow(isBad)
        for f in 0..<4 {
            let rows = isBad.indices.filter { fold[$0] == f }
            #expect(rows.count == 250)
            #expect(rows.count { isBad[$0] } == 25)
        }
    }

    /// Fixed settings (one candidate each, `l2` given) run no cross-validation.
    @Test func fixedSettingsSearchNothing() throws {
        let options = TrainingOptions.fixed(
            target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner(maxBins: 5, monotonicity: .on), l2: 2)
        let report = try ScorecardTrainer(options: options).train(Self.table)
        #expect(report.segments[0].search.isEmpty)
        #expect(report.segments[0].chosen.maxBins == 5 && report.segments[0].l2 == 2)
        // A fixed penalty with the rest searched: the folds use it per row.
        var searched = Self.options()
        searched.l2 = 2
        let segment = try ScorecardTrainer(options: searched).train(Self.table).segments[0]
        #expect(segment.search.count == 4 && segment.search.allSatisfy { abs($0.candidate.l2PerRow - 2 / 6_000) < 1e-15 })
        #expect(segment.l2 == 2)
    }

    /// A column that duplicates another (same values, other name) is dropped by the correlation
    /// cap, and says with which feature; without the cap the regression cannot separate them.
    @Test func aDuplicateColumnIsDroppedByTheCorrelationCap() throws {
        let column = try Self.table.column(named: "penalties_3y")
        let table = CSVTable(header: Self.table.header + ["penalties_3y_copy"],
                             rows: Self.table.rows.map { $0 + [$0[column]] }, lines: Self.table.lines)
        var options = TrainingOptions.fixed(target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner())
        options.maximumCorrelation = 0.8
        let report = try ScorecardTrainer(options: options).train(table)
        let copies = report.segments[0].features.filter { $0.name.hasPrefix("penalties_3y") }
        #expect(copies.count == 2)
        #expect(copies.count { $0.dropped == nil } == 1)
        let dropped = try #require(copies.first { $0.dropped != nil })
        #expect(dropped.dropped!.hasPrefix("WOE correlation 1.00 with penalties_3y"))
    }

    /// Reason codes given in the options are kept; other features take the free numbers.
    @Test func givenReasonCodesAreKept() throws {
        var options = TrainingOptions.fixed(target: TargetColumn(name: SyntheticCreditData.target), binner: FeatureBinner())
        options.reasonCodes = ["dishonest_mark": "R01", "penalties_3y": "R07", "no_such_feature": "R02"]
        let card = try ScorecardTrainer(options: options).train(Self.table).card
        let codes = Dictionary(uniqueKeysWithValues: card.segments[0].features.map { ($0.name, $0.reason.code) })
        #expect(codes["dishonest_mark"] == "R01" && codes["penalties_3y"] == "R07")
        #expect(Set(codes.values).count == codes.count)
        #expect(!codes.values.contains("R02"))
        #expect(codes.filter { !["dishonest_mark", "penalties_3y"].contains($0.key) }.values.allSatisfy { !["R01", "R07"].contains($0) })
    }

    /// The calibration table: per grade, the rows' own-score PDs; the Brier scores as their
    /// definitions, the card's below the base rate's on held-out rows.
    @Test func evaluationReportsCalibrationAndBrier() throws {
        let card = try CompiledScorecard(ScorecardTrainer(options: Self.options()).train(Self.table).card)
        let holdout = SyntheticCreditData(rows: 4_000, seed: 6)
        let evaluation = try ScorecardEvaluation(card: card, table: CSVTable(parsing: holdout.csv),
                                                 target: TargetColumn(name: SyntheticCreditData.target))
        let results = try card.layout.vectors(from: CSVTable(parsing: holdout.csv)).map(card.score)
        let brier = zip(results, holdout.isBad).reduce(0.0) { sum, pair in
            let outcome = pair.1 ? 1.0 : 0.0
            return sum + (pair.0.probabilityOfDefault - outcome) * (pair.0.probabilityOfDefault - outcome)
        } / Double(results.count)
        #expect(abs(try #require(evaluation.brier) - brier) < 1e-12)
        let rate = Double(holdout.isBad.count { $0 }) / Double(holdout.isBad.count)
        #expect(abs(try #require(evaluation.baseRateBrier) - rate * (1 - rate)) < 1e-12)
        #expect(try #require(evaluation.scoreBrier) < rate * (1 - rate))
        for row in evaluation.grades where row.rows > 0 {
            let interval = try #require(row.badRateInterval)
            #expect(interval.contains(row.badRate!))
            let band = card.card.grades.firstIndex { $0.grade == row.grade }!
            let pd = try #require(row.meanScorePD)
            // The rows' own PDs lie within their grade's band of PDs.
            let upper = band < GradeBand.standardDefaultLimits.count ? GradeBand.standardDefaultLimits[band] : 1
            #expect(pd <= upper + 1e-3, "\(row.grade): \(pd)")
        }
    }
}
