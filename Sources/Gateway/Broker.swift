import BrokerCore
import BrokerStore
import Foundation
import PKI
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import Metering
import PostgresClient
import Reports
import Scoring
import ServiceLifecycle
import UnixSignals

/// Everything the broker runs, from one configuration: `serve`, `demo`, the benchmarks and the
/// tests all build it with `Broker.build` and run it with `run()`.
public struct BrokerConfiguration: Sendable {
    /// An empty ledger (a new installation) is seeded with these contracts (from `Contracts/`),
    /// recorded in the admin audit chain as `detail`.
    public struct Seed: Sendable {
        /// Reads the contracts; called only when the ledger is empty (the database is the source of
        /// truth: once seeded, the files are what reviewers diff and `contracts apply` proposes).
        public var load: @Sendable () throws -> [(contract: Contract, file: String)]
        public var detail: String

        public init(detail: String, load: @escaping @Sendable () throws -> [(contract: Contract, file: String)]) {
            self.load = load
            self.detail = detail
        }
    }

    /// Called with each listener's bound port once it listens (port 0 picks one).
    public struct Listening: Sendable {
        public var partner: @Sendable (Int) async -> Void = { _ in }
        public var admin: @Sendable (Int) async -> Void = { _ in }
        public var operations: @Sendable (Int) async -> Void = { _ in }

        public init() {}
    }

    public var partner: GatewayServer.Configuration
    /// The admin listener; `nil`: none.
    public var admin: AdminServer.Configuration?
    /// The operations listener (`/metrics`); `nil`: none.
    public var operations: OperationsServer.Configuration?
    public var policies: PolicyBundle
    /// The card `POST /v1/scores` serves.
    public var scorecard: CompiledScorecard
    public var receiptSigner: ReceiptSigner
    /// The keys that seal the subject's words in a dispute at rest (re-read on reload).
    public var sealingKeys: SealingKeys
    public var hasher: PersonKeyHasher
    /// The secret partners' subject references derive from.
    public var referenceSecret: [UInt8]
    public var seed: Seed?
    /// The admin audit chain's link digest this installation requires (`serve --audit-digest`): a
    /// new chain starts with it, a started chain must link with it. nil: whatever the chain has
    /// (SHA-256 for a new one).
    public var auditDigest: AuditDigest?
    /// Where requests and the contract snapshot read the time.
    public var clock: any WallClock = SystemClock()
    public var batchReviews: BatchReviewWorker.Configuration = .init()
    /// The PDF renderer of `POST /v1/reports`: the program, how many renders at once, how long each may take.
    public var reportRenderer = PDFRenderer.Configuration()
    /// How often each process checks the contract ledger besides `LISTEN`.
    public var contractPollInterval: Duration = .seconds(1)
    /// Connections of the meter writer's own pool (so busy routes never delay the meter).
    public var meterConnections = 2
    /// Requests of one partner this process serves at once; beyond it, 429 before anything is read.
    public var requestsInFlightPerPartner = 128
    /// Quota units a reservation leases ahead for this process, handed to the partner's next
    /// requests without a database call (0: every request reserves its own; `QuotaCoalescer`).
    public var quotaLeaseUnits = 32
    public var listening = Listening()
    /// The signals that shut the broker down gracefully (tests use none and call `Broker.shutdown()`).
    public var gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]
    /// The signals that make the broker re-read its TLS files and contracts (`Broker.reload()`;
    /// `systemctl reload` sends SIGHUP); tests use none and call `reload()`.
    public var reloadSignals: [UnixSignal] = [.sighup]
    /// A streaming standby that records and consents are read from while it is fresh (`nil`: the
    /// primary serves every read).
    public var standby: DatabaseReads.Standby?

    public init(
        partner: GatewayServer.Configuration, admin: AdminServer.Configuration? = nil, operations: OperationsServer.Configuration? = nil,
        policies: PolicyBundle, scorecard: CompiledScorecard, receiptSigner: ReceiptSigner, sealingKeys: SealingKeys, hasher: PersonKeyHasher,
        referenceSecret: [UInt8], seed: Seed? = nil
    ) {
        self.partner = partner
        self.admin = admin
        self.operations = operations
        self.policies = policies
        self.scorecard = scorecard
        self.receiptSigner = receiptSigner
        self.sealingKeys = sealingKeys
        self.hasher = hasher
        self.referenceSecret = referenceSecret
        self.seed = seed
    }
}

/// The broker's listeners and background work, as one `ServiceGroup`.
///
/// Started in this order and shut down in the reverse, on a signal and on the error path alike:
/// the database pools, the standby's reads, the meter writer, the contract watcher, the reloader
/// (SIGHUP), the batch-review worker, the reports' PDF renderer pool (its browsers), then the
/// operations, admin and partner listeners. So on shutdown the listeners drain first (in-flight
/// requests finish and their meter events are queued), the browsers are killed, the worker stops,
/// the meter writer commits what is queued, and only then do the pools close.
public struct Broker: Sendable {
    public let configuration: BrokerConfiguration
    public let contracts: LiveContracts
    public let watcher: ContractWatcher
    public let partners: GatewayServer.Partners
    public let metrics: GatewayMetrics
    public let pool: PostgresPool
    /// Where records and consents are read (a standby while it is fresh, else `pool`).
    public let reads: DatabaseReads
    private let reloader: Reloader
    private let group: ServiceGroup

    /// Seeds an empty ledger, reads it, and builds every part on `pool` (migrated). Refuses sealing
    /// keys that lack a key the database's sealed text names.
    public static func build(_ configuration: BrokerConfiguration, pool: PostgresPool, logger: Logger) async throws -> Broker {
        try SealingKeys.check(configuration.sealingKeys.keyring, opens: try await SealedColumns.keyIDsInUse(pool: pool))
        let store = ContractStore(pool: pool)
        if let digest = configuration.auditDigest {
            try await AdminAuditLog(pool: pool).start(
                linkingWith: digest,
                entry: .commandLine("serve", partner: nil, status: 201, detail: "started the admin audit chain, its rows linked with \(digest.title)"),
                at: configuration.clock.now()
            )
        }
        if let seed = configuration.seed {
            let added = try await store.seedIfEmpty(
                seed.load,
                by: .commandLine("serve", partner: nil, status: 201, detail: seed.detail),
                at: configuration.clock.now()
            )
            if added > 0 { logger.info("contract ledger seeded", metadata: ["versions": "\(added)"]) }
        }
        let (ledger, token) = try await store.ledger()
        let contracts = LiveContracts(ledger: ledger, token: token, policies: configuration.policies, clock: configuration.clock)
        let watcher = ContractWatcher(
            contracts: contracts, pool: pool, listenerConfiguration: pool.configuration.connection,
            pollInterval: configuration.contractPollInterval, logger: logger
        )
        // `watcher.processID` names this process in `gateway_processes`, and holds its quota units
        // and idempotency claims.
        let meterPool = PostgresPool(.init(connection: pool.configuration.connection, maxConnections: configuration.meterConnections), logger: logger)
        let metrics = GatewayMetrics()
        let reads = DatabaseReads(
            primary: pool, catalog: configuration.policies.catalog, keys: configuration.sealingKeys, standby: configuration.standby, metrics: metrics,
            logger: logger
        )
        // Until the reloader traps them, a reload signal must not end the process (SIGHUP's default).
        for signal in configuration.reloadSignals { ignore(signal) }
        do {
            return try assemble(
                configuration, pool: pool, meterPool: meterPool, reads: reads, metrics: metrics, contracts: contracts, watcher: watcher, logger: logger
            )
        } catch {
            await meterPool.close()
            await reads.close()
            throw error
        }
    }

    private static func assemble(
        _ configuration: BrokerConfiguration, pool: PostgresPool, meterPool: PostgresPool, reads: DatabaseReads, metrics: GatewayMetrics,
        contracts: LiveContracts, watcher: ContractWatcher, logger: Logger
    ) throws -> Broker {
        let partners = try GatewayServer.Partners(
            configuration, contracts: contracts, pool: pool, meterPool: meterPool, reads: reads, metrics: metrics, holder: watcher.processID,
            logger: logger
        )
        let partnerCredentials = try configuration.partner.tls.map {
            try ListenerCredentials($0, counters: metrics.authentication, logger: logger)
        }
        let adminCredentials = try configuration.admin.map {
            try ListenerCredentials($0.tls, counters: metrics.adminAuthentication, logger: logger, sharing: partnerCredentials)
        }
        let reloader = Reloader(
            signals: configuration.reloadSignals, partner: partnerCredentials, admin: adminCredentials, watcher: watcher,
            sealingKeys: configuration.sealingKeys, pool: pool, logger: logger
        )
        var services: [any Service] = [
            PoolService(pool: pool), PoolService(pool: meterPool), reads, partners.metering.writer, partners.metering.sweep, watcher, reloader,
            partners.batchReviews.worker, partners.reports.renderer,
        ]
        if let operations = configuration.operations {
            services.append(NamedListener(
                "operations listener", host: operations.host, port: operations.port, onServerRunning: configuration.listening.operations
            ) { running in
                OperationsServer.application(
                    operations, pool: pool, metrics: metrics, admissions: partners.metering.admissions, clock: configuration.clock, logger: logger,
                    onServerRunning: running
                )
            })
        }
        if let admin = configuration.admin {
            services.append(try NamedListener("admin listener", host: admin.host, port: admin.port, onServerRunning: configuration.listening.admin) { running in
                try AdminServer.application(
                    admin, services: AdminServer.Services(contracts: contracts, watcher: watcher, pool: pool, metrics: metrics, keys: configuration.sealingKeys),
                    credentials: adminCredentials!, logger: logger, onServerRunning: running
                )
            })
        }
        services.append(try NamedListener(
            "partner listener", host: configuration.partner.host, port: configuration.partner.port, onServerRunning: configuration.listening.partner
        ) { running in
            try GatewayServer.application(
                configuration.partner, pool: pool, partners: partners, credentials: partnerCredentials, logger: logger, onServerRunning: running
            )
        })
        let group = ServiceGroup(configuration: .init(
            services: services.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: configuration.gracefulShutdownSignals,
            cancellationSignals: [],
            logger: logger
        ))
        return Broker(
            configuration: configuration, contracts: contracts, watcher: watcher, partners: partners, metrics: metrics, pool: pool, reads: reads,
            reloader: reloader, group: group
        )
    }

    /// Runs until one of the configuration's shutdown signals or `shutdown()`, then shuts down in
    /// order. If any part fails, the others are shut down in the same order and the error is thrown.
    public func run() async throws {
        try await group.run()
    }

    /// Shuts the broker down gracefully, in order, as a signal would.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// What a reload signal does (SIGHUP, `systemctl reload credit-broker`): re-reads the server
    /// certificate and key (new connections get them), the partner and admin CRLs (even if the
    /// files look unchanged), the contract ledger (at once, whatever its token says) and the
    /// sealing keys (file or command); logs what each part now serves. A certificate or key that
    /// is not usable leaves the served one in place; a CRL that is not usable refuses every client
    /// certificate of its CA until a good one is in place (as when its file changes); sealing keys
    /// that do not read, or lack a key the database's sealed text names, leave the keys in use in
    /// place. Nothing a reload meets stops the broker.
    @discardableResult
    public func reload() async -> [ReloadOutcome] {
        await reloader.reload()
    }
}

/// How one part fared in a reload.
public struct ReloadOutcome: Sendable, CustomStringConvertible {
    /// `server certificate`, `partner CRL`, `admin CRL`, `contracts`, `sealing keys`.
    public let part: String
    /// What the part serves now, or why it was not reloaded.
    public let detail: String
    /// The part was not reloaded as asked (the served certificate kept, a CRL unusable, the ledger unread).
    public let failed: Bool

    public var description: String { "\(part): \(detail)" }
}

/// Re-reads the broker's TLS files and contracts on each of `signals`, and on `reload()`.
struct Reloader: Service {
    let signals: [UnixSignal]
    let partner: ListenerCredentials?
    let admin: ListenerCredentials?
    let watcher: ContractWatcher
    let sealingKeys: SealingKeys
    let pool: PostgresPool
    let logger: Logger

    func run() async throws {
        guard !signals.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        for await signal in await UnixSignalsSequence(trapping: signals).cancelOnGracefulShutdown() {
            logger.notice("reloading", metadata: ["signal": "\(signal)"])
            _ = await reload()
        }
    }

    func reload() async -> [ReloadOutcome] {
        var outcomes: [ReloadOutcome] = []
        var identities: [ServerIdentity] = []
        for credentials in [partner, admin].compactMap({ $0 }) where !identities.contains(where: { $0 === credentials.identity }) {
            identities.append(credentials.identity)
            outcomes.append(Self.reload(credentials.identity))
        }
        if let partner { outcomes.append(Self.reload(partner.verifier.revocations, part: "partner CRL")) }
        if let admin { outcomes.append(Self.reload(admin.verifier.revocations, part: "admin CRL")) }
        do {
            let reread = try await watcher.reread()
            outcomes.append(ReloadOutcome(
                part: "contracts",
                detail: "ledger \(reread.token), \(reread.partners) partners (\(reread.changed ? "newer than the one served: now served" : "unchanged"))",
                failed: false
            ))
        } catch {
            outcomes.append(ReloadOutcome(
                part: "contracts", detail: "ledger not read (\(String(reflecting: type(of: error)))); serving the last one read", failed: true
            ))
        }
        if sealingKeys.source != .fixed {
            do {
                let keyring = try await sealingKeys.reload(inUse: try await SealedColumns.keyIDsInUse(pool: pool))
                outcomes.append(ReloadOutcome(
                    part: "sealing keys",
                    detail: "\(keyring.keys.count) key(s) from \(sealingKeys.source) (\(keyring.keys.map(\.id).joined(separator: ", "))), '\(keyring.sealingKeyID)' seals",
                    failed: false
                ))
            } catch let failure as SealingKeyring.Failure {
                outcomes.append(ReloadOutcome(part: "sealing keys", detail: "still using the keys read before: \(failure)", failed: true))
            } catch {
                outcomes.append(ReloadOutcome(
                    part: "sealing keys", detail: "still using the keys read before (\(String(reflecting: type(of: error))))", failed: true
                ))
            }
        }
        for outcome in outcomes {
            let metadata: Logger.Metadata = ["part": "\(outcome.part)", "detail": "\(outcome.detail)"]
            if outcome.failed {
                logger.error("reload: \(outcome.part) not reloaded", metadata: metadata)
            } else {
                logger.info("reload: \(outcome.part)", metadata: metadata)
            }
        }
        return outcomes
    }

    private static func reload(_ identity: ServerIdentity) -> ReloadOutcome {
        let part = "server certificate"
        do {
            return try identity.reload()
                ? ReloadOutcome(part: part, detail: "new connections get \(identity.certificateURL.lastPathComponent): \(identity.summary)", failed: false)
                : ReloadOutcome(part: part, detail: "unchanged: \(identity.summary)", failed: false)
        } catch {
            return ReloadOutcome(part: part, detail: "still serving \(identity.summary): \(error)", failed: true)
        }
    }

    private static func reload(_ file: RevocationListFile, part: String) -> ReloadOutcome {
        switch file.reload() {
        case .success(let list):
            return ReloadOutcome(
                part: part,
                detail: "\(file.url.lastPathComponent): \(list.entries.count) certificates revoked, next update \(list.nextUpdate.formatted(.iso8601))",
                failed: false
            )
        case .failure(let failure):
            return ReloadOutcome(
                part: part, detail: "\(file.url.lastPathComponent) unusable (\(failure)): every certificate of its CA is refused until a good one is in place",
                failed: true
            )
        }
    }
}

extension GatewayServer.Partners {
    /// Every part of the partner API as the broker wires it from `configuration` (`Broker.build`, and
    /// the tests' router-level app): nothing here connects to the database or starts anything; the
    /// meter writer, the quota sweep, the batch-review worker and the PDF renderer are services to run.
    /// - Parameter holder: this gateway process (`gateway_processes.process_id`), which counts its
    ///   billable requests' quota units in flight and holds its idempotency claims.
    public init(
        _ configuration: BrokerConfiguration, contracts: LiveContracts, pool: PostgresPool, meterPool: PostgresPool, reads: DatabaseReads,
        metrics: GatewayMetrics, holder: String, logger: Logger
    ) throws {
        let writer = MeterWriter(pool: meterPool, logger: logger, onBatch: metrics.meterBatch)
        let queries = QueryService(policies: configuration.policies, hasher: configuration.hasher, reads: reads, pool: pool)
        let batchReviews = BatchReviewService(
            queries: queries, pool: pool, keys: configuration.sealingKeys, meter: writer, configuration: configuration.batchReviews,
            clock: configuration.clock
        )
        let scores = try ScoreService(card: configuration.scorecard)
        let renderer = PDFRenderer(configuration.reportRenderer, logger: logger, metrics: metrics.reportRenderer)
        let rights = SubjectRightsService(queries: queries, pool: pool, keys: configuration.sealingKeys)
        self.init(
            contracts: contracts, receiptSigner: configuration.receiptSigner, queries: queries,
            feeds: FeedService(queries: queries, referenceSecret: configuration.referenceSecret, pool: pool),
            batchReviews: batchReviews,
            scores: scores,
            metering: MeteringServices(
                writer: writer, quotas: QuotaLedger(pool: pool), hasher: configuration.hasher, keys: configuration.sealingKeys, holder: holder,
                logger: logger, concurrency: ConcurrencyLimiter(limit: configuration.requestsInFlightPerPartner),
                quotaLeaseUnits: configuration.quotaLeaseUnits
            ),
            rights: rights,
            reports: ReportService(
                queries: queries, scores: scores, rights: rights, policies: configuration.policies, renderer: renderer, signer: configuration.receiptSigner
            ),
            metrics: metrics, abuse: configuration.partner.abuse, logger: logger
        )
    }
}

/// Ignores `unixSignal` (until a `UnixSignalsSequence` traps it).
private func ignore(_ unixSignal: UnixSignal) {
    _ = signal(unixSignal.rawValue, SIG_IGN)
}

/// A database pool as a service of the group: it closes when the group shuts it down, after every
/// service started after it has stopped.
struct PoolService: Service {
    let pool: PostgresPool

    func run() async throws {
        try? await gracefulShutdown()
        await pool.close()
    }
}
