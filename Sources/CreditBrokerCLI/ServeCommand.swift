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
            with HTTP/2 and authenticates banks by client certificate; agencies use API keys. With \
            --admin-port a second listener serves the admin API (Contracts/api/admin-openapi.yaml) \
            over mutual TLS to admin certificates only (of --admin-ca, not on --admin-crl).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions
    @OptionGroup var role: RuntimeRoleOptions

    func run() async throws {
        let logger = Logger(label: "credit-broker")
        let configuration = server.configuration
        let admin = try server.adminConfiguration(tls: configuration.tls)
        let opened = try await database.open(migrate: true, logger: logger)
        try await role.refuseOwnerRole(database, opened)
        try await Self.serve(configuration, server, admin: admin, policies: policies, database: database, opened: opened, logger: logger)
    }

    /// Serves until a shutdown signal, then closes the database (stopping an embedded server).
    /// With `admin`, the admin listener runs beside the partner listener and stops with it.
    static func serve(
        _ configuration: GatewayServer.Configuration,
        _ server: ServerOptions,
        admin: AdminServer.Configuration?,
        policies: ContractsOptions,
        database: DatabaseOptions,
        opened: BrokerDatabase,
        logger: Logger,
        onAdminRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        // Request handlers then run on the event loop threads that read their requests instead of
        // hopping to Swift's own thread pool and back (fewer thread wake-ups per query).
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let meterPool = PostgresPool(.init(connection: opened.pool.configuration.connection, maxConnections: 2))
        do {
            let partners = try server.partners(policies: policies, database: database, pool: opened.pool, meterPool: meterPool)
            let adminApp = try admin.map { admin in
                try AdminServer.application(
                    admin, contracts: server.governingContracts(policies: policies).1, pool: opened.pool, metrics: partners.metrics, logger: logger,
                    onServerRunning: onAdminRunning
                )
            }
            let app = try GatewayServer.application(
                configuration, pool: opened.pool, partners: partners, services: adminApp.map { [$0] } ?? [], logger: logger,
                onServerRunning: onServerRunning
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
