import ArgumentParser
import BrokerStore
import Gateway
import Logging

/// `credit-broker demo`: the broker on an embedded PostgreSQL, ready to try.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the broker on an embedded PostgreSQL with demo data (Ctrl-C stops it and the database)."
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker.demo")
        let partners = try server.partners(policies: policies, stateDirectory: database.resolvedStateDirectory)
        let opened = try await database.open(migrate: true, logger: logger)
        let scheme = server.configuration.tls == nil ? "http" : "https"
        try await ServeCommand.serve(server.configuration, database: opened, partners: partners, logger: logger) { port in
            print("""

                CreditBroker demo is running (state in \(database.resolvedStateDirectory)).
                  curl -s \(scheme)://127.0.0.1:\(port)/healthz
                  curl -s \(scheme)://127.0.0.1:\(port)/readyz
                Press Ctrl-C to stop; the embedded PostgreSQL stops with it.
                """)
        }
    }
}
