import ArgumentParser

/// Benchmarks of the CreditBroker package; run with `swift run -c release CreditBrokerBench <name>`.
@main
struct CreditBrokerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "CreditBrokerBench",
        abstract: "CreditBroker benchmarks: each prints its figure beside a baseline measured in the same run.",
        subcommands: [ScoringBenchmark.self, TrainingBenchmark.self]
    )
}
