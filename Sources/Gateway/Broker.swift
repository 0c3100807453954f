import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import Logging
import Metering
import PostgresClient
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
    public var hasher: PersonKeyHasher
    /// The secret partners' subject references derive from.
    public var referenceSecret: [UInt8]
    public var seed: Seed?
    /// Where requests and the contract snapshot read the time.
    public var clock: any WallClock = SystemClock()
    public var batchReviews: BatchReviewWorker.Configuration = .init()
    /// How often each process checks the contract ledger besides `LISTEN`.
    public var contractPollInterval: Duration = .seconds(1)
    /// Connections of the meter writer's own pool (so busy routes never delay the meter).
    public var meterConnections = 2
    /// Requests of one partner this process serves at once; beyond it, 429 before anything is read.
    public var requestsInFlightPerPartner = 128
    public var listening = Listening()
    /// The signals that shut the broker down gracefully (tests use none and call `Broker.shutdown()`).
    public var gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint]

    public init(
        partner: GatewayServer.Configuration, admin: AdminServer.Configuration? = nil, operations: OperationsServer.Configuration? = nil,
        policies: PolicyBundle, scorecard: CompiledScorecard, receiptSigner: ReceiptSigner, hasher: PersonKeyHasher,
        referenceSecret: [UInt8], seed: Seed? = nil
    ) {
        self.partner = partner
        self.admin = admin
        self.operations = operations
        self.policies = policies
        self.scorecard = scorecard
        self.receiptSigner = receiptSigner
        self.hasher = hasher
        self.referenceSecret = referenceSecret
        self.seed = seed
    }
}

/// The broker's listeners and background work, as one `ServiceGroup`.
///
/// Started in this order and shut down in the reverse, on a signal and on the error path alike:
/// the database pools, the meter writer, the contract watcher, the batch-review worker, then the
/// operations, admin and partner listeners. So on shutdown the listeners drain first (in-flight
/// requests finish and their meter events are queued), the worker stops, the meter writer commits
/// what is queued, and only then do the pools close.
public struct Broker: Sendable {
    public let configuration: BrokerConfiguration
    public let contracts: LiveContracts
    public let watcher: ContractWatcher
    public let partners: GatewayServer.Partners
    public let metrics: GatewayMetrics
    public let pool: PostgresPool
    private let group: ServiceGroup

    /// Seeds an empty ledger, reads it, and builds every part on `pool` (migrated).
    public static func build(_ configuration: BrokerConfiguration, pool: PostgresPool, logger: Logger) async throws -> Broker {
        let store = ContractStore(pool: pool)
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
        do {
            return try assemble(configuration, pool: pool, meterPool: meterPool, contracts: contracts, watcher: watcher, logger: logger)
        } catch {
            await meterPool.close()
            throw error
        }
    }

    private static func assemble(
        _ configuration: BrokerConfiguration, pool: PostgresPool, meterPool: PostgresPool, contracts: LiveContracts, watcher: ContractWatcher,
        logger: Logger
    ) throws -> Broker {
        let metrics = GatewayMetrics()
        let writer = MeterWriter(pool: meterPool, logger: logger, onBatch: metrics.meterBatch)
        let queries = QueryService(
            policies: configuration.policies, hasher: configuration.hasher, records: RecordStore(pool: pool, catalog: configuration.policies.catalog)
        )
        let batchReviews = BatchReviewService(queries: queries, pool: pool, meter: writer, configuration: configuration.batchReviews)
        let partners = GatewayServer.Partners(
            contracts: contracts, receiptSigner: configuration.receiptSigner, queries: queries,
            feeds: FeedService(queries: queries, referenceSecret: configuration.referenceSecret, pool: pool),
            batchReviews: batchReviews,
            scores: try ScoreService(card: configuration.scorecard),
            metering: MeteringServices(
                writer: writer, quotas: QuotaLedger(pool: pool), hasher: configuration.hasher, holder: watcher.processID, logger: logger,
                concurrency: ConcurrencyLimiter(limit: configuration.requestsInFlightPerPartner)
            ),
            metrics: metrics
        )
        var services: [any Service] = [
            PoolService(pool: pool), PoolService(pool: meterPool), writer, partners.metering.sweep, watcher, batchReviews.worker,
        ]
        if let operations = configuration.operations {
            services.append(OperationsServer.application(
                operations, pool: pool, metrics: metrics, logger: logger, onServerRunning: configuration.listening.operations
            ))
        }
        if let admin = configuration.admin {
            services.append(try AdminServer.application(
                admin, services: AdminServer.Services(contracts: contracts, watcher: watcher, pool: pool, metrics: metrics),
                logger: logger, onServerRunning: configuration.listening.admin
            ))
        }
        services.append(try GatewayServer.application(
            configuration.partner, pool: pool, partners: partners, logger: logger, onServerRunning: configuration.listening.partner
        ))
        let group = ServiceGroup(configuration: .init(
            services: services.map {
                .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: configuration.gracefulShutdownSignals,
            cancellationSignals: [],
            logger: logger
        ))
        return Broker(
            configuration: configuration, contracts: contracts, watcher: watcher, partners: partners, metrics: metrics, pool: pool, group: group
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
