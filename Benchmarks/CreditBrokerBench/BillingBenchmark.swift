import ArgumentParser
import Billing
import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// Closing a month of meter events (`BillingStore.close`: every partner's statement, priced by the
/// plan of each call's contract version, with the events' digests) beside a plain
/// `SELECT count(*), sum(response_bytes)` over the same rows, in the same run.
struct BillingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "Close a month of meter events (all partners' statements) vs SELECT count(*), sum(response_bytes) over the same rows (target < 10 s)."
    )

    @Option(help: "Meter events in the month.") var events = 1_000_000
    @Option(help: "Runs of each side (each close is rolled back, the last one too); medians are reported.") var runs = 3
    @Option(help: "The repository root holding Policies/ and Contracts/.") var root = "."

    func run() async throws {
        let database = try BenchmarkDatabase.start()
        defer { database.stop() }
        let pool = PostgresPool(.init(connection: database.configuration, maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        let contracts = try loadContracts()
        try await ContractStore(pool: pool).seedIfEmpty({ contracts }, by: .commandLine("bench", partner: nil, status: 201, detail: "billing benchmark"))
        // The month before this one: ended, so it may be closed now.
        let month = CivilMonth(containing: Date()).previous
        try await insertEvents(contracts.map(\.contract), month: month, pool: pool)
        try await pool.query("VACUUM ANALYZE meter_events")
        let partners = Set(contracts.map(\.contract.partnerID)).count
        print("\(events) meter events of \(month) across \(partners) partners; load average \(BenchmarkTimer.loadAverage()) before")

        var closing: [Double] = []
        var scanning: [Double] = []
        var statements = 0
        for run in 1...runs {
            let scan = try await seconds {
                let counted = try await pool.execute(Self.baseline, [month.start, month.end])[0].decode(Int.self, at: 0)
                precondition(counted == events, "the baseline counted \(counted) events")
            }
            let close = try await seconds {
                try await pool.withConnection { connection in
                    try await connection.query("BEGIN")
                    do {
                        let closed = try await BillingStore.close(month, by: .commandLine, at: Date(), on: connection)
                        precondition(closed.events == events && !closed.alreadyClosed)
                        statements = closed.statements.count
                    } catch {
                        _ = try? await connection.query("ROLLBACK")
                        throw error
                    }
                    try await connection.query("ROLLBACK")
                }
            }
            scanning.append(scan)
            closing.append(close)
            print(String(format: "run %d: billing close %.2f s | SELECT count(*), sum(response_bytes) %.2f s", run, close, scan) + " | load average \(BenchmarkTimer.loadAverage())")
        }
        let medianClose = BenchmarkTimer.median(closing)
        let medianScan = BenchmarkTimer.median(scanning)
        print(String(
            format: "billing close (%d events, %d statements): median %.2f s | SELECT count(*), sum(response_bytes) median %.2f s | ratio %.1f",
            events, statements, medianClose, medianScan, medianClose / medianScan
        ) + " | target < 10 s: \(medianClose < 10 ? "met" : "NOT met") | load average \(BenchmarkTimer.loadAverage())")
        await pool.close()
    }

    /// `SELECT count(*), sum(...)` over the month's rows, by the same index the close reads.
    private static let baseline = PostgresStatement("""
        SELECT count(*), sum(response_bytes) FROM meter_events
        WHERE partner_id = ANY(SELECT DISTINCT partner_id FROM contract_versions) AND occurred_at >= $1 AND occurred_at < $2
        """)

    /// The shipped contracts, every agency's plan with a free allowance, a volume tier and an item
    /// price, so that the close numbers calls and splits them into bands.
    private func loadContracts() throws -> [(contract: Contract, file: String)] {
        let base = URL(filePath: root)
        func file(_ path: String) throws -> (file: String, text: String) {
            (path, try String(contentsOf: base.appending(path: path), encoding: .utf8))
        }
        let policies = try PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"), purposes: file("Policies/purposes.yaml"),
            defaults: file("Policies/partner-defaults.yaml")
        )
        let names = try FileManager.default.contentsOfDirectory(atPath: base.appending(path: "Contracts").path).filter { $0.hasSuffix(".yaml") }.sorted()
        let files = try names.map { name -> (name: String, text: String) in
            var text = try file("Contracts/" + name).text
            if name.hasPrefix("agency."), !text.contains("tiers:") {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    line.hasPrefix("prices:")
                        ? "prices: { per_call: 0.1, free_calls: 100, tiers: [{ from: 5001, per_call: 0.08 }], items: { enterprise.penalty: 0.02 } }"
                        : String(line)
                }.joined(separator: "\n")
            }
            return ("Contracts/" + name, text)
        }
        return try ContractSet(files: files, policies: policies).sourced
    }

    /// `events` meter events spread evenly over the month, round-robin over the partners: 80 %
    /// queries that disclosed one to three items, 5 % withheld-only, 5 % failed, 5 % batch-review
    /// subjects, 5 % usage reads; generated by the server in one statement.
    private func insertEvents(_ contracts: [Contract], month: CivilMonth, pool: PostgresPool) async throws {
        let partners = contracts.map(\.partnerID)
        let digests = contracts.map(\.version.digest)
        let labels = contracts.map(\.versionLabel)
        let span = month.end.timeIntervalSince(month.start)
        try await pool.execute(Self.generate, [
            events, TextArrayParameter(partners), TextArrayParameter(digests), TextArrayParameter(labels), month.start, span / Double(events),
        ])
    }

    private static let generate = PostgresStatement("""
        INSERT INTO meter_events (partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, consent_id,
                                  contract_label, contract_digest, http_status, latency_us, response_bytes, subject_hash, occurred_at)
        SELECT ($2::text[])[1 + g % cardinality($2::text[])], 'bench-' || g,
               CASE WHEN g % 20 = 17 THEN '/v1/batch-reviews/{id}' WHEN g % 20 = 18 THEN 'GET /v1/usage' ELSE 'POST /v1/queries' END,
               'credit_report',
               CASE WHEN g % 20 IN (15, 16, 18) THEN '[]'::jsonb
                    WHEN g % 3 = 0 THEN '["enterprise.registration"]'::jsonb
                    WHEN g % 3 = 1 THEN '["enterprise.registration", "enterprise.penalty"]'::jsonb
                    ELSE '["enterprise.registration", "enterprise.penalty", "enterprise.abnormal_operations"]'::jsonb END,
               CASE WHEN g % 20 = 15 THEN '[{"item": "market.tax_paid", "reason": "not_in_contract"}]'::jsonb ELSE '[]'::jsonb END,
               NULL, ($4::text[])[1 + g % cardinality($2::text[])], ($3::text[])[1 + g % cardinality($2::text[])],
               CASE WHEN g % 20 = 16 THEN 400 ELSE 200 END, 1500 + g % 1000, 2000 + g % 3000,
               encode(sha256(int8send(g)), 'hex'),
               $5::timestamptz + (g - 1) * $6::float8 * interval '1 second'
        FROM generate_series(1, $1::bigint) AS g
        """)

    private func seconds(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
