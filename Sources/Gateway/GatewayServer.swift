import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOSSL
import PostgresClient
import X509

/// Builds the broker's HTTP application.
public enum GatewayServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// TLS for the partner listener; `nil` serves plain HTTP/1.1 (development, health checks
        /// behind a TLS-terminating proxy): then only API keys authenticate.
        public var tls: TLS?

        public init(host: String = "127.0.0.1", port: Int = 8443, tls: TLS? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    /// PEM files of the partner listener's TLS: TLS 1.2 or 1.3, HTTP/2 by ALPN, client
    /// certificates requested and verified against the partner CA, never required (agencies use keys).
    public struct TLS: Sendable {
        public var certificateChain: URL
        public var privateKey: URL
        /// The CA that issues partner client certificates.
        public var partnerCA: URL
        /// The partner CA's CRL, re-read when it changes.
        public var revocationList: URL

        public init(certificateChain: URL, privateKey: URL, partnerCA: URL, revocationList: URL) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
            self.partnerCA = partnerCA
            self.revocationList = revocationList
        }

        /// The files of a development PKI (`credit-broker pki init`).
        public init(developmentPKI pki: DevelopmentPKI) {
            self.init(
                certificateChain: pki.serverCertificateURL, privateKey: pki.serverKeyURL,
                partnerCA: pki.caURL, revocationList: pki.revocationListURL
            )
        }
    }

    /// What the partner API needs besides the database.
    public struct Partners: Sendable {
        public var directory: PartnerDirectory
        public var receiptSigner: ReceiptSigner
        public var counters: AuthenticationCounters
        /// `POST /v1/queries`.
        public var queries: QueryService
        /// `POST /v1/scores`; without a scorecard the route is not served.
        public var scores: ScoreService?

        public init(
            directory: PartnerDirectory, receiptSigner: ReceiptSigner,
            queries: QueryService, scores: ScoreService? = nil, counters: AuthenticationCounters = AuthenticationCounters()
        ) {
            self.directory = directory
            self.receiptSigner = receiptSigner
            self.counters = counters
            self.queries = queries
            self.scores = scores
        }
    }

    /// The application, ready for `runService()`.
    public static func application(
        _ configuration: Configuration,
        pool: PostgresPool,
        partners: Partners,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        HealthRoutes(pool: pool).register(on: router)
        let routes = PartnerRoutes(signer: partners.receiptSigner)
        routes.registerPublic(on: router)
        let v1 = router.group("v1").add(middleware: PartnerAuthenticator(
            directory: partners.directory, keys: ApiKeyStore(pool: pool), peers: PeerCertificateCache(), counters: partners.counters
        ))
        routes.registerAuthenticated(on: v1)
        QueryRoutes(service: partners.queries, signer: partners.receiptSigner).register(on: v1)
        if let scores = partners.scores { ScoreRoutes(service: scores, queries: partners.queries, signer: partners.receiptSigner).register(on: v1) }
        var server = HTTPServerBuilder.http1()
        if let tls = configuration.tls {
            server = try .http2Upgrade(tlsChannelConfiguration: tlsChannelConfiguration(tls, counters: partners.counters, logger: logger))
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    private static func tlsChannelConfiguration(_ tls: TLS, counters: AuthenticationCounters, logger: Logger) throws -> HummingbirdHTTP2.TLSChannelConfiguration {
        let ca = try Certificate(pemEncoded: String(contentsOf: tls.partnerCA, encoding: .utf8))
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChain.path).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey.path, format: .pem))
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .optionalVerification
        configuration.trustRoots = .file(tls.partnerCA.path)
        configuration.applicationProtocols = ["h2", "http/1.1"]
        let verifier = PartnerCertificateVerifier(
            roots: CertificateStore([ca]), revocations: RevocationListFile(url: tls.revocationList, ca: ca),
            counters: counters, logger: logger
        )
        return HummingbirdHTTP2.TLSChannelConfiguration(tlsConfiguration: configuration, customAsyncVerificationCallback: verifier.verify)
    }
}
