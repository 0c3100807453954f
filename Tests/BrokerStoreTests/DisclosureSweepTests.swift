import BrokerCore
@testable import BrokerStore
import PostgresClient
import TestSupport
import Testing

@Suite struct DisclosureSweepTests {
    /// Windows that close or open with the days move their records to the end of the change feed,
    /// once: a second sweep of the same day moves nothing.
    @Test func recordsWhoseWindowOpensOrClosesReachTheFeedOnce() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        let today = CivilDate.today()
        var closing = RecordStoreTests.staged("CLOSING", line: 1)
        closing.discloseUntil = today.adding(days: 2)
        var opening = RecordStoreTests.staged("OPENING", line: 2)
        opening.discloseFrom = today.adding(days: 3)
        let steady = RecordStoreTests.staged("STEADY", line: 3)
        _ = try await RecordWriter(pool: pool).merge(records: [closing, opening, steady], events: [], source: "jiangsu_ip")
        let store = RecordStore(pool: pool, catalog: try RecordStoreTests.catalog(), keys: try TestSealingKeys.fresh())
        let cursor = try #require(try await store.changes(since: 0, items: ["market.patents"], limit: 10).last?.changeSeq)
        let sweep = DisclosureSweep(pool: pool)

        #expect(try await sweep.sweep(through: today.adding(days: 1)) == 0)
        #expect(try await sweep.sweep(through: today.adding(days: 2)) == 1)
        #expect(try await store.changes(since: cursor, items: ["market.patents"], limit: 10).map(\.sourceRecordID) == ["CLOSING"])
        #expect(try await sweep.sweep(through: today.adding(days: 2)) == 0)
        #expect(try await sweep.sweep(through: today) == 0)
        #expect(try await sweep.sweep(through: today.adding(days: 10)) == 1)
        #expect(try await store.changes(since: cursor, items: ["market.patents"], limit: 10).map(\.sourceRecordID) == ["CLOSING", "OPENING"])
        // Moving a record in the feed is no new version of it.
        #expect(try await pool.query("SELECT count(*) FROM record_versions")[0].decode(Int.self, at: 0) == 0)
        #expect(try await store.history(source: "jiangsu_ip", sourceRecordID: "CLOSING")?.versions.count == 1)
        await pool.close()
    }
}
