import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import Metering
import NIOCore
import NIOSSL
import PostgresClient

/// The admin listener: a separate port, mutual TLS only, client certificates issued by the admin
/// CA and not on its CRL (a partner's certificate fails the handshake; API keys mean nothing here),
/// every refused handshake counted and logged, every request recorded in the audit chain.
public enum AdminServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Required: the admin API never speaks plain HTTP.
        public var tls: ListenerTLS
        /// A connection with no request in flight for this long is closed.
        public var idleTimeout: Duration
        /// A TLS handshake not complete this long after the connection was accepted closes it.
        public var handshakeTimeout: Duration
        /// A request not received whole this long after its head is answered 408.
        public var requestTimeout: Duration

        public init(
            host: String = "127.0.0.1", port: Int, tls: ListenerTLS, idleTimeout: Duration = .seconds(30),
            handshakeTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(30)
        ) {
            self.host = host
            self.port = port
            self.tls = tls
            self.idleTimeout = idleTimeout
            self.handshakeTimeout = handshakeTimeout
            self.requestTimeout = requestTimeout
        }

        /// The listener's deadlines (HTTP/2's settings deadline is the idle one).
        var timeouts: ConnectionTimeouts {
            ConnectionTimeouts(handshake: handshakeTimeout, idle: idleTimeout, http2Settings: idleTimeout, request: requestTimeout, close: .seconds(10))
        }
    }

    /// What the admin routes need.
    public struct Services: Sendable {
        /// The contracts in force in this process.
        public var contracts: LiveContracts
        /// Re-reads the ledger after a change and tells how many processes serve it.
        public var watcher: ContractWatcher
        public var pool: PostgresPool
        public var metrics: GatewayMetrics
        /// Open the disputes' sealed text and seal an answer's note.
        public var keys: SealingKeys

        public init(contracts: LiveContracts, watcher: ContractWatcher, pool: PostgresPool, metrics: GatewayMetrics, keys: SealingKeys) {
            self.contracts = contracts
            self.watcher = watcher
            self.pool = pool
            self.metrics = metrics
            self.keys = keys
        }
    }

    /// The admin listener, a service of the broker's group (`Broker`). Refused handshakes are
    /// counted in `metrics` (`adminAuthentication`), which the operations listener serves.
    /// - Parameter credentials: those of `configuration.tls`.
    static func application(
        _ configuration: Configuration,
        services: Services,
        credentials: ListenerCredentials,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            router: router(services),
            // HTTP/2 and HTTP/1.1, as on the partner listener (Hummingbird's upgrade channel offers
            // both by ALPN, whatever it is given), with its deadlines (handshake, idle, whole
            // request); a client certificate is required.
            server: ListenerChannel<HTTP2UpgradeChannel>.server(
                tls: credentials.channelConfiguration(applicationProtocols: ["h2", "http/1.1"], clientCertificates: .noHostnameVerification),
                timeouts: configuration.timeouts
            ),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker-admin"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Every admin route and the console's pages, behind authentication (accepted certificates
    /// counted in `metrics`) and the audit chain.
    public static func router(_ services: Services) -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.add(middleware: HeadRequests())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: AdminAuthenticator(peers: PeerCertificateCache(), counters: services.metrics.adminAuthentication))
        let console = ConsoleRoutes(services: services)
        router.add(middleware: console.middleware)
        router.add(middleware: AdminAuditMiddleware(log: AdminAuditLog(pool: services.pool)))
        let served = MethodNotAllowed<AdminRequestContext>.RouteTable()
        router.add(middleware: MethodNotAllowed(routes: served))
        router.add(middleware: AdminInputMiddleware())
        let v1 = router.group("admin/v1")
        AdminRoutes(services: services).register(on: v1)
        AdminRightsRoutes(services: services).register(on: v1)
        AdminBillingRoutes(services: services).register(on: v1)
        console.register(on: router.group("console"))
        served.fill(router.routes)
        return router
    }
}
