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
    static let keys = try! TestSealingKeys.fresh("k1")

    @Test func claimThenInProgressThenReplayOrConflict() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool, keys: Self.keys)
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h1") == .new)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k-1"), requestHash: "h1") == .inProgress)
        try await writer.record(
            MeteringFixtures.event(partner: "bank-a"),
            completing: IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("k-1"), response: Self.response, sealingWith: Self.keys.keyring)
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
        let store = IdempotencyStore(pool: pool, keys: Self.keys)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("same"), requestHash: "h1") == .new)
        try await store.complete(IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("same"), response: Self.response, sealingWith: Self.keys.keyring))
        #expect(try await store.begin(partner: "bank-b", key: MeteringFixtures.key("same"), requestHash: "h2") == .new)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("same"), requestHash: "h1") == .replay(Self.response))
        #expect(try await store.begin(partner: "bank-b", key: MeteringFixtures.key("same"), requestHash: "h2") == .inProgress)
        // A meter event cannot complete another partner's key.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let error = await #expect(throws: MeteringInputError.self) {
            try await writer.record(
                MeteringFixtures.event(partner: "bank-a"),
                completing: IdempotencyCompletion(partnerID: "bank-b", key: MeteringFixtures.key("same"), response: Self.response, sealingWith: Self.keys.keyring)
            )
        }
        #expect(error?.field == "completing.partnerID")
        await writer.close()
        await pool.close()
    }

    @Test func failedMeterBatchStoresNoResponse() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool, keys: Self.keys)
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        try await pool.query("ALTER TABLE meter_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        await #expect(throws: MeterError.self) {
            try await writer.record(
                MeteringFixtures.event(),
                completing: IdempotencyCompletion(partnerID: "bank-a", key: MeteringFixtures.key("k"), response: Self.response, sealingWith: Self.keys.keyring)
            )
        }
        // Neither the event nor the response: the key is still only claimed, so abandoning it lets a retry run.
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .inProgress)
        try await IdempotencyStore.abandon(partner: "bank-a", key: MeteringFixtures.key("k"), pool: store.pool)
        #expect(try await store.begin(partner: "bank-a", key: MeteringFixtures.key("k"), requestHash: "h") == .new)
        await writer.close()
        await pool.close()
    }

    @Test func lapsedClaimCanBeTakenOver() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool, keys: Self.keys, claimLease: .milliseconds(50))
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
        let store = IdempotencyStore(pool: pool, keys: Self.keys)
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

    /// A response kept for a retry may carry a subject's kept statement: its body is sealed at
    /// rest under the newest key, bound to its partner's key (a body copied to another key does not
    /// open), replayed byte for byte, and `reseal` moves it (and a row an earlier version kept in
    /// clear) to a new key.
    @Test func aKeptResponseIsSealedBoundToItsKeyAndResealed() async throws {
        let pool = try await MeteringFixtures.pool()
        let first = try SealingKeyring.newKeyFileText(id: "k1")
        let store = IdempotencyStore(pool: pool, keys: SealingKeys(try SealingKeyring(text: first, origin: "keys")))
        let needle = "statement-5e0c7a 本人声明"
        let response = StoredResponse(status: 200, headers: Self.response.headers, body: Array(#"{"text":"\#(needle)"}"#.utf8) + [0, 255])
        let key = MeteringFixtures.key("sealed")
        #expect(try await store.begin(partner: "bank-a", key: key, requestHash: "h") == .new)
        try await store.complete(try store.completion(partner: "bank-a", key: key, response: response))
        #expect(try await store.begin(partner: "bank-a", key: key, requestHash: "h") == .replay(response))
        let row = try await pool.query("SELECT response_key, response_body FROM idempotency_keys WHERE key = \(key.digest)")[0]
        #expect(try row.decode(String.self, at: 0) == "k1")
        let stored = try row.decode([UInt8].self, at: 1)
        #expect(stored.count == 48 + response.body.count)
        #expect(!Data(stored).contains(Data(needle.utf8)) && !Data(stored).contains(Data("statement-5e0c7a".utf8)))

        // Copied to another partner's key, it does not open.
        let other = MeteringFixtures.key("other")
        try await pool.query("""
            INSERT INTO idempotency_keys (partner_id, key, request_hash, status, response_status, response_headers, response_body, response_key, expires_at)
            SELECT 'bank-b', \(other.digest), request_hash, status, response_status, response_headers, response_body, response_key, expires_at
            FROM idempotency_keys WHERE key = \(key.digest)
            """)
        let moved = await #expect(throws: SealingKeyring.Failure.self) { try await store.begin(partner: "bank-b", key: other, requestHash: "h") }
        #expect(moved?.description.contains("does not open under the key 'k1'") == true, "\(String(describing: moved))")
        try await pool.query("DELETE FROM idempotency_keys WHERE partner_id = 'bank-b'")

        // A row completed before migration 101 holds its body in clear and still replays.
        let legacy = MeteringFixtures.key("legacy")
        try await pool.query("""
            INSERT INTO idempotency_keys (partner_id, key, request_hash, status, response_status, response_headers, response_body, expires_at)
            VALUES ('bank-a', \(legacy.digest), 'h', 'completed', 200, '[]', \(Array("clear \(needle)".utf8)), now() + interval '1 hour')
            """)
        #expect(try await store.begin(partner: "bank-a", key: legacy, requestHash: "h") == .replay(StoredResponse(status: 200, headers: [], body: Array("clear \(needle)".utf8))))

        // Rotation: k2 seals; reseal moves the k1 row and seals the clear one; then only k2 is in use.
        let rotated = SealingKeys(try SealingKeyring(text: first + (try SealingKeyring.newKeyFileText(id: "k2")), origin: "keys"))
        let summary = try await IdempotencyStore.reseal(pool: pool, keys: rotated, batchSize: 1)
        #expect(summary.resealed == 2 && summary.fromClear == 1 && summary.fromKeys == ["k1": 1] && summary.keyID == "k2", "\(summary)")
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k2"])
        let after = IdempotencyStore(pool: pool, keys: rotated)
        #expect(try await after.begin(partner: "bank-a", key: key, requestHash: "h") == .replay(response))
        #expect(try await after.begin(partner: "bank-a", key: legacy, requestHash: "h") == .replay(StoredResponse(status: 200, headers: [], body: Array("clear \(needle)".utf8))))
        let clear = try await pool.query("SELECT count(*)::int FROM idempotency_keys WHERE position(\(Array("statement-5e0c7a".utf8)) IN response_body) > 0")
        #expect(try clear[0].decode(Int.self, at: 0) == 0)
        #expect(try await IdempotencyStore.reseal(pool: pool, keys: rotated).resealed == 0)
        await pool.close()
    }
}
