import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Ingest
import Logging
import PostgresClient
import SyntheticProvince

/// `credit-broker demo`: the broker on an embedded PostgreSQL with a synthetic province loaded.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the broker on an embedded PostgreSQL with demo data (Ctrl-C stops it and the database).",
        discussion: """
            On first run the demo generates a synthetic province (--enterprises organisations, \
            deterministic seed) under --state-dir and ingests it; later runs reuse the loaded data.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var policies: ContractsOptions

    @Option(help: "Organisations in the generated province.")
    var enterprises = 20_000

    @Option(help: "Persons in the generated province.")
    var persons = 5_000

    @Flag(help: "Keep the generated feed files (clear ID numbers, names, phone numbers) in <state-dir>/demo-province after loading them; by default they are removed once loaded.")
    var keepFeeds = false

    func run() async throws {
        let logger = Logger(label: "credit-broker.demo")
        let bundle = try policies.load()
        let files = try server.contractFiles(policies: bundle)
        let contracts = ContractSet(contracts: files.map(\.contract)).governing(on: .today())
        let card = try server.scorecard(policiesFolder: policies.policies)
        var partner = server.configuration
        // The admin listener of TLS files the operator gave, checked now: every option error stops
        // the demo before a province is generated and loaded (a minute), not after.
        let givenAdmin = try partner.tls.flatMap { try server.adminConfiguration(tls: $0) }
        let opened = try await database.open(migrate: true, logger: logger)
        let demo: DemoPartners, company: String, configuration: BrokerConfiguration
        do {
            demo = try await DemoPartners.prepare(
                state: URL(fileURLWithPath: database.resolvedStateDirectory), contracts: contracts, pool: opened.pool
            )
            if partner.tls == nil { partner.tls = ListenerTLS(developmentPKI: demo.pki, clients: .partner) }
            let next = { (offset: Int) in partner.port == 0 ? 0 : partner.port + offset }
            // Otherwise the demo PKI's admin CA and CRL, on --admin-port or the partner port + 1.
            let admin = givenAdmin ?? AdminServer.Configuration(
                host: server.adminHost, port: server.adminPort ?? next(1), tls: ListenerTLS(developmentPKI: demo.pki, clients: .admin)
            )
            // The shipped contracts, with each bank's certificate binding pinned to the certificate the
            // demo's PKI issued it (the shipped fingerprints are the real banks').
            let pki = demo.pki
            let seed = BrokerConfiguration.Seed(detail: "seeded the contract ledger from \(server.resolvedContracts) with the demo PKI's certificates") {
                try pki.binding(files)
            }
            // The receipt and sealing keys too are read (or refused) before the province is loaded.
            configuration = try await server.brokerConfiguration(
                policies: bundle, card: card, database: database, admin: admin, partner: partner,
                operations: server.operationsConfiguration(port: server.opsPort ?? next(2)), seed: seed
            )
            try await loadProvinceIfEmpty(opened)
            company = try await exampleCompany(opened.pool)
        } catch {
            await opened.close()
            throw error
        }
        var listening = BrokerConfiguration.Listening()
        let state = database.resolvedStateDirectory
        let jointCredit = contracts.first { $0.kind == .jointCredit }?.partnerID
        let sm2Bank = contracts.first { $0.kind == .bank && $0.receiptSuite == .sm2SM3 }?.partnerID
        let portal = contracts.first { $0.kind == .portal }?.partnerID
        let dataSource = contracts.first { $0.kind == .dataSource }?.partnerID
        listening.admin = { port in Self.say("\n" + demo.adminExample(port: port)) }
        listening.partner = { port in
            Self.say("""

                CreditBroker demo is running on https://localhost:\(port) (state in \(state)).

                \(demo.examples(
                    port: port, bank: "bank.icbc_jiangsu", agency: "agency.nj_anxin", jointCredit: jointCredit, sm2Bank: sm2Bank,
                    company: company, portal: portal, dataSource: dataSource
                ))

                Press Ctrl-C to stop; the embedded PostgreSQL stops with it.

                """)
        }
        var withListening = configuration
        withListening.listening = listening
        try await ServeCommand.serve(withListening, opened: opened, logger: logger) { broker in
            demo.checkBinding(of: "bank.icbc_jiangsu", in: broker.contracts.snapshot(), state: state)
        }
    }

    /// An organisation with a penalty on file, for the examples: the first by code, enterprises
    /// (91…) first, that partners may name (a registry feed may carry codes failing their check
    /// character, which ingest accepts with a warning and the API refuses).
    private func exampleCompany(_ pool: PostgresPool) async throws -> String {
        let candidates = try await pool.query("""
            (SELECT subject_key FROM records WHERE item = 'enterprise.penalty' AND status = 'active'
             GROUP BY subject_key ORDER BY left(subject_key, 2) <> '91', subject_key LIMIT 20)
            UNION ALL (SELECT subject_key FROM subjects WHERE kind = 'organisation' ORDER BY subject_key LIMIT 20)
            """).map { try $0.decode(String.self, at: 0) }
        return candidates.first { (try? UnifiedSocialCreditCode($0)) != nil } ?? "91350100M000100Y43"
    }

    /// Generates and ingests the synthetic province unless subjects are already loaded.
    private func loadProvinceIfEmpty(_ opened: BrokerDatabase) async throws {
        let loaded = try await opened.pool.query("SELECT count(*) FROM subjects")[0].decode(Int.self, at: 0)
        guard loaded == 0 else {
            Self.say("demo data already loaded: \(loaded) subjects")
            return
        }
        let state = URL(fileURLWithPath: database.resolvedStateDirectory)
        let folder = state.appendingPathComponent("demo-province")
        let clock = ContinuousClock()
        let start = clock.now
        Self.say("generating a synthetic province of \(enterprises) organisations and \(persons) persons …")
        let generator = ProvinceGenerator(ProvinceConfiguration(seed: 2026, organisations: enterprises, persons: persons, asOf: .today()))
        let manifest = try ProvinceWriter(generator: generator).write(to: folder)
        Self.say("generated \(manifest.lines.values.reduce(0, +)) feed lines in \((clock.now - start).text); loading them …")
        let bundle = try policies.load()
        let ingestor = FeedIngestor(
            writer: RecordWriter(pool: opened.pool), catalog: bundle.catalog, masking: bundle.masking,
            hasher: try database.personKeyHasher()
        )
        // The files are independent (each file's events follow its own records), so several are
        // validated at once, longest first; their batches still commit one at a time, in change_seq order.
        var files = manifest.files.sorted { manifest.lines[$0.key, default: 0] > manifest.lines[$1.key, default: 0] }[...]
        var total = IngestSummary()
        let ingestStart = clock.now
        try await withThrowingTaskGroup(of: IngestSummary.self) { group in
            func startNext() {
                guard let (file, source) = files.popFirst() else { return }
                let path = folder.appendingPathComponent(file).path
                group.addTask { try await ingestor.ingest(file: path, source: source, onReject: { _ in }) }
            }
            for _ in 0..<3 { startNext() }
            while let summary = try await group.next() {
                total.add(summary)
                startNext()
            }
        }
        total.elapsed = clock.now - ingestStart
        Self.say("loaded in \((clock.now - start).text): \(total)")
        // The feed files carry ID numbers, names and phone numbers in clear; the database keeps
        // them hashed or masked. Nothing needs them once loaded.
        if keepFeeds {
            Self.say("feed files kept in \(folder.path) (--keep-feeds): they hold personal data in clear")
        } else {
            try FileManager.default.removeItem(at: folder)
        }
    }

    /// Writes a line at once (not through print's buffer), so that it comes before the examples and a log sees it now.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
