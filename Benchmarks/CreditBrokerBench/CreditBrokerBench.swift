import ArgumentParser

/// Release-build benchmarks: `swift run -c release CreditBrokerBench <name>`.
@main
struct CreditBrokerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "CreditBrokerBench",
        abstract: "CreditBroker benchmarks; each prints its figure beside a baseline measured in the same run.",
        subcommands: [PoolLookupBenchmark.self, CopyBenchmark.self, IngestBenchmark.self, MeteringBenchmark.self, DecisionsBenchmark.self, ScoringBenchmark.self, TrainingBenchmark.self, ValidationBenchmark.self, GatewayBenchmark.self, ReportBenchmark.self, ReceiptsBenchmark.self, BillingBenchmark.self]
    )
}
