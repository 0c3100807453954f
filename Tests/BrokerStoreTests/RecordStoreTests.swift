import BrokerCore
@testable import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct RecordStoreTests {
    static func staged(_ id: String, line: Int, subject: String = "91320102MA1XXXXX0X") -> StagedRecord {
        StagedRecord(
            line: line, subjectKey: subject, subjectKind: .organisation, subjectName: nil, subjectMaskedID: nil,
            item: "market.patents", sourceRecordID: id, decisionDate: nil, publicityStart: nil, publicityEnd: nil,
            discloseFrom: nil, discloseUntil: nil, fieldsJSON: #"{"kind":"design","patent_no":"\#(id)"}"#)
    }

    /// Concurrent merges and a reader paging the change feed: every change arrives once, in order.
    @Test func changeFeedNeverSkipsOrRepeats() async throws {
        let database = try await TestPostgres.freshDatabase()
        let pool = PostgresPool(.init(connection: database, maxConnections: 6))
        try await Migrator(pool: pool).migrate()
        let writer = RecordWriter(pool: pool)
        let store = RecordStore(pool: pool, catalog: try Self.catalog())
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
        let store = RecordStore(pool: pool, catalog: try Self.catalog())
        let subject = try #require(try await store.subject(code))
        #expect(subject.kind == .organisation && subject.displayName == "南京示例科技有限公司")
        let other = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1XXXXY")
        #expect(try await store.subject(other) == nil)
        await pool.close()
    }

    static func catalog() throws -> Catalog {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try Catalog(
            yaml: String(contentsOf: root.appending(path: "Policies/catalog.yaml"), encoding: .utf8), file: "catalog.yaml",
            knownMaskRules: nil)
    }
}
