import ArgumentParser
import BrokerStore
import Foundation
import Metering
import PostgresClient

/// Durable meter events per second through `MeterWriter` (group commit) beside one INSERT
/// transaction per event, with the same concurrent callers and the same rows, in the same run.
struct MeteringBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metering",
        abstract: "Meter events/s: MeterWriter group commit vs one single-row INSERT transaction per event (fsync on)."
    )

    @Option(help: "Concurrent callers on each side.") var callers = 64
    @Option(help: "Pool connections for the single-row side (the writer needs one).") var connections = 8
    @Option(help: "Seconds per timed run.") var seconds = 5
    @Option(help: "Alternating runs of each side; medians are reported.") var runs = 3

    static let insertOne = PostgresStatement("""
        INSERT INTO meter_events (partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, consent_id,
                                  contract_label, contract_digest, http_status, latency_us, response_bytes, subject_hash, occurred_at)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14)
        """)

    func run() async throws {
        let database = try BenchmarkDatabase.start()
        defer { database.stop() }
        let pool = PostgresPool(.init(connection: database.configuration, maxConnections: connections))
        try await Migrator(pool: pool).migrate()
        let fsync = try await pool.query("SHOW fsync")[0].decode(String.self, at: 0)
        let synchronousCommit = try await pool.query("SHOW synchronous_commit")[0].decode(String.self, at: 0)
        print("fsync \(fsync), synchronous_commit \(synchronousCommit), \(callers) callers, \(seconds) s per run")

        var grouped: [Double] = []
        var single: [Double] = []
        for run in 1...runs {
            let writer = MeterWriter(pool: pool)
            let groupedRate = try await writer.running { try await rate { try await writer.record(Self.event()) } }
            let statistics = writer.statistics
            let singleRate = try await rate { try await Self.insertSingle(Self.event(), pool) }
            grouped.append(groupedRate)
            single.append(singleRate)
            print(String(
                format: "run %d: MeterWriter %.0f events/s (mean batch %.1f, %d batches) | single-row INSERT %.0f tx/s | ratio %.2f",
                run, groupedRate, statistics.meanBatchSize, statistics.committedBatches, singleRate, groupedRate / singleRate
            ))
        }
        let medianGrouped = BenchmarkTimer.median(grouped)
        let medianSingle = BenchmarkTimer.median(single)
        print(String(
            format: "metering (%d callers): MeterWriter %.0f events/s | single-row INSERT per commit (%d connections) %.0f events/s | ratio %.2f",
            callers, medianGrouped, connections, medianSingle, medianGrouped / medianSingle
        ))
        await pool.close()
    }

    /// Events per second that `callers` concurrent loops of `body` achieve in `seconds`.
    private func rate(_ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var done = 0
                    while ContinuousClock.now < deadline {
                        try await body()
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    private static let latencyMicroseconds: Int64 = 2_500

    private static func event() -> MeterEvent {
        MeterEvent(
            partnerID: "bank-01", requestID: UUID().uuidString, endpoint: "/v1/subjects/profile", purpose: "credit_review",
            disclosed: ["enterprise.registration", "enterprise.penalty", "enterprise.tax_credit_level"],
            withheld: [.init(item: "market.tax_paid", reason: .consentMissing)], consentID: "consent-1",
            contractLabel: "2026.1", contractDigest: String(repeating: "ab", count: 32),
            status: 200, latency: .microseconds(latencyMicroseconds), responseBytes: 4_096,
            subjectHash: String(repeating: "0f", count: 32), occurredAt: Date()
        )
    }

    /// The baseline: the same row, alone in its own (autocommit) transaction.
    private static func insertSingle(_ event: MeterEvent, _ pool: PostgresPool) async throws {
        let disclosed = String(decoding: try JSONEncoder().encode(event.disclosed), as: UTF8.self)
        let withheld = String(decoding: try JSONEncoder().encode(event.withheld), as: UTF8.self)
        try await pool.execute(insertOne, [
            event.partnerID, event.requestID, event.endpoint, event.purpose, disclosed, withheld, event.consentID,
            event.contractLabel, event.contractDigest, event.status, latencyMicroseconds, event.responseBytes, event.subjectHash, event.occurredAt,
        ])
    }
}
