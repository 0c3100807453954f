import ArgumentParser
import BrokerStore
import Gateway
import Logging

/// `credit-broker serve`: migrates the database and serves the HTTP API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker's HTTP server (migrates the database first).",
        discussion: """
            Without DATABASE_URL the broker starts an embedded PostgreSQL in --state-dir and stops \
            it again on exit (Ctrl-C or SIGTERM). Endpoints: /healthz (process up), /readyz \
            (database reachable and migrations current), /v1/receipt-key, and for authenticated \
            partners /v1/partner. With --tls-dir (or the four TLS files) the listener speaks TLS 1.2/1.3 \
            with HTTP/2 and authenticates banks by client certificate; agencies use API keys.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker")
        let partners = try server.partners(policies: policies, stateDirectory: database.resolvedStateDirectory)
        let opened = try await database.open(migrate: true, logger: logger)
        try await Self.serve(server.configuration, database: opened, partners: partners, logger: logger)
    }

    /// Serves until a shutdown signal, then closes the database (stopping an embedded server).
    static func serve(
        _ configuration: GatewayServer.Configuration,
        database: BrokerDatabase,
        partners: GatewayServer.Partners,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        do {
            let app = try GatewayServer.application(
                configuration, pool: database.pool, partners: partners, logger: logger, onServerRunning: onServerRunning
            )
            try await app.runService()
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}
