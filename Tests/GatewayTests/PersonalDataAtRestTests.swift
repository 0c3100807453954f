import BrokerCore
import Foundation
import Gateway
import PostgresClient
import Testing

/// Nothing the broker stores about a person is kept in clear, so nothing needs SM4 at rest: after
/// an ingest of person and company records with names, ID numbers, mobile numbers, bank cards and
/// addresses, and partner traffic that carries ID numbers (a consent, queries under it with an
/// `Idempotency-Key` that is itself an ID number, a batch review, a watchlist), no column of any
/// table holds any of those values in clear. (What the broker keeps instead: keyed hashes and the
/// forms the catalog's masks give; README, "Personal data at rest".)
@Suite struct PersonalDataAtRestTests {
    static let person = FeedLines.person
    static let company = "91350100M000100Y43"
    static let clear = [
        person, "李四", "张三丰", "王小明", "13812345678", "6222020200112233445", "中山路18号", "北京西路7号", "汉中路99号",
    ]
    static let feed = [
        #"{"type":"record","item":"enterprise.registration","subject":"\#(company)","source_record_id":"REG-1","fields":{"name":"南京示例科技有限公司","org_type":"enterprise","legal_representative":"张三丰","legal_representative_id":"\#(person)","established_on":"2015-03-01","address":"江苏省南京市玄武区中山路18号"}}"#,
        #"{"type":"record","item":"person.dishonest_debtor","subject":"\#(person)","source_record_id":"DD-1","decision_date":"\#(FeedLines.day(-10))","fields":{"name":"李四","id_number":"\#(person)","case_no":"(2026)苏01执1","court":"南京市中级人民法院","amount":80000}}"#,
        #"{"type":"record","item":"person.contact","subject":"\#(person)","source_record_id":"PC-1","fields":{"name":"李四","mobile":"13812345678","bank_card":"6222020200112233445","address":"江苏省南京市鼓楼区北京西路7号"}}"#,
        #"{"type":"record","item":"market.real_estate","subject":"\#(company)","source_record_id":"RE-1","fields":{"certificate_no":"苏(2024)南京市不动产权第0000001号","location":"江苏省南京市鼓楼区汉中路99号","area_m2":1200,"mortgaged":false}}"#,
    ]

    @Test func noColumnOfAnyTableHoldsAPersonalValueInClear() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Array(Self.feed.prefix(3)))
            try await gateway.ingest([Self.feed[3]], source: "jiangsu_property")
            // A new version of the contact: the superseded one goes to record_versions.
            try await gateway.ingest([Self.feed[2].replacingOccurrences(of: "李四", with: "王小明")])
            let bank = try gateway.identity(of: TestGateway.bank)
            let term = try #require(gateway.directory.contract(for: TestGateway.bank)).term
            let consent = try await gateway.request(.POST, "/v1/consents", identity: bank, body: JSONSerialization.data(withJSONObject: [
                "subject": Self.person, "purposes": ["credit_approval"], "items": ["person.dishonest_debtor"],
                "valid_from": "\(term.from)", "valid_to": "\(term.to)", "use_limit": "unlimited", "document_digest": String(repeating: "3f", count: 32),
            ]))
            #expect(consent.status == 201, "\(String(decoding: consent.body, as: UTF8.self))")
            let consentID = try #require(consent.json["id"] as? String)
            let query = try JSONSerialization.data(withJSONObject: [
                "subject": Self.person, "purpose": "credit_approval", "items": ["person.dishonest_debtor", "person.contact"], "consent_id": consentID,
            ])
            let answer = try await gateway.request(.POST, "/v1/queries", identity: bank, headers: ["Idempotency-Key": Self.person], body: query)
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            let disclosed = try #require(answer.json["disclosed"] as? [[String: Any]])
            let record = try #require((disclosed.first?["records"] as? [[String: Any]])?.first)
            // The partner sees what it saw before the ingest masked: the catalog's masks.
            #expect(record["name"] as? String == "李*")
            #expect(record["id_number"] as? String == "110105********002X")
            let replay = try await gateway.request(.POST, "/v1/queries", identity: bank, headers: ["Idempotency-Key": Self.person], body: query)
            #expect(replay.headers.first(name: "Idempotent-Replayed") == "true")
            let company = try await gateway.request(.POST, "/v1/queries", identity: bank, body: JSONSerialization.data(withJSONObject: [
                "subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration"],
            ]))
            let registration = try #require(((company.json["disclosed"] as? [[String: Any]])?.first?["records"] as? [[String: Any]])?.first)
            #expect(registration["legal_representative"] as? String == "张**")
            #expect(registration["address"] as? String == "江苏省南京市玄武区******")
            let batch = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: JSONSerialization.data(withJSONObject: [
                "subjects": [Self.person, Self.company], "purpose": "batch_review", "items": ["person.dishonest_debtor", "enterprise.penalty"],
            ]))
            #expect(batch.status == 202, "\(String(decoding: batch.body, as: UTF8.self))")
            let watched = try await gateway.request(.POST, "/v1/watchlist", identity: bank, body: JSONSerialization.data(withJSONObject: [
                "purpose": "post_loan_monitoring", "subjects": [Self.person, Self.company],
            ]))
            #expect(watched.status == 200, "\(String(decoding: watched.body, as: UTF8.self))")
            // Let the batch worker finish its subjects, so that their stored results are scanned too.
            let batchID = try #require(batch.json["id"] as? String)
            for _ in 0..<100 {
                let page = try await gateway.request(.GET, "/v1/batch-reviews/\(batchID)", identity: bank)
                if page.json["status"] as? String == "done" { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            let scanned = try await Self.everyStoredValue(gateway.pool)
            #expect(scanned.columns > 60, "only \(scanned.columns) columns scanned")
            #expect(scanned.text.contains("110105********002X"), "the masked forms are there")
            #expect(scanned.text.contains("138****5678"))
            for value in Self.clear {
                let places = scanned.places(of: value)
                #expect(places.isEmpty, "a personal value is stored in clear in \(places)")
            }
        }
    }

    /// Every value of every column of every table in the broker's schema, as text (bytea decoded as
    /// UTF-8, so a stored response body is read as the partner received it).
    struct Scan {
        var text = ""
        var columns = 0
        var byColumn: [(String, String)] = []

        func places(of value: String) -> [String] {
            byColumn.filter { $0.1.contains(value) }.map(\.0)
        }
    }

    static func everyStoredValue(_ pool: PostgresPool) async throws -> Scan {
        let columns = try await pool.query("""
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' ORDER BY 1, 2
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)) }
        var scan = Scan()
        for (table, column, type) in columns {
            let name = "\(table).\(column)"
            let quoted = "\"\(table.replacingOccurrences(of: "\"", with: "\"\""))\".\"\(column.replacingOccurrences(of: "\"", with: "\"\""))\""
            let rows = try await pool.query(PostgresQuery(unsafeSQL: "SELECT \(quoted)\(type == "bytea" ? "" : "::text") FROM \"\(table)\""))
            var values = ""
            for row in rows {
                if type == "bytea" {
                    values += String(decoding: try row.decode([UInt8]?.self, at: 0) ?? [], as: UTF8.self) + "\n"
                } else {
                    values += (try row.decode(String?.self, at: 0) ?? "") + "\n"
                }
            }
            scan.columns += 1
            scan.byColumn.append((name, values))
            scan.text += values
        }
        return scan
    }
}
