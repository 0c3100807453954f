import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Ingest
import Logging
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

    func run() async throws {
        let logger = Logger(label: "credit-broker.demo")
        let opened = try await database.open(migrate: true, logger: logger)
        do {
            try await loadProvinceIfEmpty(opened)
        } catch {
            await opened.close()
            throw error
        }
        let scheme = server.configuration.tls == nil ? "http" : "https"
        try await ServeCommand.serve(server, policies: policies, database: database, opened: opened, logger: logger) { port in
            print("""

                CreditBroker demo is running (state in \(database.resolvedStateDirectory)).
                  curl -s \(scheme)://127.0.0.1:\(port)/healthz
                  curl -s \(scheme)://127.0.0.1:\(port)/readyz
                Press Ctrl-C to stop; the embedded PostgreSQL stops with it.
                """)
        }
    }

    /// Generates and ingests the synthetic province unless subjects are already loaded.
    private func loadProvinceIfEmpty(_ opened: BrokerDatabase) async throws {
        let loaded = try await opened.pool.query("SELECT count(*) FROM subjects")[0].decode(Int.self, at: 0)
        guard loaded == 0 else {
            print("demo data already loaded: \(loaded) subjects")
            return
        }
        let state = URL(fileURLWithPath: database.resolvedStateDirectory)
        let folder = state.appendingPathComponent("demo-province")
        let clock = ContinuousClock()
        let start = clock.now
        print("generating a synthetic province of \(enterprises) organisations and \(persons) persons …")
        let generator = ProvinceGenerator(ProvinceConfiguration(seed: 2026, organisations: enterprises, persons: persons, asOf: .today()))
        let manifest = try ProvinceWriter(generator: generator).write(to: folder)
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
        print("loaded in \(clock.now - start): \(total)")
    }
}
