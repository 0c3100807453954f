import BrokerCore
import BrokerStore
import Foundation
import Metering
import PostgresClient
import TestSupport

/// Migrated databases and sample events for the metering tests.
enum MeteringFixtures {
    /// A meter writer already running (as the broker's service group would run it), until the test
    /// closes it.
    static func runningWriter(pool: PostgresPool, configuration: MeterWriter.Configuration = .init()) async -> MeterWriter {
        let writer = MeterWriter(pool: pool, configuration: configuration)
        Task { try await writer.run() }
        while !writer.isRunning { await Task.yield() }
        return writer
    }

    /// The keyed hash idempotency keys are stored under.
    static let hasher = try! PersonKeyHasher(secret: Array(repeating: 5, count: 32))

    /// An `Idempotency-Key` as the store takes it.
    static func key(_ text: String) -> IdempotencyKey {
        try! IdempotencyKey(text, hasher: hasher)
    }

    /// A pool on a fresh, migrated database.
    static func pool(_ label: String = #function, connections: Int = 4) async throws -> PostgresPool {
        let pool = PostgresPool(.init(connection: try await database(label), maxConnections: connections))
        try await Migrator(pool: pool).migrate()
        return pool
    }

    /// A fresh, migrated database, for tests that open several pools on it.
    static func database(_ label: String = #function) async throws -> PostgresConfiguration {
        let configuration = try await TestPostgres.freshDatabase(label)
        let pool = PostgresPool(.init(connection: configuration, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        await pool.close()
        return configuration
    }

    static func event(
        partner: String = "bank-a",
        requestID: String = UUID().uuidString,
        disclosed: [String] = ["enterprise.registration", "enterprise.penalty"],
        withheld: [MeterEvent.Withheld] = [.init(item: "market.tax_paid", reason: .consentMissing)],
        at instant: Date = Date()
    ) -> MeterEvent {
        MeterEvent(
            partnerID: partner, requestID: requestID, endpoint: "/v1/subjects/profile", purpose: "credit_review",
            disclosed: disclosed, withheld: withheld, consentID: "consent-17",
            contractLabel: "2026.1", contractDigest: String(repeating: "ab", count: 32),
            status: 200, latency: .microseconds(1_234), responseBytes: 2_048,
            subjectHash: String(repeating: "0f", count: 32), occurredAt: instant
        )
    }

    /// The instant of an ISO 8601 UTC timestamp (`2026-03-31T16:00:00Z`).
    static func instant(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async throws {
        var waited = 0
        while !condition(), waited < 1_000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
    }

    static func count(_ pool: PostgresPool, _ query: PostgresQuery = "SELECT count(*) FROM meter_events") async throws -> Int {
        try await pool.query(query)[0].decode(Int.self, at: 0)
    }
}
