import BrokerCore
@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The subject's words in a dispute sealed at rest (SM4-CTR with HMAC-SM3) against the real schema:
/// nothing clear in any column or in a `pg_dump`, read back through every path, bound to their row
/// and column, moved to a new key by `reseal` in resumable batches, and the clear rows an earlier
/// version left sealed too (migration 91 and `reseal`).
@Suite struct DisputeSealingTests {
    static let subject = DisputeStoreTests.subject
    static let reason = "处罚已撤销 reason-7f3a1c"
    static let statement = "我已缴清罚款 statement-9b2c4e"
    static let note = "来源核实 note-5d1e88"

    private static func setUp(_ label: String = #function, migrations: [Migration] = Migration.all) async throws -> (PostgresConfiguration, PostgresPool) {
        let database = try await TestPostgres.freshDatabase(label)
        let pool = PostgresPool(.init(connection: database, maxConnections: 2))
        try await Migrator(pool: pool, migrations: migrations).migrate()
        _ = try await RecordWriter(pool: pool).merge(
            records: ["P-1", "P-2", "P-3", "P-4", "P-5"].enumerated().map { RecordStoreTests.staged($1, line: $0 + 1) }, events: [], source: "jiangsu_ip"
        )
        return (database, pool)
    }

    private static func filing(_ id: String, reason: String = reason, statement: String? = statement, keep: Bool = true) -> DisputeStore.Filing {
        .init(subjectKey: subject, source: "jiangsu_ip", sourceRecordID: id, reason: reason, statement: statement, keepStatement: keep, filedBy: "portal.xinyong_jiangsu")
    }

    /// How many rows of `disputes` hold `needle` anywhere in clear.
    private static func clearRows(_ needle: String, pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT count(*)::int FROM disputes t WHERE t::text LIKE \("%" + needle + "%")")[0].decode(at: 0)
    }

    @Test func theSubjectsWordsAreSealedAtRestAndReadBackOnlyInTheirOwnRowAndColumn() async throws {
        let (database, pool) = try await Self.setUp()
        let keys = try TestSealingKeys.fresh("k1")
        let store = DisputeStore(pool: pool, keys: keys)
        let filed = try await store.file(Self.filing("P-1"), at: Date())
        #expect(filed.reason == Self.reason && filed.statement == Self.statement)
        let row = try await pool.query("""
            SELECT reason IS NULL AND statement IS NULL AND resolution_note IS NULL, sealing_key, octet_length(reason_sealed), octet_length(statement_sealed)
            FROM disputes WHERE dispute_id = \(filed.id)
            """)[0]
        #expect(try row.decode(Bool.self, at: 0))
        #expect(try row.decode(String.self, at: 1) == "k1")
        // nonce ‖ ciphertext ‖ tag: 16 + the text's UTF-8 bytes + 32.
        #expect(try row.decode(Int.self, at: 2) == 48 + Self.reason.utf8.count)
        #expect(try row.decode(Int.self, at: 3) == 48 + Self.statement.utf8.count)

        let resolved = try await pool.transaction {
            try await DisputeStore.resolve(filed.id, as: .confirmed, note: Self.note, at: Date(), keys: keys, on: $0)
        }
        #expect(resolved.reason == Self.reason && resolved.statement == Self.statement && resolved.resolutionNote == Self.note)
        let again = try #require(try await store.dispute(filed.id))
        #expect(again == resolved)
        #expect(try await store.disputes(ofSubject: Self.subject) == [resolved])
        #expect(try await store.feed(source: "jiangsu_ip", since: 0, limit: 10) == [resolved])
        #expect(try await store.list(state: nil, source: nil, overdueOn: nil, limit: 10) == [resolved])
        // The record's mark names the dispute; reading the record opens the statement.
        let records = RecordStore(pool: pool, catalog: try RecordStoreTests.catalog(), keys: keys)
        let kept = try #require(try await records.ownRecords(of: Self.subject, on: .today()).first { $0.sourceRecordID == "P-1" })
        #expect(kept.marks["subject_statement"] == .object([
            "text": .string(Self.statement), "dispute_id": .string(filed.id), "date": .string(CivilDate.today().description),
        ]))
        let changed = try await records.changes(since: 0, items: ["market.patents"], limit: 10).first { $0.sourceRecordID == "P-1" }
        #expect(changed?.marks == kept.marks)

        for needle in [Self.reason, Self.statement, Self.note, "reason-7f3a1c", "statement-9b2c4e", "note-5d1e88"] {
            #expect(try await Self.clearRows(needle, pool: pool) == 0, "\(needle)")
        }
        let dump = try await TestPostgres.dump(database)
        #expect(dump.contains("COPY public.disputes"), "the dump holds the disputes table")
        for needle in ["reason-7f3a1c", "statement-9b2c4e", "note-5d1e88", "我已缴清罚款", "处罚已撤销", "来源核实"] {
            #expect(!dump.contains(needle), "pg_dump holds '\(needle)' in clear")
        }

        // A value moved to another dispute, or to another column, does not open; the error names where, not what.
        let other = try await store.file(Self.filing("P-2", reason: "another reason", statement: nil, keep: false), at: Date())
        try await pool.query("""
            UPDATE disputes SET reason_sealed = (SELECT reason_sealed FROM disputes WHERE dispute_id = \(filed.id)) WHERE dispute_id = \(other.id)
            """)
        let moved = try await #require(throws: SealingKeyring.Failure.self) { try await store.dispute(other.id) }
        #expect(moved.description == "disputes.reason of \(other.id) does not open under the key 'k1': it was altered, or belongs to another row or column")
        try await pool.query("""
            UPDATE disputes SET statement_sealed = reason_sealed, reason_sealed = statement_sealed WHERE dispute_id = \(filed.id)
            """)
        let swapped = try await #require(throws: SealingKeyring.Failure.self) { try await store.dispute(filed.id) }
        #expect(swapped.description.hasPrefix("disputes.reason of \(filed.id) does not open"), "\(swapped)")
        #expect(!swapped.description.contains("reason-7f3a1c") && !moved.description.contains("reason-7f3a1c"))
        // Keys without the one a value names: refused, naming the key.
        let stranger = DisputeStore(pool: pool, keys: try TestSealingKeys.fresh("k9"))
        let missing = try await #require(throws: SealingKeyring.Failure.self) { try await stranger.dispute(other.id) }
        #expect(missing.description == "disputes.reason of \(other.id) is sealed under the key 'k1', which the configured sealing keys lack")
        await pool.close()
    }

    /// A new last key seals from then on, the old one still opens; `reseal` moves the old key's
    /// disputes and the clear ones to it, a batch per transaction: stopped by a value that does not
    /// open, the batches before stay done, and the next run finishes; a run with nothing to do changes nothing.
    @Test func resealMovesEveryDisputeToTheNewestKeyInResumableBatches() async throws {
        let (_, pool) = try await Self.setUp()
        let first = try SealingKeyring.newKeyFileText(id: "k1")
        let second = try SealingKeyring.newKeyFileText(id: "k2")
        let old = SealingKeys(try SealingKeyring(text: first, origin: "keys"))
        let rotated = SealingKeys(try SealingKeyring(text: first + second, origin: "keys"))
        #expect(rotated.keyring.sealingKeyID == "k2")
        var filed: [StoredDispute] = []
        for id in ["P-1", "P-2", "P-3"] { filed.append(try await DisputeStore(pool: pool, keys: old).file(Self.filing(id), at: Date())) }
        // As an earlier version stored it: in clear, no key.
        let legacy = "dp_" + String(repeating: "0", count: 31) + "1"
        try await pool.query("""
            INSERT INTO disputes (dispute_id, subject_key, item, source, source_record_id, record_version, filed_by, reason, statement,
                                  keep_statement, filed_at, filed_on, deadline, feed_seq, state, outcome, resolved_at, resolved_via, resolution_note)
            VALUES (\(legacy), \(Self.subject), 'market.patents', 'jiangsu_ip', 'P-4', 1, 'portal.xinyong_jiangsu', \(Self.reason),
                    \(Self.statement), true, now(), current_date, current_date + 20, nextval('record_change_seq'), 'resolved', 'confirmed', now(),
                    'admin', \(Self.note))
            """)
        // Filed after the rotation: sealed under k2 at once.
        filed.append(try await DisputeStore(pool: pool, keys: rotated).file(Self.filing("P-5"), at: Date()))
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k1", "k2"])
        let legacyRead = try #require(try await DisputeStore(pool: pool, keys: rotated).dispute(legacy))
        #expect(legacyRead.reason == Self.reason && legacyRead.statement == Self.statement && legacyRead.resolutionNote == Self.note)

        // One of k1's values is damaged: the run stops there, the batches before it committed.
        let ordered = (filed.prefix(3).map(\.id) + [legacy]).sorted()
        let damaged = ordered[2]
        try await pool.query("UPDATE disputes SET reason_sealed = set_byte(reason_sealed, 20, get_byte(reason_sealed, 20) # 1) WHERE dispute_id = \(damaged)")
        let stopped = try await #require(throws: SealingKeyring.Failure.self) { try await DisputeStore.reseal(pool: pool, keys: rotated, batchSize: 1) }
        #expect(stopped.description.hasPrefix("disputes.reason of \(damaged) does not open under the key 'k1'"), "\(stopped)")
        let moved = try await pool.query("SELECT dispute_id FROM disputes WHERE sealing_key = 'k2' ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        #expect(moved == (ordered.prefix(2) + [filed[3].id]).sorted())
        try await pool.query("DELETE FROM disputes WHERE dispute_id = \(damaged)")

        let summary = try await DisputeStore.reseal(pool: pool, keys: rotated, batchSize: 1)
        let before = ordered.prefix(2).contains(legacy)
        #expect(summary.resealed == 1 && summary.keyID == "k2")
        #expect(summary.fromClear == (before ? 0 : 1) && summary.fromKeys == (before ? ["k1": 1] : [:]))
        #expect(try await SealedColumns.keyIDsInUse(pool: pool) == ["k2"])
        #expect(try await pool.query("SELECT count(*)::int FROM disputes WHERE reason IS NOT NULL OR statement IS NOT NULL OR resolution_note IS NOT NULL")[0]
            .decode(Int.self, at: 0) == 0)
        for needle in ["reason-7f3a1c", "statement-9b2c4e", "note-5d1e88"] {
            #expect(try await Self.clearRows(needle, pool: pool) == 0, "\(needle)")
        }
        let again = try await DisputeStore.reseal(pool: pool, keys: rotated)
        #expect(again.resealed == 0 && again.fromClear == 0 && again.fromKeys.isEmpty && !again.vacuumed)

        // k1 may go now: k2 alone opens everything, the clear row included; k1 alone would not.
        let newest = SealingKeys(try SealingKeyring(text: second, origin: "keys"))
        try SealingKeys.check(newest.keyring, opens: try await SealedColumns.keyIDsInUse(pool: pool))
        let all = try await DisputeStore(pool: pool, keys: newest).list(state: nil, source: nil, overdueOn: nil, limit: 10)
        #expect(all.count == 4 && all.allSatisfy { $0.reason == Self.reason && $0.statement == Self.statement })
        let refused = try #require(throws: SealingKeyring.Failure.self) { try SealingKeys.check(old.keyring, opens: ["k2"]) }
        #expect(refused.description.hasPrefix("the database holds values sealed under 'k2', which the sealing keys read (k1) lack"), "\(refused)")
        await pool.close()
    }

    /// A database an earlier version filled: a confirmed dispute's statement kept in clear in the
    /// record's marks and in the dispute. Migration 91 takes it out of the marks (the record still
    /// shows it, opened from the dispute), `reseal` seals the dispute, and a `pg_dump` then holds
    /// none of the subject's words.
    @Test func aDatabaseAnEarlierVersionFilledHoldsNoClearWordsAfterMigrationAndReseal() async throws {
        let (database, pool) = try await Self.setUp(migrations: Migration.all.filter { $0.version < 91 })
        let id = "dp_" + String(repeating: "a", count: 32)
        let day = CivilDate.today().description
        try await pool.query("""
            INSERT INTO disputes (dispute_id, subject_key, item, source, source_record_id, record_version, filed_by, reason, statement,
                                  keep_statement, filed_at, filed_on, deadline, feed_seq, state, outcome, resolved_at, resolved_via, resolution_note)
            VALUES (\(id), \(Self.subject), 'market.patents', 'jiangsu_ip', 'P-1', 1, 'portal.xinyong_jiangsu', \(Self.reason), \(Self.statement),
                    true, now(), current_date, current_date + 20, nextval('record_change_seq'), 'resolved', 'confirmed', now(), 'admin', \(Self.note))
            """)
        let mark = #"{"subject_statement": {"text": "\#(Self.statement)", "dispute_id": "\#(id)", "date": "\#(day)"}}"#
        try await pool.query("UPDATE records SET marks = \(mark)::jsonb WHERE source_record_id = 'P-1'")
        #expect(try await TestPostgres.dump(database).contains("statement-9b2c4e"), "the earlier version's database holds it in clear")

        try await Migrator(pool: pool).migrate()
        let marks = try await pool.query("SELECT marks::text FROM records WHERE source_record_id = 'P-1'")[0].decode(String.self, at: 0)
        #expect(!marks.contains("statement-9b2c4e") && marks.contains(id), "\(marks)")
        let keys = try TestSealingKeys.fresh("k1")
        let records = RecordStore(pool: pool, catalog: try RecordStoreTests.catalog(), keys: keys)
        let shown = { () async throws -> AnswerValue? in
            try await records.ownRecords(of: Self.subject, on: .today()).first { $0.sourceRecordID == "P-1" }?.marks["subject_statement"]
        }
        let expected = AnswerValue.object(["text": .string(Self.statement), "dispute_id": .string(id), "date": .string(day)])
        #expect(try await shown() == expected)

        let summary = try await DisputeStore.reseal(pool: pool, keys: keys)
        #expect(summary.resealed == 1 && summary.fromClear == 1 && summary.vacuumed, "the tests connect as the schema's owner")
        #expect(try await shown() == expected)
        let dump = try await TestPostgres.dump(database)
        for needle in ["reason-7f3a1c", "statement-9b2c4e", "note-5d1e88", "我已缴清罚款", "处罚已撤销", "来源核实"] {
            #expect(!dump.contains(needle), "pg_dump holds '\(needle)' in clear")
        }
        await pool.close()
    }
}
