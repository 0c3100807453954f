import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Metering
import PKI
import PostgresClient
import Scoring

/// Where the HTTP server listens, its TLS files and the partner contracts it serves.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env CREDIT_BROKER_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env CREDIT_BROKER_PORT).")
    var port: Int?

    @Option(name: .customLong("tls-dir"), help: ArgumentHelp(
        "A development PKI folder from 'pki init': serve TLS with its server.pem, server-key.pem, ca.pem and crl.pem (env CREDIT_BROKER_TLS_DIR).",
        valueName: "path"
    ))
    var tlsDirectory: String?

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Server certificate chain, PEM (env CREDIT_BROKER_TLS_CERT).", valueName: "pem"))
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("Server private key, PEM (env CREDIT_BROKER_TLS_KEY).", valueName: "pem"))
    var tlsKey: String?

    @Option(name: .customLong("partner-ca"), help: ArgumentHelp("CA that issues partner client certificates, PEM (env CREDIT_BROKER_PARTNER_CA).", valueName: "pem"))
    var partnerCA: String?

    @Option(name: .customLong("partner-crl"), help: ArgumentHelp(
        "The partner CA's CRL, PEM; re-read when it changes (env CREDIT_BROKER_PARTNER_CRL).", valueName: "pem"
    ))
    var partnerCRL: String?

    @Option(name: .customLong("admin-port"), help: ArgumentHelp(
        "Serve the admin API on this port, mutual TLS with admin certificates only; off unless given; 0 picks a free one.",
        valueName: "port"
    ))
    var adminPort: Int?

    @Option(name: .customLong("admin-host"), help: ArgumentHelp("Address the admin API listens on (default 127.0.0.1).", valueName: "host"))
    var adminHost = "127.0.0.1"

    @Option(name: .customLong("admin-ca"), help: ArgumentHelp(
        "CA that issues admin client certificates, PEM; with --tls-dir its admin-ca.pem is the default.", valueName: "pem"
    ))
    var adminCA: String?

    @Option(name: .customLong("admin-crl"), help: ArgumentHelp(
        "The admin CA's CRL, PEM; re-read when it changes; with --tls-dir its admin-crl.pem is the default.", valueName: "pem"
    ))
    var adminCRL: String?

    @Option(name: .customLong("seed-pki"), help: ArgumentHelp(
        "Development and test topologies: when the database's contract ledger is empty, seed it from --contracts with each bank's certificate binding pinned to the certificate this 'pki init' folder issued it (env CREDIT_BROKER_SEED_PKI).",
        valueName: "path"
    ))
    var seedPKI: String?

    @Option(name: .customLong("ops-port"), help: ArgumentHelp(
        "Serve /metrics, /healthz and /readyz on this port (plain HTTP, for the platform's monitoring, not for partners); off unless given; 0 picks a free one.",
        valueName: "port"
    ))
    var opsPort: Int?

    @Option(name: .customLong("ops-host"), help: ArgumentHelp("Address the operations listener binds (default 127.0.0.1).", valueName: "host"))
    var opsHost = "127.0.0.1"

    @Option(help: ArgumentHelp(
        "Partner contracts directory: what an empty database's contract ledger is seeded with (env CREDIT_BROKER_CONTRACTS).", valueName: "path"
    ))
    var contracts: String?

    @OptionGroup var sealing: SealingKeyOptions

    @Option(name: .customLong("receipt-key"), help: ArgumentHelp(
        "Ed25519 receipt signing key (base64 of 32 bytes), mode 0600 or 0640; a given file must exist. Default: <state-dir>/receipt-signing-key, created on first start (env CREDIT_BROKER_RECEIPT_KEY).",
        valueName: "path"
    ))
    var receiptKey: String?

    @Option(name: .customLong("receipt-sm2-key"), help: ArgumentHelp(
        "SM2 receipt signing key (PKCS#8 PEM, as 'openssl genpkey -algorithm SM2' writes it) for partners whose contract says 'receipts: sm2-sm3', mode 0600 or 0640; a given file must exist. Default: <state-dir>/receipt-signing-key-sm2.pem, created on first start (env CREDIT_BROKER_RECEIPT_SM2_KEY).",
        valueName: "path"
    ))
    var receiptSM2Key: String?

    @Option(name: .customLong("audit-digest"), help: ArgumentHelp(
        "The admin audit chain's link digest, sha256 or sm3, chosen once: a new chain starts with it (recorded in its first row), a started chain must already link with it (env CREDIT_BROKER_AUDIT_DIGEST). Default: whatever the chain has, SHA-256 for a new one.",
        valueName: "digest"
    ))
    var auditDigest: String?

    @Option(help: ArgumentHelp(
        "The scorecard POST /v1/scores serves (env CREDIT_BROKER_SCORECARD). Default: scorecards/sme-lending-v3.yaml in the --policies folder.",
        valueName: "yaml"
    ))
    var scorecard: String?

    @Option(name: .customLong("handshake-timeout"), help: ArgumentHelp(
        "Seconds a connection may take to finish its TLS handshake (default 10).", valueName: "seconds"
    ))
    var handshakeTimeout: Int?

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp(
        "Seconds a connection may sit with no request in flight before it is closed (default 30).", valueName: "seconds"
    ))
    var idleTimeout: Int?

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp(
        "Seconds a request may take to arrive whole, head and body; then 408 (default 30).", valueName: "seconds"
    ))
    var requestTimeout: Int?

    @OptionGroup var renderer: RendererOptions

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The scorecard file: `--scorecard`, else `CREDIT_BROKER_SCORECARD`, else the shipped card in the
    /// policies folder (so that a gateway started from another working directory with `--policies`
    /// finds it beside the other policy files).
    private func resolvedScorecard(policiesFolder: String) -> String {
        scorecard ?? Self.environment["CREDIT_BROKER_SCORECARD"]
            ?? URL(filePath: policiesFolder).appending(path: "scorecards/sme-lending-v3.yaml").relativePath
    }

    var resolvedContracts: String { contracts ?? Self.environment["CREDIT_BROKER_CONTRACTS"] ?? "Contracts" }

    func validate() throws {
        for (name, value) in [("--handshake-timeout", handshakeTimeout), ("--idle-timeout", idleTimeout), ("--request-timeout", requestTimeout)] {
            if let value, !(1...3_600).contains(value) {
                throw ValidationError("\(name) must be from 1 to 3600 seconds, not \(value)")
            }
        }
        for (name, value) in [("--port", port), ("--admin-port", adminPort), ("--ops-port", opsPort)] {
            if let value, !(0...65_535).contains(value) { throw ValidationError("\(name) must be from 0 to 65535, not \(value)") }
        }
        if port == nil, let text = Self.environment["CREDIT_BROKER_PORT"], !text.isEmpty, Int(text).map({ (0...65_535).contains($0) }) != true {
            throw ValidationError("CREDIT_BROKER_PORT must be a port number from 0 to 65535, not '\(text)'")
        }
        // A mistyped folder would go unnoticed on a database already seeded (only an empty ledger reads it).
        if let contracts, !FileManager.default.fileExists(atPath: contracts) {
            throw ValidationError("--contracts \(contracts): no such file or directory")
        }
        if contracts == nil, let text = Self.environment["CREDIT_BROKER_CONTRACTS"], !FileManager.default.fileExists(atPath: text) {
            throw ValidationError("CREDIT_BROKER_CONTRACTS names \(text): no such file or directory")
        }
        let files = [tlsCertificate, tlsKey, partnerCA, partnerCRL]
        if tlsDirectory != nil, files.contains(where: { $0 != nil }) {
            throw ValidationError("give either --tls-dir or the four --tls-cert/--tls-key/--partner-ca/--partner-crl files, not both")
        }
        if files.contains(where: { $0 != nil }), files.contains(where: { $0 == nil }) {
            throw ValidationError("TLS needs all four of --tls-cert, --tls-key, --partner-ca and --partner-crl")
        }
    }

    /// The admin listener's configuration if `--admin-port` asks for one (on `port` if given), with
    /// the server certificate of `tls`, the admin CA and its CRL; the admin API refuses to run without TLS.
    func adminConfiguration(tls: ListenerTLS?, port: Int? = nil) throws -> AdminServer.Configuration? {
        guard let port = port ?? adminPort else { return nil }
        guard let tls else {
            throw ValidationError("the admin API serves mutual TLS only: give --tls-dir (or the TLS files and --admin-ca) with --admin-port")
        }
        let pki = (tlsDirectory ?? Self.environment["CREDIT_BROKER_TLS_DIR"]).map { DevelopmentPKI(folder: URL(filePath: $0)) }
        guard let ca = adminCA.map({ URL(filePath: $0) }) ?? pki?.adminCAURL else {
            throw ValidationError("the admin API needs --admin-ca, the CA that issues admin certificates (or a --tls-dir that holds admin-ca.pem)")
        }
        guard let crl = adminCRL.map({ URL(filePath: $0) }) ?? pki?.adminRevocationListURL, FileManager.default.fileExists(atPath: crl.path) else {
            throw ValidationError(
                "the admin API needs --admin-crl, the admin CA's CRL (or a --tls-dir that holds admin-crl.pem, which 'pki init' writes)"
            )
        }
        return AdminServer.Configuration(
            host: adminHost, port: port,
            tls: ListenerTLS(certificateChain: tls.certificateChain, privateKey: tls.privateKey, clientCA: ca, revocationList: crl)
        )
    }

    var configuration: GatewayServer.Configuration {
        var configuration = GatewayServer.Configuration(
            host: host ?? Self.environment["CREDIT_BROKER_HOST"] ?? "127.0.0.1",
            port: port ?? Self.environment["CREDIT_BROKER_PORT"].flatMap(Int.init) ?? 8443,
            tls: tls
        )
        if let handshakeTimeout { configuration.handshakeTimeout = .seconds(handshakeTimeout) }
        if let idleTimeout { configuration.idleTimeout = .seconds(idleTimeout) }
        if let requestTimeout { configuration.requestTimeout = .seconds(requestTimeout) }
        return configuration
    }

    private var tls: ListenerTLS? {
        let environment = Self.environment
        if let directory = tlsDirectory ?? environment["CREDIT_BROKER_TLS_DIR"] {
            return ListenerTLS(developmentPKI: DevelopmentPKI(folder: URL(filePath: directory)), clients: .partner)
        }
        guard let certificate = tlsCertificate ?? environment["CREDIT_BROKER_TLS_CERT"],
              let key = tlsKey ?? environment["CREDIT_BROKER_TLS_KEY"],
              let ca = partnerCA ?? environment["CREDIT_BROKER_PARTNER_CA"],
              let crl = partnerCRL ?? environment["CREDIT_BROKER_PARTNER_CRL"]
        else { return nil }
        return ListenerTLS(
            certificateChain: URL(filePath: certificate), privateKey: URL(filePath: key),
            clientCA: URL(filePath: ca), revocationList: URL(filePath: crl)
        )
    }

    /// The contract files of `--contracts`, checked together: what an empty ledger is seeded with.
    func contractFiles(policies: PolicyBundle) throws -> [(contract: Contract, file: String)] {
        try ContractSet(files: ContractsOptions.contractFiles(at: resolvedContracts), policies: policies).sourced
    }

    /// The scorecard `POST /v1/scores` serves (`resolvedScorecard`), read and checked against the
    /// features the gateway can fuse: called before the database is opened, so that a wrong file
    /// stops `serve` before it migrates anything.
    func scorecard(policiesFolder: String) throws -> CompiledScorecard {
        let cardFile = resolvedScorecard(policiesFolder: policiesFolder)
        guard FileManager.default.isReadableFile(atPath: cardFile) else {
            throw ValidationError("cannot read the scorecard \(cardFile): give --scorecard (or CREDIT_BROKER_SCORECARD), or --policies with scorecards/sme-lending-v3.yaml in it")
        }
        do {
            let card = try ScoreCommand.loadCard(cardFile)
            _ = try FeatureFusion(layout: card.layout)
            return card
        } catch let error as FeatureVectorError {
            throw ScoreCommand.Failure(description: "\(cardFile): \(error)")
        }
    }

    /// Everything the broker runs (`Broker.build`), from the options.
    /// - Parameters:
    ///   - card: the scorecard (`scorecard(policiesFolder:)`).
    ///   - seed: what an empty ledger is seeded with (default: the `--contracts` files).
    func brokerConfiguration(
        policies: PolicyBundle, card: CompiledScorecard, database: DatabaseOptions, admin: AdminServer.Configuration?, partner: GatewayServer.Configuration,
        operations: OperationsServer.Configuration?, seed: BrokerConfiguration.Seed? = nil
    ) async throws -> BrokerConfiguration {
        let receiptSigner = try ReceiptSigner.load(
            ed25519: Self.keyLocation(receiptKey, option: "--receipt-key", variable: "CREDIT_BROKER_RECEIPT_KEY",
                                      default: database.resolvedStateDirectory + "/receipt-signing-key"),
            sm2: Self.keyLocation(receiptSM2Key, option: "--receipt-sm2-key", variable: "CREDIT_BROKER_RECEIPT_SM2_KEY",
                                  default: database.resolvedStateDirectory + "/receipt-signing-key-sm2.pem")
        )
        let folder = resolvedContracts
        let files = self
        let pki = (seedPKI ?? Self.environment["CREDIT_BROKER_SEED_PKI"]).map { DevelopmentPKI(folder: URL(filePath: $0)) }
        let defaultSeed = BrokerConfiguration.Seed(
            detail: "seeded the contract ledger from \(folder)" + (pki.map { " with the certificates of \($0.folder.path)" } ?? "") + " (a new installation)"
        ) {
            let contracts = try files.contractFiles(policies: policies)
            return try pki?.binding(contracts) ?? contracts
        }
        var configuration = BrokerConfiguration(
            partner: partner, admin: admin, operations: operations, policies: policies, scorecard: card,
            receiptSigner: receiptSigner,
            sealingKeys: try await sealing.keys(database: database), hasher: try database.personKeyHasher(), referenceSecret: try database.subjectReferenceSecret(),
            seed: seed ?? defaultSeed
        )
        configuration.reportRenderer = renderer.configuration
        if let text = auditDigest ?? Self.environment["CREDIT_BROKER_AUDIT_DIGEST"] {
            guard let digest = AuditDigest(rawValue: text) else {
                throw ValidationError("--audit-digest must be \(AuditDigest.allCases.map(\.rawValue).joined(separator: " or ")), not '\(text)'")
            }
            configuration.auditDigest = digest
        }
        return configuration
    }

    /// A receipt key given by `option` or the environment's `variable` (which must exist), else its
    /// default place in the state folder (where it is created on first start).
    private static func keyLocation(_ given: String?, option: String, variable: String, default path: String) -> ReceiptSigner.KeyLocation {
        if let given { return .given(URL(filePath: given), option: option) }
        if let text = environment[variable], !text.isEmpty { return .given(URL(filePath: text), option: variable) }
        return .byDefault(URL(filePath: path))
    }

    /// The operations listener (`/metrics`, `/healthz`, `/readyz`) if `--ops-port` asks for one.
    func operationsConfiguration(port: Int? = nil) -> OperationsServer.Configuration? {
        guard let port = port ?? opsPort else { return nil }
        return OperationsServer.Configuration(host: opsHost, port: port)
    }
}
