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
            (database reachable and migrations current).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker")
        let opened = try await database.open(migrate: true, logger: logger)
        try await Self.serve(server.configuration, database: opened, logger: logger)
    }

    /// Serves until a shutdown signal, then closes the database (stopping an embedded server).
    static func serve(
        _ configuration: GatewayServer.Configuration,
        database: BrokerDatabase,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = GatewayServer.application(configuration, pool: database.pool, logger: logger, onServerRunning: onServerRunning)
        do {
            try await app.runService()
            await database.close()
        } catch {
            await database.close()
            throw error
        }
    }
}
