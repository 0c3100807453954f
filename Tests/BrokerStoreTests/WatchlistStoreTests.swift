import BrokerCore
@testable import BrokerStore
import PostgresClient
import TestSupport
import Testing

@Suite struct WatchlistStoreTests {
    static func watched(_ subject: String) -> WatchedSubject {
        WatchedSubject(reference: "ref-" + subject, subjectKey: subject, kind: .organisation, label: subject)
    }

    /// Subjects watched while merges run: every record a subject gains after its watch starts is
    /// alerted, in commit order, and none from before.
    @Test func watchesRacingMergesMissNoLaterChange() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 6))
        try await Migrator(pool: pool).migrate()
        let writer = RecordWriter(pool: pool)
        let store = WatchlistStore(pool: pool)
        let subjects = (0..<12).map { try! UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1W\(1000 + $0)").rawValue }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<3 {
                group.addTask {
                    for b in 0..<10 {
                        let records = subjects.enumerated().map { index, subject in
                            RecordStoreTests.staged("W\(w)-B\(b)-\(index)", line: index + 1, subject: subject)
                        }
                        _ = try await writer.merge(records: records, events: [], source: "jiangsu_ip")
                    }
                }
            }
            group.addTask {
                for subject in subjects {
                    try await store.watch([Self.watched(subject)], partnerID: "bank.test")
                    try await Task.sleep(for: .milliseconds(15))
                }
            }
            try await group.waitForAll()
        }

        let alerts = try await store.alerts(
            partnerID: "bank.test", since: 0, items: ["market.patents"], listingItems: ["market.patents"], limit: 10_000)
        #expect(alerts.map(\.changeSeq) == alerts.map(\.changeSeq).sorted())
        // Records are never updated here, so a record's change_seq is the sequence of its insertion.
        let expected = try await pool.query("""
            SELECT r.change_seq FROM records r JOIN watchlist w ON w.subject_key = r.subject_key
            WHERE w.partner_id = 'bank.test' AND r.change_seq > w.from_seq ORDER BY r.change_seq
            """).map { try $0.decode(Int64.self, at: 0) }
        #expect(!expected.isEmpty && alerts.map(\.changeSeq) == expected)
        #expect(alerts.allSatisfy { $0.change == .listed && $0.subject?.reference == "ref-" + ($0.subject?.subjectKey ?? "") })
        #expect(try await store.alerts(
            partnerID: "bank.other", since: 0, items: ["market.patents"], listingItems: ["market.patents"], limit: 10).isEmpty)
        await pool.close()
    }
}
