import AsyncHTTPClient
import BrokerCore
import BrokerStore
import Crypto
import Foundation
import Gateway
import Ingest
import Logging
import Metering
import NIOCore
import NIOHTTP1
import NIOSSL
import PKI
import PostgresClient
import Reports
import Scoring
import TestSupport
import Testing
import X509

/// A real gateway over real TLS on port 0 against a fresh PostgreSQL, with a development PKI made
/// for the test and the repository's shipped contracts, and its admin listener on another port 0.
struct TestGateway {
    /// Two banks, and the joint-credit company below, bound by their contracts' subjects.
    static let bank = "bank.icbc_jiangsu"
    static let otherBank = "bank.boc_jiangsu"
    static let agency = "agency.nj_anxin"
    static let otherAgency = "agency.cz_huixin"
    /// The joint-credit company, which receives the change feed.
    static let jointCredit = "joint.jiangsu_joint_credit"
    /// A third bank, for "who queried me" across three banks.
    static let thirdBank = "bank.ccb_jiangsu"
    /// The province's credit portal, acting for subjects on their rights.
    static let portal = "portal.xinyong_jiangsu"
    /// The public credit platform's account for the disputes on its records.
    static let dataSource = "source.jiangsu_public_credit"

    let port: Int
    let adminPort: Int
    /// The operations listener (`/metrics`).
    let opsPort: Int
    let pki: DevelopmentPKI
    let ca: CertificateAuthority
    let pool: PostgresPool
    let counters: AuthenticationCounters
    let policies: PolicyBundle
    let partners: GatewayServer.Partners
    let broker: Broker
    static let hasher = try! PersonKeyHasher(secret: Array(repeating: 7, count: 32))
    static let referenceSecret = [UInt8](repeating: 9, count: 32)
    /// The scorecard `POST /v1/scores` serves.
    static let scorecard = "Policies/scorecards/sme-lending-v3.yaml"

    /// The partners' contracts in force now (the request's snapshot would pin one of these).
    var directory: PartnerDirectory { broker.contracts.snapshot().directory }

    /// Starts a broker as `serve` does (`Broker.build`, the same services in the same group), with
    /// the shipped contracts seeded into a fresh database, each test bank's certificate pinned; runs
    /// `body` against it; then shuts it down in order. `clock` replaces the wall clock; `adjusting`
    /// changes the partner listener's configuration (e.g. shorter timeouts), `configuring` the
    /// broker's (given the test database's connection); `logger` receives the log; `renderer`
    /// replaces the reports' PDF renderer (Debian's Chromium by default, its browsers started at the first PDF).
    static func run(
        clock: (any WallClock)? = nil, renderer: PDFRenderer.Configuration? = nil, adjusting: (inout GatewayServer.Configuration) -> Void = { _ in },
        adjustingAdmin: (inout AdminServer.Configuration) -> Void = { _ in }, configuring: (inout BrokerConfiguration, _ database: PostgresConfiguration) -> Void = { _, _ in },
        logger: Logger? = nil, auditDigest: AuditDigest? = nil, _ body: (TestGateway) async throws -> Void
    ) async throws {
        // One of `turns` from before the database is made until the gateway has shut down.
        let turn = try await turns.acquire()
        try await withCleanup {
            // The database is named after the test (its function), so that a test's can be told apart.
            let database = try await TestPostgres.freshDatabase(Test.current?.name ?? "gateway")
            let pool = PostgresPool(.init(connection: database, maxConnections: 4))
            try await Migrator(pool: pool).migrate()
            let folder = URL(filePath: TestPostgres.temporaryFolder())
            let policies = try Fixtures.policies()
            let files = try Fixtures.contractFiles()
            let contracts = ContractSet(contracts: files.map(\.contract)).governing(on: .today())
            let pki = DevelopmentPKI(folder: folder.appending(path: "pki"))
            _ = try pki.create(partners: [bank, otherBank, thirdBank, jointCredit, portal, dataSource].map { id in
                let contract = contracts.first { $0.partnerID == id }!
                return DevelopmentPKI.Partner(partnerID: id, subject: try DistinguishedName(text: contract.authentication.certificates[0].subject!))
            })
            let ca = try CertificateAuthority(
                certificate: Certificate(pemEncoded: String(contentsOf: pki.caURL, encoding: .utf8)),
                privateKey: P256.Signing.PrivateKey(pemRepresentation: String(contentsOf: pki.caKeyURL, encoding: .utf8))
            )
            var configuration = BrokerConfiguration(
                partner: .init(host: "127.0.0.1", port: 0, tls: ListenerTLS(developmentPKI: pki, clients: .partner)),
                admin: .init(port: 0, tls: ListenerTLS(developmentPKI: pki, clients: .admin)),
                // Tests read the disputes' lines of /metrics; on a loaded test machine their count may take over
                // the production second (OperationsMetricsTests checks the bound itself).
                operations: .init(port: 0, databasePatience: .seconds(15)),
                policies: policies,
                scorecard: try CompiledScorecard(yaml: Fixtures.file(scorecard).text),
                receiptSigner: try ReceiptSigner.loadOrCreate(
                    at: folder.appending(path: "receipt-signing-key"), sm2: folder.appending(path: "receipt-signing-key-sm2.pem")
                ),
                sealingKeys: try await SealingKeys.loadOrCreate(file: folder.appending(path: "sealing-keys").path),
                hasher: hasher, referenceSecret: referenceSecret,
                seed: .init(detail: "seeded for a test") { try pki.binding(files) }
            )
            configuration.batchReviews = .init(chunkSize: 100, pollInterval: .milliseconds(200))
            configuration.clock = clock ?? SystemClock()
            // Most tests ask for no PDF: their gateways start no browser until one is asked for.
            configuration.reportRenderer = renderer ?? .init(warm: false)
            configuration.auditDigest = auditDigest
            configuration.gracefulShutdownSignals = []
            configuration.reloadSignals = []
            configuring(&configuration, database)
            adjusting(&configuration.partner)
            if configuration.admin != nil { adjustingAdmin(&configuration.admin!) }
            let (ports, continuation) = AsyncStream.makeStream(of: (String, Int).self)
            configuration.listening.partner = { continuation.yield(("partner", $0)) }
            configuration.listening.admin = { continuation.yield(("admin", $0)) }
            configuration.listening.operations = { continuation.yield(("ops", $0)) }
            let logger = logger ?? {
                var logger = Logger(label: "gateway-test")
                logger.logLevel = .critical
                return logger
            }()
            let broker = try await Broker.build(configuration, pool: pool, logger: logger)
            try await whileRunning(broker, listening: continuation) {
                var bound: [String: Int] = [:]
                for await (name, port) in ports {
                    bound[name] = port
                    if bound.count == 3 { break }
                }
                guard let port = bound["partner"], let adminPort = bound["admin"], let opsPort = bound["ops"] else {
                    throw DidNotStart(listeners: bound.keys.sorted())
                }
                try await body(TestGateway(
                    port: port, adminPort: adminPort, opsPort: opsPort, pki: pki, ca: ca, pool: pool,
                    counters: broker.metrics.authentication, policies: policies, partners: broker.partners, broker: broker
                ))
            }
        } cleanup: {
            await turns.release(turn)
        }
    }

    /// The turns every test gateway of the process takes, one from before its database is made until
    /// it has shut down: at most four run at once, whichever suites they belong to.
    ///
    /// The test runner starts every suite at once. On two cores the first wave of a full run had a
    /// few dozen gateways making databases, compiling contracts and shaking hands together, every
    /// test of that wave took about 131 s, and a test's own bounds (AsyncHTTPClient's 10 s connect,
    /// a 20 s request) ran out in 3 of 7 full runs of 2026-12-07 and in CI. A test waits for its turn
    /// before its clock starts, so its bounds measure the gateway, not the queue.
    static let turns = Turns(4)

    /// Runs `body` with a second gateway process on this one's database, as `serve` would start it
    /// on another host: its own pools, contract snapshot, quota coalescer and quota-alert memory, the
    /// same clock and keys; `body` gets its partner listener's port (no admin listener).
    func secondProcess(_ body: (Int) async throws -> Void) async throws {
        var configuration = broker.configuration
        configuration.admin = nil
        configuration.operations = nil
        configuration.seed = nil
        configuration.partner.port = 0
        configuration.listening = .init()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        configuration.listening.partner = { continuation.yield($0) }
        var logger = Logger(label: "gateway-test-second")
        logger.logLevel = .critical
        let pool = PostgresPool(.init(connection: self.pool.configuration.connection, maxConnections: 4))
        let second = try await Broker.build(configuration, pool: pool, logger: logger)
        try await Self.whileRunning(second, listening: continuation) {
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw DidNotStart(listeners: []) }
            try await body(port)
        }
    }

    /// Runs `broker` in a child task while `body` runs, then shuts it down, whether `body` returns or
    /// throws. `listening` is finished when the run ends, so a `body` waiting for its ports stops
    /// waiting; a run that ended with an error (a port already taken) fails the test with that error.
    private static func whileRunning<Port: Sendable>(
        _ broker: Broker, listening: AsyncStream<Port>.Continuation, _ body: () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { listening.finish() }
                try await broker.run()
            }
            do {
                try await body()
            } catch {
                await broker.shutdown()
                // The run's own error, if it ended with one, says more than what the body made of it.
                try await group.waitForAll()
                throw error
            }
            await broker.shutdown()
            try await group.waitForAll()
        }
    }

    /// A gateway whose run ended before all its listeners were up, without an error of its own.
    struct DidNotStart: Error, CustomStringConvertible {
        var listeners: [String]
        var description: String { "the test gateway stopped before its listeners were up (up: \(listeners))" }
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
    func admin(_ method: HTTPMethod = .GET, _ path: String, as role: AdminRole, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        try await request(method, path, identity: identity(of: role), headers: headers, body: body, port: adminPort)
    }

    /// A response with its whole body.
    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        let version: HTTPVersion

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// The operations listener's `/metrics` text (plain HTTP on loopback).
    func metrics() async throws -> String {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(opsPort)/metrics"), timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 22)
            try await client.shutdown()
            return String(decoding: bytes.readableBytesView, as: UTF8.self)
        } catch {
            try await client.shutdown()
            throw error
        }
    }

    /// Rows the audit chain holds before a test's first request: the seeding of the contract ledger.
    static let seedAuditRows = 1

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
        // Redirects (the console's 303 after a form) are answers to check, not to follow.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls, redirectConfiguration: .disallow))
        do {
            var request = HTTPClientRequest(url: "https://localhost:\(port ?? self.port)\(path)")
            request.method = method
            if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body {
                if !headers.keys.contains("Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
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
