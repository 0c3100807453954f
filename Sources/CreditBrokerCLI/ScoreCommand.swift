import ArgumentParser
import Foundation
import Scoring

/// `credit-broker score`: lending scorecards.
struct ScoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Check, train and evaluate lending scorecards.",
        subcommands: [ScoreCheckCommand.self, ScoreTrainCommand.self, ScoreEvaluateCommand.self]
    )

    /// A failure reported as `Error: <message>` with exit code 1.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func loadCard(_ path: String) throws -> CompiledScorecard {
        do {
            return try CompiledScorecard(yaml: read(path))
        } catch let error as ScorecardError {
            throw Failure(description: "\(path): \(error)")
        }
    }

    static func loadCSV(_ path: String) throws -> CSVTable {
        do {
            return try CSVTable(parsing: read(path))
        } catch let error as CSVError {
            throw Failure(description: "\(path): \(error)")
        }
    }
}
