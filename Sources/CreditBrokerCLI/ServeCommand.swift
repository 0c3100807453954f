import ArgumentParser
import BrokerStore
import Gateway
import Logging
import NIOCore
import NIOPosix
import PostgresClient

/// `credit-broker serve`: migrates the database and serves the HTTP API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker's HTTP server (migrates the database first).",
        discussion: """
            Without DATABASE_URL the broker starts an embedded PostgreSQL in --state-dir and stops \
            it again on exit (Ctrl-C or SIGTERM). Endpoints (Contracts/api/openapi.yaml): /healthz \
            (process up), /readyz (database reachable and migrations current), /metrics and \
            /v1/receipt-key for anyone; for authenticated partners /v1/partner, /v1/queries, \
            /v1/consents, /v1/scores, /v1/batch-reviews, /v1/usage, /v1/watchlist, /v1/alerts and \
            /v1/changes. With --tls-dir (or the four TLS files) the listener speaks TLS 1.2/1.3 \
            with HTTP/2 and authenticates banks by client certificate; agencies use API keys.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker")
        let opened = try await database.open(migrate: true, logger: logger)
        try await Self.serve(server.configuration, server, policies: policies, database: database, opened: opened, logger: logger)
    }

    /// Serves until a shutdown signal, then closes the database (stopping an embedded server).
    static func serve(
        _ configuration: GatewayServer.Configuration,
        _ server: ServerOptions,
        policies: ContractsOptions,
        database: DatabaseOptions,
        opened: BrokerDatabase,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        // Request handlers then run on the event loop threads that read their requests instead of
        // hopping to Swift's own thread pool and back (fewer thread wake-ups per query).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let meterPool = PostgresPool(.init(connection: opened.pool.configuration.connection, maxConnections: 2))
        do {
            let partners = try server.partners(policies: policies, database: database, pool: opened.pool, meterPool: meterPool)
            let app = try GatewayServer.application(
                configuration, pool: opened.pool, partners: partners, logger: logger, onServerRunning: onServerRunning
            )
            // Returns once in-flight requests have finished; then the queued meter events are committed.
            try await app.runService()
            await partners.metering.writer.close()
        } catch {
            await meterPool.close()
            await opened.close()
            throw error
        }
        await meterPool.close()
        await opened.close()
    }
}
