import ArgumentParser

/// `credit-broker contracts`: check, compare and explain partner contracts; apply them to the database and show past versions.
struct ContractsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts",
        abstract: "Check, compare, explain, apply and show partner contracts.",
        subcommands: [
            ContractsCheckCommand.self, ContractsDiffCommand.self, ContractsExplainCommand.self,
            ContractsApplyCommand.self, ContractsShowCommand.self,
        ]
    )
}
