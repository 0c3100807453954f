import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The batch-review queue: leases, take-over of a batch whose worker stopped, results counted once,
/// and partner scoping.
@Suite struct BatchReviewStoreTests {
    static let day = CivilDate(year: 2026, month: 11, day: 26)!
    static let month = CivilDate(year: 2026, month: 11, day: 1)!

    static func subjects(_ count: Int) -> [BatchReviewSubject] {
        (0..<count).map { BatchReviewSubject(position: $0, subjectKey: "key-\($0)", kind: .organisation, label: "label-\($0)") }
    }

    static func results(_ positions: Range<Int>) -> [BatchReviewResult] {
        positions.map { BatchReviewResult(position: $0, json: #"{"index":\#($0)}"#, indicators: $0 % 2 == 0 ? ["dishonest_mark"] : []) }
    }

    @Test func aLeasedBatchIsTakenOverOnlyOnceItsLeaseEnds() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase()))
        try await Migrator(pool: pool).migrate()
        let store = BatchReviewStore(pool: pool, keys: try TestSealingKeys.fresh())
        try await store.create(partnerID: "bank.a", id: "br_1", decision: "{}", subjects: Self.subjects(4), quotaDay: Self.day, quotaMonth: Self.month)

        let first = try #require(try await store.claim(lease: .seconds(60)))
        #expect(first.status == .running && first.id == "br_1" && first.total == 4)
        #expect(try await store.claim(lease: .seconds(60)) == nil, "leased to the first worker")

        try await store.release(first)
        let second = try #require(try await store.claim(lease: .milliseconds(1)))
        #expect(second.id == "br_1")
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await store.claim(lease: .seconds(60))?.id == "br_1", "the lease ended: taken over")
        await pool.close()
    }

    @Test func resultsStoredTwiceCountOnceAndFinishTheBatch() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase()))
        try await Migrator(pool: pool).migrate()
        let store = BatchReviewStore(pool: pool, keys: try TestSealingKeys.fresh())
        try await store.create(partnerID: "bank.a", id: "br_1", decision: "{}", subjects: Self.subjects(4), quotaDay: Self.day, quotaMonth: Self.month)
        let review = try #require(try await store.claim(lease: .seconds(60)))

        #expect(try await store.pending(review, limit: 3).map(\.position) == [0, 1, 2])
        let afterFirst = try await store.complete(review, results: Self.results(0..<3), lease: .seconds(60))
        #expect(afterFirst.done == 3 && afterFirst.status == .running)
        let again = try await store.complete(review, results: Self.results(0..<3), lease: .seconds(60))
        #expect(again.done == 3, "a chunk processed twice counts once")
        #expect(try await store.pending(review, limit: 3).map(\.label) == ["label-3"])
        let finished = try await store.complete(review, results: Self.results(3..<4), lease: .seconds(60))
        #expect(finished.done == 4 && finished.status == .done && finished.finishedAt != nil)
        #expect(try await store.claim(lease: .seconds(60)) == nil)
        #expect(try await store.fail(finished, reason: "too late") == nil, "a finished batch stays done")

        #expect(try await store.results(partner: "bank.a", id: "br_1", offset: 1, limit: 2) == [#"{"index":1}"#, #"{"index":2}"#], "as the worker wrote them")
        #expect(try await store.indicatorCounts(partner: "bank.a", id: "br_1") == ["dishonest_mark": 2])
        #expect(try await store.review(partner: "bank.b", id: "br_1") == nil, "another partner's batch")
        #expect(try await store.results(partner: "bank.b", id: "br_1", offset: 0, limit: 10).isEmpty)
        await pool.close()
    }

    @Test func aFailedBatchReportsItsRemainingSubjects() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase()))
        try await Migrator(pool: pool).migrate()
        let store = BatchReviewStore(pool: pool, keys: try TestSealingKeys.fresh())
        try await store.create(partnerID: "bank.a", id: "br_1", decision: "{}", subjects: Self.subjects(5), quotaDay: Self.day, quotaMonth: Self.month)
        let review = try #require(try await store.claim(lease: .seconds(60)))
        _ = try await store.complete(review, results: Self.results(0..<2), lease: .seconds(60))
        #expect(try await store.recordFailure(review) == 1)
        let failed = try #require(try await store.fail(review, reason: "gave up"))
        #expect(failed.status == .failed && failed.remaining == 3 && failed.failure == "gave up")
        #expect(try await store.claim(lease: .seconds(60)) == nil)
        await pool.close()
    }

    /// A subject's result is what the partner is sent, which may carry a kept statement: stored
    /// sealed and bound to its batch and position, read back as stored; `reseal` moves it, and a
    /// result an earlier version stored in clear, to a new key.
    @Test func resultsAreSealedBoundToTheirSubjectAndResealed() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase()))
        try await Migrator(pool: pool).migrate()
        let first = try SealingKeyring.newKeyFileText(id: "k1")
        let store = BatchReviewStore(pool: pool, keys: SealingKeys(try SealingKeyring(text: first, origin: "keys")))
        try await store.create(partnerID: "bank.a", id: "br_1", decision: "{}", subjects: Self.subjects(3), quotaDay: Self.day, quotaMonth: Self.month)
        let review = try #require(try await store.claim(lease: .seconds(60)))
        let kept = #"{"index": 0, "statement": "本人声明 statement-31d9f0"}"#
        _ = try await store.complete(review, results: [BatchReviewResult(position: 0, json: kept, indicators: [])] + Self.results(1..<2), lease: .seconds(60))
        #expect(try await store.results(partner: "bank.a", id: "br_1", offset: 0, limit: 10) == [kept, #"{"index":1}"#])
        #expect(try await store.pending(review, limit: 10).map(\.position) == [2])
        func clearRows(_ needle: String) async throws -> Int {
            try await pool.query("SELECT count(*)::int FROM batch_review_subjects t WHERE t::text LIKE \("%" + needle + "%")")[0].decode(at: 0)
        }
        #expect(try await clearRows("statement-31d9f0") == 0)
        #expect(try await pool.query("SELECT count(*)::int FROM batch_review_subjects WHERE result_key = 'k1' AND result IS NULL")[0].decode(Int.self, at: 0) == 2)

        // Swapped between two subjects, neither opens.
        try await pool.query("""
            UPDATE batch_review_subjects AS s SET result_sealed = o.result_sealed FROM batch_review_subjects AS o
            WHERE s.batch_id = 'br_1' AND o.batch_id = 'br_1' AND s.position + o.position = 1
            """)
        let swapped = await #expect(throws: SealingKeyring.Failure.self) { try await store.results(partner: "bank.a", id: "br_1", offset: 0, limit: 1) }
        #expect(swapped?.description.contains("batch_review_subjects.result of bank.a/br_1/0 does not open") == true, "\(String(describing: swapped))")
        try await pool.query("""
            UPDATE batch_review_subjects AS s SET result_sealed = o.result_sealed FROM batch_review_subjects AS o
            WHERE s.batch_id = 'br_1' AND o.batch_id = 'br_1' AND s.position + o.position = 1
            """)

        // As an earlier version stored the last one: in clear.
        try await pool.query("UPDATE batch_review_subjects SET result = '{\"index\": 2, \"legacy\": \"statement-8ac2e4\"}' WHERE position = 2")
        #expect(try await store.results(partner: "bank.a", id: "br_1", offset: 2, limit: 1) == [#"{"index": 2, "legacy": "statement-8ac2e4"}"#])
        #expect(try await store.pending(review, limit: 10).isEmpty)

        let rotated = SealingKeys(try SealingKeyring(text: first + (try SealingKeyring.newKeyFileText(id: "k2")), origin: "keys"))
        let summary = try await BatchReviewStore.reseal(pool: pool, keys: rotated, batchSize: 2)
        #expect(summary.resealed == 3 && summary.fromClear == 1 && summary.fromKeys == ["k1": 2] && summary.keyID == "k2", "\(summary)")
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k2"])
        #expect(try await clearRows("statement-8ac2e4") == 0)
        #expect(try await BatchReviewStore(pool: pool, keys: rotated).results(partner: "bank.a", id: "br_1", offset: 0, limit: 10) == [
            kept, #"{"index":1}"#, #"{"index": 2, "legacy": "statement-8ac2e4"}"#,
        ])
        #expect(try await BatchReviewStore.reseal(pool: pool, keys: rotated).resealed == 0)
        await pool.close()
    }
}
