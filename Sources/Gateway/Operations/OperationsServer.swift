import BrokerCore
import BrokerStore
import Hummingbird
import Logging
import Metering
import PostgresClient

/// The operations listener: `/metrics` (every partner's quota use and volumes, for the platform's
/// monitoring, never for partners), `/healthz` and `/readyz`. Plain HTTP, bound to loopback by
/// default (`serve --ops-port`, `--ops-host`); put it behind the host's own monitoring agent.
public enum OperationsServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// How long a `/metrics` scrape waits for the figures it reads from the database (the disputes'
        /// counts) before answering without them.
        public var databasePatience: Duration
        public static let defaultDatabasePatience: Duration = .seconds(1)

        public init(host: String = "127.0.0.1", port: Int, databasePatience: Duration = defaultDatabasePatience) {
            self.host = host
            self.port = port
            self.databasePatience = databasePatience
        }
    }

    /// The routes it serves (`Router.routes` lists them). `/metrics` adds, from the database, the
    /// disputes open and overdue on `clock`'s day (China time); left out while the database is
    /// unreachable or gives them no answer within `databasePatience` (all the pool's connections busy
    /// under load): a scrape answers at once with what the process knows, as monitoring needs most then.
    /// With `admissions`, it also reads the quota units the process holds leased, by partner.
    public static func router(
        pool: PostgresPool, metrics: GatewayMetrics, admissions: QuotaCoalescer? = nil, clock: any WallClock = SystemClock(),
        databasePatience: Duration = Configuration.defaultDatabasePatience
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        HealthRoutes<BasicRequestContext>(pool: pool, patience: databasePatience).register(on: router)
        router.get("metrics") { _, _ -> Response in
            if let admissions { metrics.quotaLeased(admissions.leasedUnitsByPartner) }
            var text = metrics.text()
            let day = CivilDate(clock.now())
            if let counts = try? await TimeLimit.databaseAnswer(within: databasePatience, { try await DisputeStore.openCounts(on: day, pool: pool) }) {
                text += Array(GatewayMetrics.disputeLines(open: counts.open, overdue: counts.overdue).utf8)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text))
            )
        }
        return router
    }

    static func application(
        _ configuration: Configuration, pool: PostgresPool, metrics: GatewayMetrics, admissions: QuotaCoalescer?, clock: any WallClock,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router(pool: pool, metrics: metrics, admissions: admissions, clock: clock, databasePatience: configuration.databasePatience),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker-ops"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}
