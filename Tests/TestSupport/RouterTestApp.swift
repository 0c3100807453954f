import BrokerCore
import BrokerStore
import Crypto
import Foundation
import GMCrypto
import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresClient
import Scoring

/// The broker's routers with everything they need but a database and TLS, for what needs neither:
/// problems and their shape, 405, authentication's refusals, the public routes, the request
/// metrics, the routes served. Requests go straight to a router (HummingbirdTesting's `.router`):
/// no socket, no handshake, no client certificate. The parts are wired as `Broker` wires them
/// (`GatewayServer.Partners`), from the repository's policies and shipped contracts; the database
/// pool names a server that is not there, so a route that reaches the database answers 503.
///
/// What needs the real thing (a certificate, a committed meter event, a record) stays with the
/// end-to-end tests (`TestGateway`).
public struct RouterTestApp: Sendable {
    public let partners: GatewayServer.Partners
    public let admin: AdminServer.Services
    /// The partner listener's metrics (`/metrics` of the operations router).
    public var metrics: GatewayMetrics { partners.metrics }
    /// Names a unix socket in a folder that does not exist: every connection fails at once.
    public let pool: PostgresPool
    private let meterPool: PostgresPool

    /// Builds the parts, runs `body` with them, then closes the pools.
    public static func run<Value>(_ body: (RouterTestApp) async throws -> Value) async throws -> Value {
        let app = try make()
        do {
            let value = try await body(app)
            await app.close()
            return value
        } catch {
            await app.close()
            throw error
        }
    }

    /// A client of the partner router (`GatewayServer.router`).
    public func partnerAPI<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await Application(router: GatewayServer.router(pool: pool, partners: partners)).test(.router, test)
    }

    /// A client of the operations router (`OperationsServer.router`: `/metrics`, `/healthz`, `/readyz`).
    public func operations<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await Application(router: OperationsServer.router(pool: pool, metrics: metrics)).test(.router, test)
    }

    /// The metrics as `/metrics` shows them (the operations router's answer).
    public func metricsText() async throws -> String {
        try await operations { client in
            try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
        }
    }

    private static func make() throws -> RouterTestApp {
        var logger = Logger(label: "router-test")
        logger.logLevel = .critical
        let nowhere = PostgresConfiguration.unixSocket(
            directory: "/nonexistent-credit-broker-test-\(UUID().uuidString)", database: "broker", user: "broker"
        )
        let pool = PostgresPool(.init(connection: nowhere, maxConnections: 2), logger: logger)
        let meterPool = PostgresPool(.init(connection: nowhere, maxConnections: 1), logger: logger)
        let policies = try Fixtures.policies()
        let files = try Fixtures.contractFiles()
        let start = Date(timeIntervalSince1970: 0)
        let ledger = ContractLedger(versions: files.enumerated().map { .init(id: Int64($0.offset + 1), contract: $0.element.contract, effectiveFrom: start) })
        let contracts = LiveContracts(ledger: ledger, token: LedgerToken(versionID: Int64(files.count), statusID: 0), policies: policies)
        var configuration = BrokerConfiguration(
            partner: .init(port: 0), policies: policies,
            scorecard: try CompiledScorecard(yaml: String(contentsOf: Repository.root.appending(path: "Policies/scorecards/sme-lending-v3.yaml"), encoding: .utf8)),
            receiptSigner: try ReceiptSigner(ed25519: Curve25519.Signing.PrivateKey(), sm2: SM2PrivateKey()),
            sealingKeys: try TestSealingKeys.fresh(), hasher: try PersonKeyHasher(secret: Array(repeating: 7, count: 32)),
            referenceSecret: Array(repeating: 9, count: 32)
        )
        configuration.reportRenderer = .init(warm: false)
        let metrics = GatewayMetrics()
        let reads = DatabaseReads(
            primary: pool, catalog: policies.catalog, keys: configuration.sealingKeys, standby: nil, metrics: metrics, logger: logger
        )
        let watcher = ContractWatcher(contracts: contracts, pool: pool, listenerConfiguration: nowhere, logger: logger)
        return RouterTestApp(
            partners: try GatewayServer.Partners(
                configuration, contracts: contracts, pool: pool, meterPool: meterPool, reads: reads, metrics: metrics, holder: watcher.processID,
                logger: logger
            ),
            admin: AdminServer.Services(contracts: contracts, watcher: watcher, pool: pool, metrics: metrics, keys: configuration.sealingKeys),
            pool: pool, meterPool: meterPool
        )
    }

    private func close() async {
        await pool.close()
        await meterPool.close()
    }
}
