import BrokerCore
import Foundation
import Ingest
import Testing

/// Each reject reason, from one fixture line: the report names file, line, field and reason.
@Suite struct RejectReasonTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let line: String
        let field: String
        let reason: String
        var source = "jiangsu_public_credit"
        var testDescription: String { name }
    }

    static let company = IngestFixture.company
    static let cases: [Case] = [
        Case(name: "not JSON", line: #"{"type":"record","#, field: "", reason: "not valid JSON"),
        Case(name: "unknown item", line: #"{"type":"record","item":"enterprise.nothing","subject":"\#(company)","source_record_id":"X","fields":{}}"#,
             field: "item", reason: "no such item"),
        Case(name: "item of another source",
             line: #"{"type":"record","item":"market.patents","subject":"\#(company)","source_record_id":"X","fields":{"patent_no":"1","kind":"design"}}"#,
             field: "item", reason: "comes from source jiangsu_ip"),
        Case(name: "unknown field", line: IngestFixture.penalty("P1").replacingOccurrences(of: #""amount""#, with: #""amout""#),
             field: "fields.amout", reason: "unknown field"),
        Case(name: "extra key", line: IngestFixture.penalty("P1").replacingOccurrences(of: #""type":"record","#, with: #""type":"record","colour":"red","#),
             field: "colour", reason: "unknown key"),
        Case(name: "required field missing", line: IngestFixture.penalty("P1").replacingOccurrences(of: #""authority":"南京市市场监督管理局","#, with: ""),
             field: "fields.authority", reason: "required field missing"),
        Case(name: "type error", line: IngestFixture.penalty("P1", amount: #""lots""#), field: "fields.amount", reason: "expected a number"),
        Case(name: "enum value", line: IngestFixture.penalty("P1", severity: "huge"), field: "fields.severity", reason: "not one of minor, general, serious"),
        Case(name: "date format", line: IngestFixture.penalty("P1", decided: "10/05/2026"), field: "decision_date", reason: "expected a date YYYY-MM-DD"),
        Case(name: "impossible date", line: IngestFixture.penalty("P1", decided: "2026-02-30"), field: "decision_date", reason: "not a calendar date"),
        Case(name: "penalty without decision date", line: IngestFixture.penalty("P1", decided: nil), field: "decision_date", reason: "missing"),
        Case(name: "month format",
             line: #"{"type":"record","item":"market.tax_paid","subject":"\#(company)","source_record_id":"T1","fields":{"period":"2025-13","tax_paid":1.5}}"#,
             field: "fields.period", reason: "expected a month YYYY-MM", source: "sushu_tax"),
        Case(name: "int with a fraction",
             line: #"{"type":"record","item":"enterprise.tax_credit_level","subject":"\#(company)","source_record_id":"L1","fields":{"year":2025.5,"level":"A"}}"#,
             field: "fields.year", reason: "expected an integer"),
        Case(name: "bad USCC", line: IngestFixture.penalty("P1", subject: "91320102MA1XXXXXZZ"), field: "subject", reason: "unified social credit code"),
        Case(name: "bad ID number",
             line: #"{"type":"record","item":"person.dishonest_debtor","subject":"110105194912310021","source_record_id":"D1","decision_date":"2026-01-05","fields":{"name":"张三","id_number":"110105194912310021","case_no":"(2026)苏01执1号","court":"南京中院"}}"#,
             field: "subject", reason: "resident ID number: check character is wrong"),
        Case(name: "ID number not the subject's",
             line: #"{"type":"record","item":"person.dishonest_debtor","subject":"\#(IngestFixture.person)","source_record_id":"D1","decision_date":"2026-01-05","fields":{"name":"张三","id_number":"320106199001010016","case_no":"(2026)苏01执1号","court":"南京中院"}}"#,
             field: "fields.id_number", reason: "does not match the subject"),
        Case(name: "unknown event", line: IngestFixture.event("disputed", "NOPE"), field: "source_record_id", reason: "names no stored record"),
        Case(name: "unknown event kind", line: IngestFixture.event("forgiven", "P1"), field: "event", reason: "must be repaired"),
    ]

    @Test(arguments: cases)
    func oneLineOneRejection(_ fixture: Case) async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let good = fixture.source == "sushu_tax"
            ? #"{"type":"record","item":"market.tax_paid","subject":"\#(Self.company)","source_record_id":"GOOD","fields":{"period":"2025-10","tax_paid":18234.50}}"#
            : IngestFixture.penalty("GOOD")
        let path = try database.write("feed.jsonl", lines: [good, fixture.line])
        let (summary, rejections) = try await database.ingest(path, source: fixture.source)
        try #require(rejections.count == 1, "\(rejections)")
        let rejection = rejections[0]
        #expect(rejection.file == path)
        #expect(rejection.line == 2)
        #expect(rejection.field == fixture.field)
        #expect(rejection.reason.contains(fixture.reason), "\(rejection.reason)")
        #expect(!rejection.reason.contains("110105") && !rejection.reason.contains("320106"))
        #expect(summary.lines == 2 && summary.rejected == 1)
        #expect(summary.inserted == 1)
    }

    @Test func malformedUTF8AndTruncatedLastLine() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        var bytes = Array((IngestFixture.penalty("A") + "\n").utf8)
        bytes += Array(IngestFixture.penalty("B").utf8).map { $0 == "虚".utf8.first! ? 0xFF : $0 } + [10]
        bytes += Array((IngestFixture.penalty("C") + "\n").utf8)
        bytes += Array(IngestFixture.penalty("D").utf8.dropLast(5))
        let (summary, rejections) = try await database.ingest(try database.write("feed.jsonl", bytes))
        #expect(rejections.map(\.line) == [2, 4])
        #expect(rejections[0].reason == "not valid UTF-8")
        #expect(rejections[1].reason.hasPrefix("truncated"))
        #expect(summary.inserted == 2)
    }

    @Test func checkCharacterFailureInUSCCIsAWarning() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        var code = Array(IngestFixture.company)
        code[17] = code[17] == "0" ? "1" : "0"
        let path = try database.write("feed.jsonl", lines: [
            IngestFixture.penalty("V"), IngestFixture.penalty("W", subject: String(code)),
            IngestFixture.penalty("X", subject: String(code), amount: "\"many\""),
        ])
        let (summary, rejections, warnings) = try await database.ingestReportingWarnings(path)
        // The refused line 3 is a rejection only; the accepted line 2 is a warning naming its line and why.
        #expect(rejections.map(\.line) == [3])
        #expect(summary.warnings == 1 && summary.inserted == 2)
        #expect(warnings == [LineFault(
            file: path, line: 2, field: "subject",
            reason: "unified social credit code: check character is wrong (expected \(IngestFixture.company.last!)); loaded as delivered")])
        #expect(warnings.map(\.description) == ["\(path):2: subject: " + warnings[0].reason])
        #expect(!warnings[0].description.contains(String(code)))
        #expect(summary.description.contains(", 1 warning, ") && summary.description.hasPrefix("3 lines: "))
    }

    @Test func csvQuotingAndEmptyCells() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let company = IngestFixture.company
        let path = try database.write("market.litigation.csv", lines: [
            "item,subject,source_record_id,decision_date,case_no,court,role,cause,amount,closed",
            #"market.litigation,\#(company),LIT-1,2025-03-01,"(2025)苏0102民初1号","南京市玄武区人民法院",defendant,"合同纠纷, ""买卖""\#n第二行",120000.00,false"#,
            "market.litigation,\(company),LIT-2,2025-03-02,(2025)苏0102民初2号,南京市玄武区人民法院,plaintiff,,,",
            "market.litigation,\(company),LIT-3,2025-03-02,(2025)苏0102民初3号,南京市玄武区人民法院,witness,,,",
        ])
        let (summary, rejections) = try await database.ingest(path, source: "court_records")
        #expect(summary.inserted == 2)
        #expect(rejections.map(\.line) == [5])
        #expect(rejections.first?.field == "fields.role")
        let records = try await database.store.disclosableRecords(
            of: company, items: ["market.litigation"], on: CivilDate("2026-01-01")!)
        let first = try #require(records.first { $0.sourceRecordID == "LIT-1" })
        #expect(first.fields["cause"] == .string("合同纠纷, \"买卖\"\n第二行"))
        #expect(first.fields["closed"] == .bool(false))
        #expect(records.first { $0.sourceRecordID == "LIT-2" }?.fields["amount"] == .null)
    }

    /// Excel's "CSV UTF-8" export begins the file with a byte order mark (EF BB BF) and ends lines with
    /// CRLF; some tools write JSON lines with the mark too. The mark is no part of the first line: the
    /// CSV header read "\u{FEFF}item" and the file was refused for a missing `item` column, and a JSON
    /// lines file lost its first record. A mark anywhere else is data, and refused as before.
    @Test func aByteOrderMarkOpensAFileAndIsNoPartOfItsFirstLine() async throws {
        let database = try await IngestFixture.make()
        defer { Task { await database.close() } }
        let company = IngestFixture.company
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let csv = try database.write("excel.csv", bom + Array([
            "item,subject,source_record_id,decision_date,case_no,court,role,cause,amount,closed",
            "market.litigation,\(company),LIT-9,2025-03-02,(2025)苏0102民初9号,南京市玄武区人民法院,plaintiff,,,",
        ].map { $0 + "\r\n" }.joined().utf8))
        let (csvSummary, csvRejections) = try await database.ingest(csv, source: "court_records")
        #expect(csvSummary.inserted == 1 && csvRejections.isEmpty, "\(csvRejections)")

        let jsonl = try database.write("marked.jsonl", bom + Array((IngestFixture.penalty("PEN-B1") + "\n" + IngestFixture.penalty("PEN-B2") + "\n").utf8))
        let (summary, rejections) = try await database.ingest(jsonl)
        #expect(summary.inserted == 2 && rejections.isEmpty, "\(rejections)")

        // On the second line it is no mark of the file: that line is refused.
        let late = try database.write("late.jsonl", Array((IngestFixture.penalty("PEN-B3") + "\n").utf8) + bom + Array((IngestFixture.penalty("PEN-B4") + "\n").utf8))
        let (_, lateRejections) = try await database.ingest(late)
        #expect(lateRejections.map(\.line) == [2])
    }
}
