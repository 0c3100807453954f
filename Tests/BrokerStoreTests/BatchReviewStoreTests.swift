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
        let store = BatchReviewStore(pool: pool)
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
        let store = BatchReviewStore(pool: pool)
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

        #expect(try await store.results(partner: "bank.a", id: "br_1", offset: 1, limit: 2) == [#"{"index": 1}"#, #"{"index": 2}"#])
        #expect(try await store.indicatorCounts(partner: "bank.a", id: "br_1") == ["dishonest_mark": 2])
        #expect(try await store.review(partner: "bank.b", id: "br_1") == nil, "another partner's batch")
        #expect(try await store.results(partner: "bank.b", id: "br_1", offset: 0, limit: 10).isEmpty)
        await pool.close()
    }

    @Test func aFailedBatchReportsItsRemainingSubjects() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase()))
        try await Migrator(pool: pool).migrate()
        let store = BatchReviewStore(pool: pool)
        try await store.create(partnerID: "bank.a", id: "br_1", decision: "{}", subjects: Self.subjects(5), quotaDay: Self.day, quotaMonth: Self.month)
        let review = try #require(try await store.claim(lease: .seconds(60)))
        _ = try await store.complete(review, results: Self.results(0..<2), lease: .seconds(60))
        #expect(try await store.recordFailure(review) == 1)
        let failed = try #require(try await store.fail(review, reason: "gave up"))
        #expect(failed.status == .failed && failed.remaining == 3 && failed.failure == "gave up")
        #expect(try await store.claim(lease: .seconds(60)) == nil)
        await pool.close()
    }
}
