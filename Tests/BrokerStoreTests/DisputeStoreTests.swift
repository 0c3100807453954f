import BrokerCore
@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// Disputes against the real schema: the answers the feed gives (the `records_answer_dispute`
/// trigger) and the admin API's, each leaving the record and the dispute as the other channel would.
@Suite struct DisputeStoreTests {
    static let subject = "91320102MA1XXXXX0X"

    private static func setUp(_ label: String = #function) async throws -> (PostgresPool, RecordWriter, DisputeStore) {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(label), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        let writer = RecordWriter(pool: pool)
        _ = try await writer.merge(records: ["P-1", "P-2", "P-3"].enumerated().map { RecordStoreTests.staged($1, line: $0 + 1) }, events: [], source: "jiangsu_ip")
        return (pool, writer, DisputeStore(pool: pool, keys: try TestSealingKeys.fresh("k1")))
    }

    private static func filing(_ id: String, statement: String? = nil, keep: Bool = false) -> DisputeStore.Filing {
        .init(subjectKey: subject, source: "jiangsu_ip", sourceRecordID: id, reason: "wrong", statement: statement, keepStatement: keep, filedBy: "portal.xinyong_jiangsu")
    }

    private static func event(_ kind: StagedEvent.Kind, _ id: String) -> StagedEvent {
        StagedEvent(line: 1, kind: kind, subjectKey: subject, item: "market.patents", sourceRecordID: id, date: .today())
    }

    private static func record(_ id: String, pool: PostgresPool) async throws -> (status: String, marks: String?) {
        let row = try await pool.query("SELECT status, marks::text FROM records WHERE source_record_id = \(id)")[0]
        return (try row.decode(at: 0), try row.decode(at: 1))
    }

    @Test func aDisputeResolvedEventConfirmsAndKeepsTheStatementTheSubjectAskedFor() async throws {
        let (pool, writer, store) = try await Self.setUp()
        let filed = try await store.file(Self.filing("P-1", statement: "paid", keep: true), at: Date())
        #expect(try await Self.record("P-1", pool: pool).status == "disputed")
        // A renumbering in the feed (the daily sweep) answers nothing.
        try await pool.query("UPDATE records SET change_seq = nextval('record_change_seq') WHERE source_record_id = 'P-1'")
        #expect(try await store.dispute(filed.id)?.state == .open)
        _ = try await writer.merge(records: [], events: [Self.event(.disputeResolved, "P-1")], source: "jiangsu_ip")
        let answered = try #require(try await store.dispute(filed.id))
        #expect(answered.outcome == .confirmed && answered.resolvedVia == .feed && answered.feedSeq > filed.feedSeq)
        let record = try await Self.record("P-1", pool: pool)
        #expect(record.status == "active")
        let marks = try #require(record.marks)
        // The mark names the dispute; the statement stays sealed in it and is opened when the record is read.
        #expect(marks.contains(#""subject_statement""#) && marks.contains(#""dispute_id": "\#(filed.id)""#), "\(marks)")
        #expect(!marks.contains("paid") && !marks.contains(#""text""#) && !marks.contains(#""dispute""#), "\(marks)")
        let read = try await RecordStore(pool: pool, catalog: try RecordStoreTests.catalog(), keys: store.keys).ownRecords(of: Self.subject, on: .today())
        let kept = try #require(read.first { $0.sourceRecordID == "P-1" }?.marks["subject_statement"])
        #expect(kept == .object(["text": .string("paid"), "dispute_id": .string(filed.id), "date": .string(CivilDate.today().description)]))
        await pool.close()
    }

    @Test func theAdminAnswersConfirmedOrWithdrawnAndAClosedRecordIsNotDisputed() async throws {
        let (pool, _, store) = try await Self.setUp()
        let first = try await store.file(Self.filing("P-2"), at: Date())
        let withdrawn = try await pool.transaction { connection in
            try await DisputeStore.resolve(first.id, as: .withdrawn, note: "no such decision", at: Date(), keys: store.keys, on: connection)
        }
        #expect(withdrawn.outcome == .withdrawn && withdrawn.resolvedVia == .admin && withdrawn.resolutionNote == "no such decision")
        #expect(try await Self.record("P-2", pool: pool) == ("withdrawn", nil))
        await #expect(throws: DisputeStore.Refusal.recordClosed) { try await store.file(Self.filing("P-2"), at: Date()) }
        await #expect(throws: DisputeStore.Refusal.alreadyResolved(.withdrawn)) {
            try await pool.transaction { try await DisputeStore.resolve(first.id, as: .confirmed, note: "", at: Date(), keys: store.keys, on: $0) }
        }
        let second = try await store.file(Self.filing("P-3", statement: "not asked to keep"), at: Date())
        await #expect(throws: DisputeStore.Refusal.alreadyOpen(id: second.id)) { try await store.file(Self.filing("P-3"), at: Date()) }
        await #expect(throws: DisputeStore.Refusal.correctionNeedsFeed) {
            try await pool.transaction { try await DisputeStore.resolve(second.id, as: .corrected, note: "", at: Date(), keys: store.keys, on: $0) }
        }
        _ = try await pool.transaction { try await DisputeStore.resolve(second.id, as: .confirmed, note: "right", at: Date(), keys: store.keys, on: $0) }
        #expect(try await Self.record("P-3", pool: pool) == ("active", nil))
        await #expect(throws: DisputeStore.Refusal.recordNotFound) {
            try await store.file(.init(subjectKey: "91320102MA1XXXXX1X", source: "jiangsu_ip", sourceRecordID: "P-3", reason: "x", statement: nil, keepStatement: false, filedBy: "p"), at: Date())
        }
        let counts = try await DisputeStore.openCounts(on: CivilDate.today().adding(days: 30), pool: pool)
        #expect(counts.open == 0 && counts.overdue == 0)
        await pool.close()
    }
}
