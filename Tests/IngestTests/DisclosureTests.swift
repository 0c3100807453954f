import BrokerCore
import BrokerStore
import Foundation
import Ingest
import PostgresClient
import TestSupport
import Testing

/// The read path's SQL filter puts each disclosure rule at its boundary dates, and agrees with
/// the catalog's own verdict on every record and day.
@Suite struct DisclosureTests {
    static let company = IngestFixture.company
    static let items = ["enterprise.penalty", "enterprise.dishonest_debtor", "enterprise.licence", "enterprise.registration"]

    static let lines: [String] = [
        IngestFixture.penalty("PEN-general"),                                     // 2026-05-10, general: P1Y (2026 regime)
        IngestFixture.penalty("PEN-disputed"), IngestFixture.event("disputed", "PEN-disputed"),
        IngestFixture.penalty("PEN-repaired"), IngestFixture.event("repaired", "PEN-repaired"),
        IngestFixture.penalty("PEN-withdrawn"), IngestFixture.event("withdrawn", "PEN-withdrawn"),
        IngestFixture.penalty("PEN-2024", decided: "2024-05-10", severity: "serious"),  // 58号: P3Y → 2027-05-10
        debtor("DEBT-1"),                                                        // 2025-01-15 + P2Y
        debtor("DEBT-disputed"), IngestFixture.event("disputed", "DEBT-disputed", item: "enterprise.dishonest_debtor"),
        #"{"type":"record","item":"enterprise.licence","subject":"\#(company)","source_record_id":"LIC-1","publicity_start":"2026-01-01","publicity_end":"2026-12-31","fields":{"licence_no":"L1","licence_name":"食品经营许可","authority":"南京市市场监督管理局"}}"#,
        #"{"type":"record","item":"enterprise.registration","subject":"\#(company)","source_record_id":"REG-1","fields":{"name":"南京示例科技有限公司","org_type":"enterprise","established_on":"2015-03-02"}}"#,
    ]

    static func debtor(_ id: String) -> String {
        #"{"type":"record","item":"enterprise.dishonest_debtor","subject":"\#(company)","source_record_id":"\#(id)","decision_date":"2025-01-15","fields":{"case_no":"(2025)苏01执9号","court":"南京中院"}}"#
    }

    static func shown(_ database: IngestFixture, on day: String) async throws -> [String: Bool] {
        let records = try await database.store.disclosableRecords(of: company, items: items, on: CivilDate(day)!)
        return Dictionary(uniqueKeysWithValues: records.map { ($0.sourceRecordID, $0.isDisputed) })
    }

    @Test func rulesAtTheirBoundaries() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let (summary, rejections) = try await database.ingest(try database.write("feed.jsonl", lines: Self.lines))
        try #require(rejections.isEmpty, "\(rejections)")
        #expect(summary.inserted == 9)

        // Penalty: from its decision date up to the day before decision + 1 year.
        #expect(try await Self.shown(database, on: "2026-05-09")["PEN-general"] == nil)
        #expect(try await Self.shown(database, on: "2026-05-10")["PEN-general"] == false)
        #expect(try await Self.shown(database, on: "2027-05-09")["PEN-general"] == false)
        #expect(try await Self.shown(database, on: "2027-05-10")["PEN-general"] == nil)
        // Earlier regime by decision date: serious under 58号 is three years.
        #expect(try await Self.shown(database, on: "2027-05-09")["PEN-2024"] == false)
        #expect(try await Self.shown(database, on: "2027-05-10")["PEN-2024"] == nil)
        // Fixed period P2Y.
        #expect(try await Self.shown(database, on: "2027-01-14")["DEBT-1"] == false)
        #expect(try await Self.shown(database, on: "2027-01-15")["DEBT-1"] == nil)
        // Publicity window, both ends inclusive.
        #expect(try await Self.shown(database, on: "2025-12-31")["LIC-1"] == nil)
        #expect(try await Self.shown(database, on: "2026-01-01")["LIC-1"] == false)
        #expect(try await Self.shown(database, on: "2026-12-31")["LIC-1"] == false)
        #expect(try await Self.shown(database, on: "2027-01-01")["LIC-1"] == nil)

        let inside = try await Self.shown(database, on: "2026-06-15")
        // Disputed: flagged for penalties, withheld for dishonest debtors.
        #expect(inside["PEN-disputed"] == true)
        #expect(inside["DEBT-disputed"] == nil)
        // Repaired and withdrawn: never.
        #expect(inside["PEN-repaired"] == nil && inside["PEN-withdrawn"] == nil)
        #expect(inside["REG-1"] == false)
    }

    @Test func sqlFilterAgreesWithTheCatalogVerdict() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        _ = try await database.ingest(try database.write("feed.jsonl", lines: Self.lines))
        let all = try await database.pool.query("""
            SELECT source_record_id, item, status, decision_date::text, publicity_start::text, publicity_end::text,
                   fields->>'severity' FROM records
            """)
        let facts = try all.map { row in
            (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1), RecordDisclosureFacts(
                status: RecordStatus(rawValue: try row.decode(at: 2))!,
                decisionDate: try row.decode(String?.self, at: 3).flatMap(CivilDate.init),
                publicityStart: try row.decode(String?.self, at: 4).flatMap(CivilDate.init),
                publicityEnd: try row.decode(String?.self, at: 5).flatMap(CivilDate.init),
                severity: try row.decode(at: 6)))
        }
        for day in stride(from: CivilDate("2024-05-01")!.dayNumber, through: CivilDate("2027-06-01")!.dayNumber, by: 17)
            .map(CivilDate.init(dayNumber:)) + ["2026-05-10", "2027-05-10", "2027-01-15", "2026-12-31", "2027-01-01"].compactMap(CivilDate.init) {
            let shown = try await Self.shown(database, on: day.description)
            for (id, item, fact) in facts {
                let verdict = database.catalog.disclosure(of: fact, item: database.catalog.item(item)!, on: day)
                #expect((shown[id] != nil) == verdict.isDisclosed, "\(id) on \(day)")
                #expect(shown[id] != true || verdict.state == .disclosedDisputed, "\(id) on \(day)")
            }
        }
    }

    @Test func oneRoundTripWithOnePreparedStatement() async throws {
        let fixture = try await IngestFixture.make()
        defer { Task { await fixture.close() } }
        _ = try await fixture.ingest(try fixture.write("feed.jsonl", lines: Self.lines))
        let pool = PostgresPool(.init(connection: fixture.pool.configuration.connection, maxConnections: 1))
        let store = RecordStore(pool: pool, catalog: fixture.catalog, keys: try TestSealingKeys.fresh())
        let records = try await store.disclosableRecords(of: Self.company, items: Self.items, on: CivilDate("2026-06-15")!)
        #expect(Set(records.map(\.item)) == Set(Self.items))
        let prepared = try await pool.query("SELECT statement FROM pg_prepared_statements").map { try $0.decode(String.self, at: 0) }
        #expect(prepared.count == 1)
        #expect(prepared.first?.contains("item = ANY($2::text[])") == true)
        await pool.close()
    }
}
