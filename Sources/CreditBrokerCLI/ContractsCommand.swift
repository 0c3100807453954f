import ArgumentParser

/// `credit-broker contracts`: check, compare and explain partner contracts.
struct ContractsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Check, compare and explain partner contracts.",
        subcommands: [ContractsCheckCommand.self, ContractsDiffCommand.self, ContractsExplainCommand.self]
    )
}
