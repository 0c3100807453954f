import Billing
import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import Metering
import NIOSSL
import PostgresClient
import ServiceLifecycle

/// Builds the broker's HTTP application.
public enum GatewayServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// TLS for the partner listener; `nil` serves plain HTTP/1.1 (development, health checks
        /// behind a TLS-terminating proxy): then only API keys authenticate.
        public var tls: ListenerTLS?
        /// A connection with no request in flight for this long is closed (HTTP/2: sent GOAWAY, then
        /// closed `closeTimeout` later at the latest).
        public var idleTimeout: Duration
        /// A TLS handshake not complete this long after the connection was accepted closes it.
        public var handshakeTimeout: Duration
        /// An HTTP/2 client that has not acknowledged the server's SETTINGS (or sent no preface) this
        /// long after negotiating HTTP/2 is sent GOAWAY SETTINGS_TIMEOUT and closed.
        public var http2SettingsTimeout: Duration
        /// A request not received whole (head and body) this long after its head is answered 408
        /// and its connection (HTTP/1.1) or stream (HTTP/2) closed.
        public var requestTimeout: Duration
        /// A connection sent GOAWAY (idle, or the server shutting down) is closed this long later
        /// whether or not the client answers.
        public var closeTimeout: Duration
        /// Client addresses whose HTTP/2 connections swift-nio-http2 keeps ending for abuse (rapid
        /// reset, stream floods) are refused at accept for a while (`AbuseLedger`).
        public var abuse: AbuseLedger.Policy = .standard

        public init(
            host: String = "127.0.0.1", port: Int = 8443, tls: ListenerTLS? = nil, idleTimeout: Duration = .seconds(30),
            handshakeTimeout: Duration = .seconds(10), http2SettingsTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(30),
            closeTimeout: Duration = .seconds(10)
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.idleTimeout = idleTimeout
            self.handshakeTimeout = handshakeTimeout
            self.http2SettingsTimeout = http2SettingsTimeout
            self.requestTimeout = requestTimeout
            self.closeTimeout = closeTimeout
        }

        /// The listener's deadlines.
        var timeouts: ConnectionTimeouts {
            ConnectionTimeouts(
                handshake: handshakeTimeout, idle: idleTimeout, http2Settings: http2SettingsTimeout, request: requestTimeout, close: closeTimeout
            )
        }
    }

    /// What the partner API needs besides the database.
    public struct Partners: Sendable {
        /// The contracts in force; each request pins a snapshot.
        public var contracts: LiveContracts
        public var receiptSigner: ReceiptSigner
        /// Prometheus metrics, authentication outcomes included.
        public var metrics: GatewayMetrics
        /// `POST /v1/queries`.
        public var queries: QueryService
        /// `GET /v1/changes`, the watchlist and alerts.
        public var feeds: FeedService
        /// `/v1/batch-reviews` and its background worker.
        public var batchReviews: BatchReviewService
        /// `POST /v1/scores`.
        public var scores: ScoreService
        /// Rate limits, idempotency, quotas and the meter ledger of every partner route.
        public var metering: MeteringServices
        /// The credit portal's routes for subjects' rights, and the data sources' dispute feed.
        public var rights: SubjectRightsService
        /// `POST /v1/reports`.
        public var reports: ReportService
        /// The partner listener's door, where hostile connections and requests count against their
        /// address (`AbuseStrikes` on the router, the watches on each connection).
        let gate: ConnectionGate

        public init(
            contracts: LiveContracts, receiptSigner: ReceiptSigner,
            queries: QueryService, feeds: FeedService, batchReviews: BatchReviewService, scores: ScoreService,
            metering: MeteringServices, rights: SubjectRightsService, reports: ReportService, metrics: GatewayMetrics,
            abuse: AbuseLedger.Policy = .standard, logger: Logger = Logger(label: "credit-broker.gateway")
        ) {
            gate = ConnectionGate(policy: abuse, metrics: metrics, logger: logger)
            self.rights = rights
            self.reports = reports
            self.contracts = contracts
            self.receiptSigner = receiptSigner
            self.metrics = metrics
            self.queries = queries
            self.feeds = feeds
            self.batchReviews = batchReviews
            self.metering = metering
            self.scores = scores
        }
    }

    /// The partner listener, a `Service` of the broker's group (`Broker`).
    /// - Parameter credentials: those of `configuration.tls` (`nil`: plain HTTP).
    static func application(
        _ configuration: Configuration,
        pool: PostgresPool,
        partners: Partners,
        credentials: ListenerCredentials?,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Self.router(pool: pool, partners: partners)
        // Banks present a client certificate; agencies use API keys instead, so it is asked for, not required.
        let server = ListenerChannel<HTTP1Channel>.server(
            tls: credentials?.channelConfiguration(applicationProtocols: ["h2", "http/1.1"], clientCertificates: .optionalVerification),
            timeouts: configuration.timeouts,
            gate: partners.gate
        )
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Every route the broker serves (`Router.routes` lists them, as the OpenAPI test compares).
    ///
    /// A request's path through the middlewares, in order: request metrics (every answer, by route
    /// and status), no body in any answer to a `HEAD` (answered wherever `GET` is), problems (any error answered as `application/problem+json`), 405 for a served
    /// path asked with another method; then on `/v1`: authentication (the clock read once, the
    /// contract snapshot pinned, the partner), metering (one committed meter event per answer),
    /// the rate limit and requests in flight, the `Idempotency-Key`, a hostile request's strike
    /// against its address (`AbuseStrikes`, with the listener's gate); on billable routes the quota;
    /// then the route. A disclosing route's answer is signed and noted for the meter in one place
    /// (`DisclosingRoutes`).
    public static func router(pool: PostgresPool, partners: Partners) -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestMetricsMiddleware(metrics: partners.metrics))
        router.add(middleware: HeadRequests())
        router.add(middleware: ProblemMiddleware())
        let served = MethodNotAllowed<GatewayRequestContext>.RouteTable()
        router.add(middleware: MethodNotAllowed(routes: served))
        HealthRoutes<GatewayRequestContext>(pool: pool).register(on: router)
        let routes = PartnerRoutes(signer: partners.receiptSigner)
        routes.registerPublic(on: router)
        let metering = partners.metering
        let authenticated = router.group("v1")
            .add(middleware: PartnerAuthenticator(
                contracts: partners.contracts, keys: ApiKeyStore(pool: pool), peers: PeerCertificateCache(), counters: partners.metrics.authentication
            ))
            .add(middleware: MeteringMiddleware(
                writer: metering.writer, idempotency: metering.idempotency, sweep: metering.sweep, admissions: metering.admissions,
                hasher: metering.hasher, metrics: partners.metrics
            ))
            .add(middleware: RateLimitMiddleware(limiter: metering.limiter, concurrency: metering.concurrency))
            .add(middleware: IdempotencyMiddleware(
                store: metering.idempotency, sweep: metering.sweep, hasher: metering.hasher, maxBodyBytes: metering.maxBodyBytes
            ))
        // Innermost: metering answers every error itself (so that it is metered), so this must see a hostile request's problem first.
        authenticated.add(middleware: AbuseStrikes(gate: partners.gate))
        let v1 = DisclosingRoutes(group: authenticated, signer: partners.receiptSigner)
        routes.registerAuthenticated(on: v1)
        // Queries and scores only read (a consent's use aside, which a withheld answer gives back), so
        // they run while their unit is reserved; a report is rendered only once its unit is.
        let quota = { (overlapsRoute: Bool) in
            QuotaMiddleware(
                admissions: metering.admissions, alerts: metering.alerts, sweep: metering.sweep, metrics: partners.metrics,
                overlapsRoute: overlapsRoute
            )
        }
        let billableReads = v1.adding(middleware: quota(true))
        QueryRoutes(service: partners.queries).register(on: billableReads)
        ScoreRoutes(service: partners.scores, queries: partners.queries).register(on: billableReads)
        ReportRoutes(service: partners.reports).register(on: v1.adding(middleware: quota(false)))
        ConsentRoutes(service: partners.queries).register(on: v1)
        ChangeFeedRoutes(service: partners.feeds, rights: partners.rights).register(on: v1)
        WatchlistRoutes(service: partners.feeds, rights: partners.rights).register(on: v1)
        PortalRoutes(service: partners.rights).register(on: v1)
        DisputeFeedRoutes(service: partners.rights).register(on: v1)
        BatchReviewRoutes(service: partners.batchReviews, alerts: metering.alerts).register(on: v1)
        UsageRoutes(usage: UsageQuery(pool: pool), quotas: QuotaLedger(pool: pool)).register(on: v1.group)
        BillingRoutes(billing: BillingStore(pool: pool), export: UsageExport(pool: pool)).register(on: v1.group)
        served.fill(router.routes, headWhereGet: true)
        return router
    }
}
