import BrokerCore
import BrokerStore
import Foundation
import Metering
import PostgresClient
import Testing
import TestSupport

@Suite struct IdempotencyStoreTests {
    static let response = StoredResponse(
        status: 200,
        headers: [.init(name: "content-type", value: "application/json"), .init(name: "x-request-id", value: "r-1")],
        body: Array(#"{"items":["enterprise.registration"]}"#.utf8) + [0, 255]
    )

    @Test func claimThenInProgressThenReplayOrConflict() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h1") == .new)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h1") == .inProgress)
        try await writer.record(
            MeteringFixtures.event(partner: "bank-a"),
            completing: IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("k-1"), response: Self.response)
        )
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h1") == .replay(Self.response))
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h2") == .conflict)
        // The replay was not metered: one event in the ledger.
        #expect(try await MeteringFixtures.count(pool) == 1)
        await writer.close()
        await pool.close()
    }

    @Test func keysArePartnerScoped() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("same"), requestHash: "h1") == .new)
        try await store.complete(IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("same"), response: Self.response))
        #expect(try await store.begin(partner: "bank-b", key: MeteringFixtures.key("same"), requestHash: "h2") == .new)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("same"), requestHash: "h1") == .replay(Self.response))
        #expect(try await store.begin(partner: "bank-b", key: MeteringFixtures.key("same"), requestHash: "h2") == .inProgress)
        // A meter event cannot complete another partner's key.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let error = await #expect(throws: MeteringInputError.self) {
            try await writer.record(
                MeteringFixtures.event(partner: "bank-a"),
                completing: IdempotencyCompletion(partnerID: "bank-b", key: MeteringFixtures.key("same"), response: Self.response)
            )
        }
        #expect(error?.field == "completing.partnerID")
        await writer.close()
        await pool.close()
    }

    @Test func failedMeterBatchStoresNoResponse() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        try await pool.query("ALTER TABLE meter_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        await #expect(throws: MeterError.self) {
            try await writer.record(
                MeteringFixtures.event(),
                completing: IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("k"), response: Self.response)
            )
        }
        // Neither the event nor the response: the key is still only claimed, so abandoning it lets a retry run.
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .inProgress)
        try await store.abandon(partner: "bank-a", key: MeteringFixtures.key("k"))
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        await writer.close()
        await pool.close()
    }

    @Test func lapsedClaimCanBeTakenOver() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool, claimLease: .milliseconds(50))
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        try await Task.sleep(for: .milliseconds(120))
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        try await Task.sleep(for: .milliseconds(120))
        #expect(try await store.purgeExpired() == 1)
        await pool.close()
    }

    @Test func badKeyIsRefusedByName() {
        for text in ["has space", "", String(repeating: "k", count: 256), "ключ"] {
            let error = #expect(throws: MeteringInputError.self) { try IdempotencyKey(text, hasher: MeteringFixtures.hasher) }
            #expect(error?.field == "Idempotency-Key")
        }
    }

    /// Rows written before keys were hashed hold the partner's text, which cannot be re-keyed in
    /// SQL (the secret never reaches the database): migration 24 removes them.
    @Test func migration24RemovesKeysStoredAsText() async throws {
        let configuration = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: configuration, maxConnections: 1))
        try await Migrator(pool: pool, migrations: Migration.all.filter { $0.version < 24 }).migrate()
        try await pool.query("""
            INSERT INTO idempotency_keys (partner_id, key, request_hash, status, expires_at)
            VALUES ('bank-a', '11010519491231002X', 'h', 'in_progress', now() + interval '1 hour')
            """)
        try await Migrator(pool: pool).migrate()
        #expect(try await pool.query("SELECT count(*) FROM idempotency_keys")[0].decode(Int.self, at: 0) == 0)
        await pool.close()
    }

    /// The key is stored only as its keyed hash: not the text, and another secret gives another
    /// digest. The table refuses anything but a digest.
    @Test func theKeyIsStoredOnlyAsItsKeyedHash() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        let key = MeteringFixtures.key("11010519491231002X")
        #expect(try await store.begin(partner: "bank-a", key: key, requestHash: "h") == .new)
        let stored = try await pool.query("SELECT key FROM idempotency_keys")[0].decode(String.self, at: 0)
        #expect(stored == MeteringFixtures.hasher.idempotencyKeyHash("11010519491231002X"))
        #expect(stored.wholeMatch(of: /[0-9a-f]{64}/) != nil)
        let other = try PersonKeyHasher(secret: Array(repeating: 6, count: 32))
        #expect(try IdempotencyKey("11010519491231002X", hasher: other).digest != stored)
        await #expect(throws: PostgresError.self) {
            try await pool.query("""
                INSERT INTO idempotency_keys (partner_id, key, request_hash, status, expires_at)
                VALUES ('bank-a', '11010519491231002X', 'h', 'in_progress', now() + interval '1 hour')
                """)
        }
        await pool.close()
    }
}
