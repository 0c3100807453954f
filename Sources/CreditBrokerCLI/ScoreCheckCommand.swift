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
            let segments = card.segments.map { segment in
                (segment.name.map { "segment \($0): " } ?? "") + "\(segment.features.count) features"
            }
            print("\(path): \(card.version), \(segments.joined(separator: ", ")), \(card.declineRules.count) decline rules")
        }
    }
}
