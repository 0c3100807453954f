import BrokerCore
import ArgumentParser
import Formats
import Foundation
import Scoring

/// `credit-broker score`: lending scorecards.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Check, train and evaluate lending scorecards.",
        subcommands: [ScoreCheckCommand.self, ScoreTrainCommand.self, ScoreEvaluateCommand.self, ScoreProvinceDataCommand.self]
    )

    /// A failure reported as `Error: <message>` with exit code 1.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String) throws -> String {
        try InputFile.text(path)
    }

    /// Runs `body`, prefixing scorecard and CSV errors with the file they concern.
    static func about<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ScorecardError {
            throw Failure(description: "\(path): \(error)")
        } catch let error as CSVError {
            throw Failure(description: "\(path): \(error)")
        }
    }

    static func loadCard(_ path: String) throws -> CompiledScorecard {
        try about(path) { try CompiledScorecard(yaml: read(path)) }
    }

    static func loadCSV(_ path: String) throws -> CSVTable {
        try about(path) { try CSVTable(parsing: read(path)) }
    }
}
