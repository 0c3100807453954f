import BrokerCore
@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct RecordStoreTests {
    static func staged(_ id: String, line: Int, subject: String = "91320102MA1XXXXX0X", item: String = "market.patents") -> StagedRecord {
        StagedRecord(
            line: line, subjectKey: subject, subjectKind: .organisation, subjectName: nil, subjectMaskedID: nil,
            item: item, sourceRecordID: id, decisionDate: nil, publicityStart: nil, publicityEnd: nil,
            discloseFrom: nil, discloseUntil: nil, fieldsJSON: #"{"kind":"design","patent_no":"\#(id)"}"#)
    }

    /// Concurrent merges and a reader paging the change feed: every change arrives once, in order.
    @Test func changeFeedNeverSkipsOrRepeats() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: database, maxConnections: 6))
        try await Migrator(pool: pool).migrate()
        let writer = RecordWriter(pool: pool)
        let store = RecordStore(pool: pool, catalog: try Self.catalog(), keys: try TestSealingKeys.fresh())
        let (writers, batches, perBatch) = (4, 8, 40)

        let reader = Task {
            var cursor: Int64 = 0
            var seen: [String] = []
            var idleRounds = 0
            while idleRounds < 20 {
                let page = try await store.changes(since: cursor, items: ["market.patents"], limit: 25)
                for record in page {
                    #expect(record.changeSeq > cursor)
                    cursor = record.changeSeq
                    seen.append(record.sourceRecordID)
                }
                idleRounds = page.isEmpty ? idleRounds + 1 : 0
                if page.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for b in 0..<batches {
                        let records = (0..<perBatch).map { Self.staged("W\(w)-B\(b)-\($0)", line: $0 + 1) }
                        _ = try await writer.merge(records: records, events: [], source: "jiangsu_ip")
                    }
                }
            }
            try await group.waitForAll()
        }
        let seen = try await reader.value
        #expect(seen.count == writers * batches * perBatch)
        #expect(Set(seen).count == seen.count)
        await pool.close()
    }

    @Test func subjectLookupAndUnknownSubject() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        let code = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1XXXXX")
        var record = Self.staged("R1", line: 1, subject: code.rawValue)
        record.subjectName = "南京示例科技有限公司"
        _ = try await RecordWriter(pool: pool).merge(records: [record], events: [], source: "jiangsu_ip")
        let store = RecordStore(pool: pool, catalog: try Self.catalog(), keys: try TestSealingKeys.fresh())
        let subject = try #require(try await store.subject(code))
        #expect(subject.kind == .organisation && subject.displayName == "南京示例科技有限公司")
        let other = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1XXXXY")
        #expect(try await store.subject(other) == nil)
        await pool.close()
    }

    /// Lookups of one subject each, made at once, are answered as if each had been made alone,
    /// though they share round trips: the same records, per subject and per requested item.
    @Test func concurrentLookupsAnswerLikeLookupsAlone() async throws {
        let pool = PostgresPool(.init(connection: try await TestPostgres.freshDatabase(), maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        let subjects = (0..<12).map { "9132010\($0 % 10)MA1XXXX\($0 / 10)\($0 % 10)X" }
        let items = ["market.patents", "market.high_tech", "market.litigation"]
        var records: [StagedRecord] = []
        for (s, subject) in subjects.enumerated() {
            for (i, item) in items.enumerated() where (s + i) % 3 != 0 {
                records += (0..<(1 + s % 3)).map { Self.staged("S\(s)-\(item)-\($0)", line: records.count + $0 + 1, subject: subject, item: item) }
            }
        }
        _ = try await RecordWriter(pool: pool).merge(records: records, events: [], source: "jiangsu_ip")
        let store = RecordStore(pool: pool, catalog: try Self.catalog(), keys: try TestSealingKeys.fresh())
        let day = CivilDate(Date())
        let lookups = (0..<120).map { n in (subject: subjects[n % subjects.count], items: Array(items.shuffled().prefix(1 + n % 3))) }
        let together = try await withThrowingTaskGroup(of: (Int, [StoredRecord]).self) { group in
            for (n, lookup) in lookups.enumerated() {
                group.addTask { (n, try await store.disclosableRecords(of: lookup.subject, items: lookup.items, on: day)) }
            }
            return try await group.reduce(into: [Int: [StoredRecord]]()) { $0[$1.0] = $1.1 }
        }
        var answered = 0
        for (n, lookup) in lookups.enumerated() {
            let alone = try await store.disclosableRecords(of: [lookup.subject], items: lookup.items, on: day)
            #expect(together[n] == alone, "lookup \(n)")
            answered += alone.isEmpty ? 0 : 1
        }
        #expect(answered > lookups.count / 2)
        await pool.close()
    }

    static func catalog() throws -> Catalog {
        try Fixtures.policies().catalog
    }
}
