import ArgumentParser
import BrokerStore
import Foundation
import Gateway
import Logging
import NIOCore
import NIOPosix
import PostgresClient
import Synchronization

/// `credit-broker serve`: migrates the database and serves the HTTP API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker's HTTP server (migrates the database first).",
        discussion: """
            Without DATABASE_URL the broker starts an embedded PostgreSQL in --state-dir and stops \
            it again on exit (Ctrl-C or SIGTERM). Endpoints (Contracts/api/openapi.yaml): /healthz \
            (process up), /readyz (database reachable and migrations current) and /v1/receipt-key \
            for anyone; for authenticated partners /v1/partner, /v1/queries, \
            /v1/consents, /v1/scores, /v1/reports (credit reports in HTML or PDF, printed by \
            --pdf-renderer), /v1/batch-reviews, /v1/usage, /v1/usage/export, /v1/usage/export/manifest, \
            /v1/statements (monthly statements), /v1/watchlist, /v1/alerts and /v1/changes. For the \
            credit portal /v1/portal/disclosures, /v1/portal/records, \
            /v1/portal/disputes, /v1/portal/disputes/search, /v1/portal/consents/search, and \
            /v1/portal/consents ({id}/revoke, {id}/receipt). For data sources /v1/disputes. /metrics \
            is only on the operations listener (--ops-port, loopback). The contracts \
            in force come from the database (an empty one is seeded from --contracts) and change \
            through the admin API without a restart. With --tls-dir (or the four TLS files) the listener speaks TLS 1.2/1.3 \
            with HTTP/2 and authenticates banks by client certificate; agencies use API keys. With \
            --admin-port a second listener serves the admin API (Contracts/api/admin-openapi.yaml) \
            over mutual TLS to admin certificates only (of --admin-ca, not on --admin-crl). With \
            --replica-url records and consents are read from a streaming standby while it is fresh. \
            SIGHUP re-reads the server certificate and key, both CRLs and the contract ledger, and \
            logs what each now serves.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions
    @OptionGroup var role: RuntimeRoleOptions
    @OptionGroup var standby: StandbyOptions

    @Option(name: .customLong("test-clock-offset"), help: ArgumentHelp(
        "Test topologies only (with --seed-pki): read the wall clock this many seconds ahead (negative: behind).", visibility: .hidden
    ))
    var testClockOffset: Double?

    @Option(name: .customLong("quota-lease-units"), help: ArgumentHelp(
        "Quota units each reservation leases ahead for this process, handed to the partner's next requests without a database call; 0 reserves every request's unit on its own (default 32).",
        valueName: "units"
    ))
    var quotaLeaseUnits: Int?

    func validate() throws {
        if let quotaLeaseUnits, !(0...10_000).contains(quotaLeaseUnits) {
            throw ValidationError("--quota-lease-units must be between 0 and 10000")
        }
        // A moved clock changes which quota day, contract version and consent term a request falls
        // in: never in production, which has no development PKI to seed from.
        if testClockOffset != nil, server.seedPKI == nil, ProcessInfo.processInfo.environment["CREDIT_BROKER_SEED_PKI"] == nil {
            throw ValidationError("--test-clock-offset is for test topologies only: it is refused without --seed-pki (a development PKI)")
        }
        if let testClockOffset, !testClockOffset.isFinite || abs(testClockOffset) > 366 * 86_400 {
            throw ValidationError("--test-clock-offset must be a number of seconds within a year")
        }
    }

    func run() async throws {
        let logger = Logger(label: "credit-broker")
        let partner = server.configuration
        let admin = try server.adminConfiguration(tls: partner.tls)
        let replica = try standby.standby(database)
        let bundle = try policies.load()
        let card = try server.scorecard(policiesFolder: policies.policies)
        let opened = try await database.open(migrate: true, logger: logger)
        // Closes the database itself when it refuses.
        try await role.refuseOwnerRole(database, opened)
        var configuration: BrokerConfiguration
        do {
            configuration = try await server.brokerConfiguration(
                policies: bundle, card: card, database: database, admin: admin, partner: partner, operations: server.operationsConfiguration()
            )
            configuration.standby = replica
            if let quotaLeaseUnits { configuration.quotaLeaseUnits = quotaLeaseUnits }
        } catch {
            await opened.close()
            throw error
        }
        if let testClockOffset {
            configuration.clock = OffsetClock(offset: testClockOffset)
            logger.warning("test topology: the wall clock is moved", metadata: ["offset_seconds": "\(testClockOffset)"])
        }
        try await Self.serve(configuration, opened: opened, logger: logger)
    }

    /// Whether `main` made NIO's event loops Swift's global executor for `serve` and `demo` (it must
    /// be done on the main thread before any task runs, so there and not here).
    static let tasksOnEventLoops = Atomic(false)

    /// Builds the broker on the opened database and serves until a shutdown signal; then, after the
    /// broker's own ordered shutdown (listeners drain, the meter commits, pools close), closes the
    /// database (stopping an embedded server this process started). `ready` runs once it is built.
    static func serve(
        _ configuration: BrokerConfiguration, opened: BrokerDatabase, logger: Logger, ready: (Broker) async throws -> Void = { _ in }
    ) async throws {
        logger.info("Swift tasks run on the event loops", metadata: ["installed": "\(tasksOnEventLoops.load(ordering: .relaxed))"])
        do {
            let broker = try await Broker.build(configuration, pool: opened.pool, logger: logger)
            try await ready(broker)
            try await broker.run()
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }
}
