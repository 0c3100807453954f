import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Ingest
import Logging
import PostgresClient
import SyntheticProvince

/// Ingests a generated province through `FeedIngestor` (the CLI's code path) into a fresh
/// database, beside a raw `COPY` of the same rows and columns into an identical table.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Feed lines/s of ingest beside rows/s of a raw COPY (target ratio ≥ 0.5).")

    @Option(help: "A generated province (its manifest.json); unset: generate one in a temporary folder.")
    var data: String?
    @Option(help: "Organisations to generate when --data is unset (about 20 feed lines each: 50,000 give about 1,000,000).")
    var organisations = 50_000
    @Option(help: "Persons to generate when --data is unset.")
    var persons = 10_000
    @Option(help: "Timed runs, each into a fresh database; the median is reported.")
    var runs = 3
    @Option(help: "Lines per ingest batch.")
    var batchSize = 25_000

    func run() async throws {
        let folder = data.map { URL(filePath: $0) } ?? URL(filePath: NSTemporaryDirectory() + "credit-broker-bench-\(UInt32.random(in: 0...UInt32.max))")
        defer { if data == nil { try? FileManager.default.removeItem(at: folder) } }
        if data == nil {
            let generator = ProvinceGenerator(ProvinceConfiguration(
                seed: 7, organisations: organisations, persons: persons, asOf: .init(year: 2026, month: 11, day: 26)!))
            try ProvinceWriter(generator: generator).write(to: folder)
        }
        let manifest = try JSONDecoder().decode(
            ProvinceManifest.self, from: Data(contentsOf: folder.appending(path: ProvinceWriter.manifestFile)))
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let masking = try MaskingPolicy(
            yaml: String(contentsOf: root.appending(path: "Policies/masking.yaml"), encoding: .utf8), file: "masking.yaml")
        let catalog = try Catalog(
            yaml: String(contentsOf: root.appending(path: "Policies/catalog.yaml"), encoding: .utf8), file: "catalog.yaml",
            knownMaskRules: Set(masking.rules.keys))
        let hasher = try PersonKeyHasher(secret: Array("benchmark-secret-of-at-least-32-bytes".utf8))

        let database = try BenchmarkDatabase.start()
        defer { database.stop() }
        let server = database.configuration
        print("\(manifest.lines.values.reduce(0, +)) feed lines in \(manifest.files.count) files (\(folder.path()))")

        var ingestRates: [Double] = []
        var copyRates: [Double] = []
        for run in 1...runs {
            let name = "bench_ingest_\(run)_\(UInt32.random(in: 0...UInt32.max))"
            let pool = try await Self.freshDatabase(on: server, name: name)
            let ingestor = FeedIngestor(writer: RecordWriter(pool: pool), catalog: catalog, masking: masking, hasher: hasher, batchSize: batchSize)
            let feeds = manifest.files.sorted { $0.key < $1.key }.map { Feed(path: folder.appending(path: $0.key).path(), source: $0.value) }
            let total = try await ingestor.ingest(feeds, onReject: { _ in })
            let (rows, copySeconds) = try await Self.rawCopy(pool)
            await pool.close()
            try await Self.drop(name, on: server)
            ingestRates.append(total.linesPerSecond)
            copyRates.append(Double(rows) / copySeconds)
            print("run \(run): ingest \(total)")
            print(String(format: "run %d: raw COPY %d rows in %.2f s: %.0f rows/s", run, rows, copySeconds, Double(rows) / copySeconds))
        }
        let ingest = Self.median(ingestRates)
        let copy = Self.median(copyRates)
        print(String(format: "baseline raw COPY: %.0f rows/s", copy))
        print(String(format: "ingest:            %.0f lines/s", ingest))
        print(String(format: "ratio ingest/COPY: %.2f (median of %d runs; target ≥ 0.5: %@)", ingest / copy, runs, ingest / copy >= 0.5 ? "met" : "missed"))
    }

    private static func freshDatabase(on server: PostgresConfiguration, name: String) async throws -> PostgresPool {
        let admin = PostgresPool(.init(connection: server, maxConnections: 1))
        // An identifier cannot be a parameter; the name is built from letters, digits and '_' only.
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        await admin.close()
        let pool = PostgresPool(.init(connection: server.database(name), maxConnections: 2))
        // Each run's fresh database: its migrations are no news (a line each was 28 lines a run).
        var quiet = Logger(label: "credit-broker.migrations")
        quiet.logLevel = .warning
        try await Migrator(pool: pool, logger: quiet).migrate()
        return pool
    }

    /// Drops a run's database, so that runs do not add up on disk.
    private static func drop(_ name: String, on server: PostgresConfiguration) async throws {
        let admin = PostgresPool(.init(connection: server, maxConnections: 1))
        try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name)"))
        await admin.close()
    }

    /// Copies every stored record's columns into an identical table (same indexes) with one raw
    /// `COPY`; returns the rows and the seconds the COPY took (encoding the rows is not timed).
    private static func rawCopy(_ pool: PostgresPool) async throws -> (rows: Int, seconds: Double) {
        try await pool.query("CREATE TABLE records_copy (LIKE records INCLUDING ALL)")
        var buffer = CopyTextBuffer()
        var cursor: Int64 = -1
        var rows = 0
        while true {
            let page = try await pool.query("""
                SELECT subject_key, item, source, source_record_id, decision_date::text, publicity_start::text,
                       publicity_end::text, disclose_from::text, disclose_until::text, status, fields::text, version,
                       change_seq
                FROM records WHERE change_seq > \(cursor) ORDER BY change_seq LIMIT 100000
                """)
            guard page.count > 0 else { break }
            for row in page {
                for column in 0..<11 { buffer.append(try row.decode(String?.self, at: column)) }
                buffer.append(try row.decode(Int.self, at: 11))
                cursor = try row.decode(Int64.self, at: 12)
                buffer.append(Int(cursor))
                buffer.endRow()
            }
            rows += page.count
        }
        let bytes = buffer.bytes
        let started = ContinuousClock.now
        try await pool.transaction { connection in
            _ = try await connection.copyFromStdin("""
                COPY records_copy (subject_key, item, source, source_record_id, decision_date, publicity_start, publicity_end,
                                   disclose_from, disclose_until, status, fields, version, change_seq) FROM STDIN
                """) { try $0.write(bytes) }
        }
        let elapsed = ContinuousClock.now - started
        return (rows, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
