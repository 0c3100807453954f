import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
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

        public init(host: String = "127.0.0.1", port: Int, tls: ListenerTLS, idleTimeout: Duration = .seconds(30)) {
            self.host = host
            self.port = port
            self.tls = tls
            self.idleTimeout = idleTimeout
        }
    }

    /// The application, ready to run (alone or as a service of the partner application). Refused
    /// handshakes are counted in `metrics` (`adminAuthentication`), which the partner listener's
    /// `/metrics` serves.
    public static func application(
        _ configuration: Configuration,
        contracts: [Contract],
        pool: PostgresPool,
        metrics: GatewayMetrics,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(configuration.tls.certificateChain.path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: configuration.tls.privateKey.path, format: .pem))
        )
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .file(configuration.tls.clientCA.path)
        let verifier = try ClientCertificateVerifier(
            ca: configuration.tls.clientCA, revocationList: configuration.tls.revocationList, counters: metrics.adminAuthentication, logger: logger
        )
        return Application(
            router: router(contracts: contracts, pool: pool, metrics: metrics),
            server: try .tls(
                .http1(configuration: .init(idleTimeout: TimeAmount(configuration.idleTimeout))),
                configuration: .init(tlsConfiguration: tls, customAsyncVerificationCallback: verifier.verify)
            ),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker-admin"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Every admin route, behind authentication (accepted certificates counted in `metrics`) and the audit chain.
    public static func router(contracts: [Contract], pool: PostgresPool, metrics: GatewayMetrics) -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: AdminAuthenticator(peers: PeerCertificateCache(), counters: metrics.adminAuthentication))
        let audit = AdminAuditLog(pool: pool)
        router.add(middleware: AdminAuditMiddleware(log: audit))
        let served = MethodNotAllowed<AdminRequestContext>.RouteTable()
        router.add(middleware: MethodNotAllowed(routes: served))
        router.add(middleware: AdminInputMiddleware())
        AdminRoutes(contracts: contracts, keys: ApiKeyStore(pool: pool), usage: UsageQuery(pool: pool), audit: audit)
            .register(on: router.group("admin/v1"))
        served.fill(router.routes)
        return router
    }
}
