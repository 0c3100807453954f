import ArgumentParser

/// `credit-broker demo-data`: synthetic data for demonstrations, tests and score validation.
struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Generate synthetic credit data for a province.",
        subcommands: [DemoDataGenerateCommand.self]
    )
}
