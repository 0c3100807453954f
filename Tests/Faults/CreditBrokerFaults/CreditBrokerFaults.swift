import ArgumentParser

/// The fault harness (issue 14): each scenario builds what it needs (a PostgreSQL cluster, a
/// province, real `credit-broker serve` processes, load clients), runs its faults, checks the
/// database against what the clients were told, prints its figure on its last line and exits
/// non-zero on failure. Run from the repository folder (`Tests/Faults/run.sh SCENARIO`).
@main
struct CreditBrokerFaults: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "CreditBrokerFaults",
        abstract: "CreditBroker's fault harness: real gateways under load, kills, outages and hostile clients.",
        subcommands: [KillScenario.self, PostgresScenario.self, QuotaScenario.self, HostileScenario.self, SoakScenario.self, TLSScenario.self, DemoScenario.self, Attack.self]
    )
}
