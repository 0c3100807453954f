import Foundation
import Metering
import PostgresClient
import Testing

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
        #expect(try await store.begin(partner: "bank-a", key: "k-1", requestHash: "h1") == .new)
        #expect(try await store.begin(partner: "bank-a", key: "k-1", requestHash: "h1") == .inProgress)
        try await writer.record(
            MeteringFixtures.event(partner: "bank-a"),
            completing: IdempotencyCompletion(partnerID: "bank-a", key: "k-1", response: Self.response)
        )
        #expect(try await store.begin(partner: "bank-a", key: "k-1", requestHash: "h1") == .replay(Self.response))
        #expect(try await store.begin(partner: "bank-a", key: "k-1", requestHash: "h2") == .conflict)
        // The replay was not metered: one event in the ledger.
        #expect(try await MeteringFixtures.count(pool) == 1)
        await writer.close()
        await pool.close()
    }

    @Test func keysArePartnerScoped() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        #expect(try await store.begin(partner: "bank-a", key: "same", requestHash: "h1") == .new)
        try await store.complete(IdempotencyCompletion(partnerID: "bank-a", key: "same", response: Self.response))
        #expect(try await store.begin(partner: "bank-b", key: "same", requestHash: "h2") == .new)
        #expect(try await store.begin(partner: "bank-a", key: "same", requestHash: "h1") == .replay(Self.response))
        #expect(try await store.begin(partner: "bank-b", key: "same", requestHash: "h2") == .inProgress)
        // A meter event cannot complete another partner's key.
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let error = await #expect(throws: MeteringInputError.self) {
            try await writer.record(
                MeteringFixtures.event(partner: "bank-a"),
                completing: IdempotencyCompletion(partnerID: "bank-b", key: "same", response: Self.response)
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
        #expect(try await store.begin(partner: "bank-a", key: "k", requestHash: "h") == .new)
        try await pool.query("ALTER TABLE meter_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        await #expect(throws: MeterError.self) {
            try await writer.record(
                MeteringFixtures.event(),
                completing: IdempotencyCompletion(partnerID: "bank-a", key: "k", response: Self.response)
            )
        }
        // Neither the event nor the response: the key is still only claimed, so abandoning it lets a retry run.
        #expect(try await store.begin(partner: "bank-a", key: "k", requestHash: "h") == .inProgress)
        try await store.abandon(partner: "bank-a", key: "k")
        #expect(try await store.begin(partner: "bank-a", key: "k", requestHash: "h") == .new)
        await writer.close()
        await pool.close()
    }

    @Test func lapsedClaimCanBeTakenOver() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool, claimLease: .milliseconds(50))
        #expect(try await store.begin(partner: "bank-a", key: "k", requestHash: "h") == .new)
        try await Task.sleep(for: .milliseconds(120))
        #expect(try await store.begin(partner: "bank-a", key: "k", requestHash: "h") == .new)
        try await Task.sleep(for: .milliseconds(120))
        #expect(try await store.purgeExpired() == 1)
        await pool.close()
    }

    @Test func badKeyIsRefusedByName() async throws {
        let pool = try await MeteringFixtures.pool()
        let store = IdempotencyStore(pool: pool)
        let error = await #expect(throws: MeteringInputError.self) { try await store.begin(partner: "bank-a", key: "has space", requestHash: "h") }
        #expect(error?.field == "Idempotency-Key")
        await pool.close()
    }
}
