import ArgumentParser
import Scoring

/// `credit-broker score check CARD.yaml`: validates a scorecard.
struct ScoreCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate scorecard files.")

    @Argument(help: "Scorecard YAML files.")
    var cards: [String]

    func run() async throws {
        for path in cards {
            let card = try ScoreCommand.loadCard(path).card
            print("\(path): \(card.version), \(card.features.count) features, \(card.declineRules.count) decline rules")
        }
    }
}
