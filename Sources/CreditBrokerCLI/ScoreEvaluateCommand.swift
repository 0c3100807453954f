import ArgumentParser
import BrokerCore
import Formats
import Foundation
import Scoring

/// `credit-broker score evaluate CARD.yaml DATA.csv --target COLUMN`: measures a scorecard.
struct ScoreEvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a scorecard on labelled data: AUC, KS, Gini, calibration per grade, Brier score, PSI.",
        discussion: """
            Calibration: per grade, the observed bad rate with its Wilson 95 % interval beside the \
            PD the card answers for the grade and the mean PD of the rows' own scores; `ok` when \
            the grade's PD lies in the interval. Brier scores (mean squared gap between PD and \
            outcome) of the grade PD, of the score's own PD, and of answering everyone the observed \
            bad rate. Measure on rows the card was not trained on.

            PSI compares the --psi file's scores with DATA's over ten bins cut at the deciles of \
            DATA's scores; empty bins count as a share of 0.0001.
            """
    )

    @Argument(help: "The scorecard YAML.")
    var card: String
    @Argument(help: "Labelled data: CSV with a header row and a column per card feature.")
    var data: String
    @Option(help: "The outcome column.")
    var target: String
    @Option(help: "The outcome value that marks a bad (defaulted) row.")
    var bad = "1"
    @Option(help: "Another CSV (for example a later period) to compare score distributions with.")
    var psi: String?
    @Option(help: "Write each row's score, grade and grade PD here (CSV, in DATA's row order).")
    var scoresOut: String?

    func run() async throws {
        let compiled = try ScoreCommand.loadCard(card)
        let table = try ScoreCommand.loadCSV(data)
        let evaluation = try ScoreCommand.about(data) {
            try ScorecardEvaluation(card: compiled, table: table, target: TargetColumn(name: target, badValue: bad))
        }
        let other = try psi.map { path in
            let table = try ScoreCommand.loadCSV(path)
            return try ScoreCommand.about(path) { try compiled.layout.vectors(from: table).map { compiled.score($0).score } }
        }
        if let scoresOut {
            let text = CSV.text(header: ["score", "grade", "probability_of_default"], rows: zip(evaluation.scores, evaluation.rowGrades).map { score, grade in
                ["\(score)", grade.rawValue, "\(compiled.card.grades.first { $0.grade == grade }!.probabilityOfDefault)"]
            })
            do {
                try text.write(toFile: scoresOut, atomically: true, encoding: .utf8)
            } catch {
                throw ScoreCommand.Failure(description: "cannot write \(scoresOut): \(error.localizedDescription)")
            }
        }
        func format(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        print("card \(evaluation.cardVersion): \(evaluation.rows) rows, \(evaluation.bads) bads, \(evaluation.declined) declined by rule")
        print("AUC \(format(evaluation.auc))  KS \(format(evaluation.ks))  Gini \(format(evaluation.gini))")
        if compiled.card.isSegmented {
            for segment in evaluation.segments {
                print("segment \(segment.name ?? ""): \(segment.rows) rows, \(segment.bads) bads, AUC \(format(segment.auc))")
            }
        }
        if let range = evaluation.scoreRange { print("scores \(range.lowerBound) … \(range.upperBound)") }
        print("grade     rows    bads  bad rate  (95 % interval)     grade PD  score PD")
        for row in evaluation.grades {
            let observed = row.badRate.map { String(format: "%8.4f", $0) } ?? "       –"
            let interval = row.badRateInterval.map { String(format: "  (%.4f–%.4f)", $0.lowerBound, $0.upperBound) } ?? String(repeating: " ", count: 17)
            let scorePD = row.meanScorePD.map { String(format: "  %8.4f", $0) } ?? "         –"
            let fits = row.badRateInterval.map { $0.contains(row.cardPD) ? "  ok" : "  outside" } ?? ""
            print(row.grade.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
                + String(format: "%9d %7d ", row.rows, row.bads) + observed + interval + String(format: "  %8.4f", row.cardPD) + scorePD + fits)
        }
        print("Brier \(format(evaluation.brier)) (grade PD), \(format(evaluation.scoreBrier)) (score PD), "
            + "\(format(evaluation.baseRateBrier)) (everyone at the observed bad rate)")
        if let psi, let other {
            print("PSI against \(psi) (\(other.count) rows): \(format(evaluation.stability(against: other)))")
        }
    }
}
