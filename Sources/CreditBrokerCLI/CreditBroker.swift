import ArgumentParser

/// The `credit-broker` command line.
@main
struct CreditBroker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-broker",
        abstract: "The credit-data gateway between the public credit platform, market data and lenders.",
        subcommands: [
            DemoCommand.self,
            ServeCommand.self,
            MigrateCommand.self,
            ContractsCommand.self,
            IDsCommand.self,
            DemoDataCommand.self,
            ScoreCommand.self,
            IngestCommand.self,
            PKICommand.self,
            KeysCommand.self,
            ReceiptsCommand.self,
            AuditCommand.self,
        ]
    )
}
