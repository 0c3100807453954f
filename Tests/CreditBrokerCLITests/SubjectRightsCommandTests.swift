import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import TestSupport
import Testing

/// The command line's part in subjects' rights: `ids check` on the oldest residents' numbers, and
/// `disputes export` for a data source without a partner account.
@Suite struct SubjectRightsCommandTests {
    /// Failed before issue 16 with "the birth date is before 1900": GB 11643-1999 numbers the
    /// residents born in the 1880s like anyone else.
    @Test func anIDNumberOfSomeoneBornIn1886IsValid() throws {
        let valid = try ContractsCommandTests.run(["ids", "check", "320102188603151239"])
        #expect(valid.status == 0 && valid.output == "320102188603151239 valid\n", "\(valid.output)")
        let ancient = try ContractsCommandTests.run(["ids", "check", "320102179912311230"])
        #expect(ancient.status != 0 && ancient.output.contains("the birth date is before 1800"), "\(ancient.output)")
    }

    @Test func disputesExportListsASourcesDisputesInFeedOrder() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let company = try UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MA1X0051").rawValue
        try await pool.query("INSERT INTO subjects (subject_key, kind) VALUES (\(company), 'organisation')")
        for (source, id) in [("jiangsu_public_credit", "PEN-51"), ("sushu_tax", "TAX-51")] {
            try await pool.query("""
                INSERT INTO records (subject_key, item, source, source_record_id, fields)
                VALUES (\(company), 'enterprise.penalty', \(source), \(id), '{}'::jsonb)
                """)
        }
        let store = DisputeStore(pool: pool)
        let filed = try await store.file(.init(
            subjectKey: company, source: "jiangsu_public_credit", sourceRecordID: "PEN-51", reason: "quashed", statement: nil,
            keepStatement: false, filedBy: "portal.xinyong_jiangsu"
        ), at: Date())
        _ = try await store.file(.init(
            subjectKey: company, source: "sushu_tax", sourceRecordID: "TAX-51", reason: "not ours", statement: nil,
            keepStatement: false, filedBy: "portal.xinyong_jiangsu"
        ), at: Date())
        await pool.close()

        let exported = try ContractsCommandTests.run(["disputes", "export", "--source", "jiangsu_public_credit", "--database-url", conninfo])
        #expect(exported.status == 0, "\(exported.output)")
        let lines = exported.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 1, "\(exported.output)")
        let first = try #require(lines.first)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(line["id"] as? String == filed.id && line["state"] as? String == "open" && line["uscc"] as? String == company)
        #expect(line["deadline"] as? String == filed.deadline.description && line["overdue"] as? Bool == false)
        #expect(exported.output.contains("next: --since \(filed.feedSeq)"), "\(exported.output)")
        let later = try ContractsCommandTests.run([
            "disputes", "export", "--source", "jiangsu_public_credit", "--since", "\(filed.feedSeq)", "--database-url", conninfo,
        ])
        #expect(later.status == 0 && !later.output.contains("{"), "\(later.output)")
        let bad = try ContractsCommandTests.run(["disputes", "export", "--source", "Bad Source", "--database-url", conninfo])
        #expect(bad.status != 0 && bad.output.contains("--source must be a catalog source id"), "\(bad.output)")
    }
}
