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
        var total = IngestSummary()
        for (file, source) in manifest.files.sorted(by: { $0.key < $1.key }) {
            total.add(try await ingestor.ingest(file: folder.appendingPathComponent(file).path, source: source, onReject: { _ in }))
        }
        print("loaded in \(clock.now - start): \(total)")
    }
}
