import AsyncHTTPClient
import BrokerCore
import BrokerStore
import Crypto
import Foundation
import Gateway
import Ingest
import Metering
import Logging
import Metering
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresClient
import Scoring
import TestSupport
import X509

/// A real gateway over real TLS on port 0 against a fresh PostgreSQL, with a development PKI made
/// for the test and the repository's shipped contracts, and its admin listener on another port 0.
struct TestGateway {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Two banks, and the joint-credit company below, bound by their contracts' subjects.
    static let bank = "bank.icbc_jiangsu"
    static let otherBank = "bank.boc_jiangsu"
    static let agency = "agency.nj_anxin"
    static let otherAgency = "agency.cz_huixin"
    /// The joint-credit company, which receives the change feed.
    static let jointCredit = "joint.jiangsu_joint_credit"

    let port: Int
    let adminPort: Int
    let pki: DevelopmentPKI
    let ca: CertificateAuthority
    let pool: PostgresPool
    let counters: AuthenticationCounters
    let directory: PartnerDirectory
    let policies: PolicyBundle
    let partners: GatewayServer.Partners
    static let hasher = try! PersonKeyHasher(secret: Array(repeating: 7, count: 32))
    static let referenceSecret = [UInt8](repeating: 9, count: 32)
    /// The scorecard `POST /v1/scores` serves.
    static let scorecard = "Policies/scorecards/sme-lending-v3.yaml"

    /// Starts a gateway, runs `body` against it, and stops it. `adjusting` changes the partner
    /// listener's configuration (e.g. shorter timeouts); `logger` receives the gateway's log.
    static func run(
        adjusting: (inout GatewayServer.Configuration) -> Void = { _ in }, logger: Logger? = nil, _ body: (TestGateway) async throws -> Void
    ) async throws {
        let database = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: database, maxConnections: 4))
        try await Migrator(pool: pool).migrate()
        let folder = URL(filePath: TestPostgres.temporaryFolder())
        let policies = try loadPolicies()
        let contracts = try loadContracts(policies)
        let pki = DevelopmentPKI(folder: folder.appending(path: "pki"))
        _ = try pki.create(partners: [bank, otherBank, jointCredit].map { id in
            let contract = contracts.first { $0.partnerID == id }!
            return DevelopmentPKI.Partner(partnerID: id, subject: try DistinguishedName(text: contract.authentication.certificates[0].subject!))
        })
        let ca = try CertificateAuthority(
            certificate: Certificate(pemEncoded: String(contentsOf: pki.caURL, encoding: .utf8)),
            privateKey: P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: pki.caKeyURL, encoding: .utf8))
        )
        let metrics = GatewayMetrics()
        let directory = PartnerDirectory(contracts: contracts)
        let queries = QueryService(contracts: contracts, policies: policies, hasher: hasher, records: RecordStore(pool: pool, catalog: policies.catalog))
        let meter = MeterWriter(pool: pool, onBatch: metrics.meterBatch)
        let partners = GatewayServer.Partners(
            directory: directory,
            receiptSigner: try ReceiptSigner.loadOrCreate(at: folder.appending(path: "receipt-signing-key")),
            queries: queries,
            feeds: FeedService(queries: queries, referenceSecret: referenceSecret, pool: pool),
            batchReviews: BatchReviewService(queries: queries, pool: pool, meter: meter, configuration: .init(chunkSize: 100, pollInterval: .milliseconds(200))),
            scores: try ScoreService(card: CompiledScorecard(yaml: String(contentsOf: root.appending(path: scorecard), encoding: .utf8))),
            metering: MeteringServices(
                writer: meter, quotas: QuotaLedger(pool: pool), idempotency: IdempotencyStore(pool: pool), hasher: hasher
            ),
            metrics: metrics
        )
        let logger = logger ?? {
            var logger = Logger(label: "gateway-test")
            logger.logLevel = .critical
            return logger
        }()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let (adminPorts, adminContinuation) = AsyncStream.makeStream(of: Int.self)
        let admin = try AdminServer.application(
            .init(port: 0, tls: ListenerTLS(developmentPKI: pki, clients: .admin)), contracts: contracts, pool: pool, metrics: metrics, logger: logger,
            onServerRunning: { adminContinuation.yield($0) }
        )
        var configuration = GatewayServer.Configuration(host: "127.0.0.1", port: 0, tls: ListenerTLS(developmentPKI: pki, clients: .partner))
        adjusting(&configuration)
        let app = try GatewayServer.application(
            configuration,
            pool: pool, partners: partners, services: [admin], logger: logger, onServerRunning: { continuation.yield($0) }
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer {
                    continuation.finish()
                    adminContinuation.finish()
                }
                do {
                    try await app.runService(gracefulShutdownSignals: [])
                } catch where Task.isCancelled {
                    // Stopped by the test's end.
                }
            }
            var iterator = ports.makeAsyncIterator()
            var adminIterator = adminPorts.makeAsyncIterator()
            guard let port = await iterator.next(), let adminPort = await adminIterator.next() else { return }
            defer { group.cancelAll() }
            try await body(TestGateway(port: port, adminPort: adminPort, pki: pki, ca: ca, pool: pool, counters: metrics.authentication, directory: directory, policies: policies, partners: partners))
        }
        await partners.metering.writer.close()
        await pool.close()
    }

    private static func file(_ path: String) throws -> (file: String, text: String) {
        (path, try String(contentsOf: root.appending(path: path), encoding: .utf8))
    }

    static func loadPolicies() throws -> PolicyBundle {
        try PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
            purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
        )
    }

    static func loadContracts(_ policies: PolicyBundle) throws -> [Contract] {
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appending(path: "Contracts").path).filter { $0.hasSuffix(".yaml") }
        return try ContractSet(files: names.map { name in
            let contract = try file("Contracts/" + name)
            return (name: contract.file, text: contract.text)
        }, policies: policies).governing(on: CivilDate(Date()))
    }

    /// Loads feed lines (JSON Lines) from `source` through the real ingest path; every line must be accepted.
    func ingest(_ lines: [String], source: String = "jiangsu_public_credit") async throws {
        let file = URL(filePath: TestPostgres.temporaryFolder()).appending(path: "feed.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let ingestor = FeedIngestor(
            writer: RecordWriter(pool: pool), catalog: policies.catalog, masking: policies.masking, hasher: Self.hasher
        )
        let summary = try await ingestor.ingest(file: file.path, source: source, onReject: { rejection in
            throw FeedRejected(rejection: rejection)
        })
        precondition(summary.rejected == 0)
    }

    /// A test feed line the ingest refused.
    struct FeedRejected: Error {
        let rejection: LineFault
    }

    /// A client certificate and key as swift-nio-ssl wants them.
    struct ClientIdentity {
        let certificate: NIOSSLCertificate
        let key: NIOSSLPrivateKey

        init(_ certificate: Certificate, _ key: P256.Signing.PrivateKey) throws {
            self.certificate = try NIOSSLCertificate(bytes: Array(certificate.serializeAsPEM().pemString.utf8), format: .pem)
            self.key = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        }
    }

    /// The client certificate `pki init` wrote for a partner.
    func identity(of partnerID: String) throws -> ClientIdentity {
        try ClientIdentity(
            Certificate(pemEncoded: String(contentsOf: pki.clientCertificateURL(partnerID), encoding: .utf8)),
            P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: pki.clientKeyURL(partnerID), encoding: .utf8))
        )
    }

    /// The certificate `pki init` wrote for an admin role.
    func identity(of role: AdminRole) throws -> ClientIdentity {
        try ClientIdentity(
            Certificate(pemEncoded: String(contentsOf: pki.adminCertificateURL(role), encoding: .utf8)),
            P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: pki.adminKeyURL(role), encoding: .utf8))
        )
    }

    /// One request to the admin listener with an admin role's certificate.
    func admin(_ method: HTTPMethod = .GET, _ path: String, as role: AdminRole, body: Data? = nil) async throws -> Reply {
        try await request(method, path, identity: identity(of: role), body: body, port: adminPort)
    }

    /// A response with its whole body.
    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        let version: HTTPVersion

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// One request on a new connection (so each call performs its own handshake), to the partner
    /// listener unless `port` names another. A refused handshake is retried by the client until `timeout`.
    func request(
        _ method: HTTPMethod = .GET, _ path: String, identity: ClientIdentity? = nil, bearer: String? = nil,
        headers: [String: String] = [:], body: Data? = nil,
        timeout: TimeAmount = .seconds(20), port: Int? = nil
    ) async throws -> Reply {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(pki.caURL.path)
        if let identity {
            tls.certificateChain = [.certificate(identity.certificate)]
            tls.privateKey = .privateKey(identity.key)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var request = HTTPClientRequest(url: "https://localhost:\(port ?? self.port)\(path)")
            request.method = method
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response = try await client.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 1 << 22)
            try await client.shutdown()
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView), version: response.version)
        } catch {
            try await client.shutdown()
            throw error
        }
    }
}
