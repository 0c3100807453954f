import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Metering
import Testing

/// `POST /v1/scores` over real TLS against records loaded through the real ingest: the contract
/// decides which items feed the score, withheld items never move it, hard declines give the
/// worst grade, and the answer is receipted.
@Suite(.serialized) struct ScoreEndToEndTests {
    static let company = "91350100M000100Y43"

    static func record(_ item: String, _ id: String, decided: String? = nil, _ fields: String) -> String {
        let date = decided.map { #","decision_date":"\#($0)""# } ?? ""
        return #"{"type":"record","item":"\#(item)","subject":"\#(company)","source_record_id":"\#(id)"\#(date),"fields":{\#(fields)}}"#
    }

    static let registration = record(
        "enterprise.registration", "REG-1",
        #""name":"南京示例科技有限公司","org_type":"enterprise","registered_capital":300,"established_on":"2015-03-01","operating_status":"active""#)

    /// A lawsuit with the company as defendant, filed `decided`.
    static func lawsuit(_ id: String, decided: String) -> String {
        record("market.litigation", id, decided: decided, #""case_no":"(2026)苏0102民初\#(id)号","court":"南京市玄武区人民法院","role":"defendant""#)
    }

    private func score(_ gateway: TestGateway, as partner: String, _ fields: [String: Any] = [:]) async throws -> TestGateway.Reply {
        let body = try JSONSerialization.data(withJSONObject: ["subject": Self.company, "purpose": "credit_approval"].merging(fields) { $1 })
        return try await gateway.request(.POST, "/v1/scores", identity: gateway.identity(of: partner), body: body)
    }

    @Test func contractsDecideTheInputsAndWithheldItemsNeverMoveTheScore() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([Self.registration])
            try await gateway.ingest([Self.lawsuit("L1", decided: "2026-03-02")], source: "court_records")
            // ICBC may not receive litigation for this purpose without consent; BOC's contract shares it.
            let icbc = try await score(gateway, as: TestGateway.bank)
            let boc = try await score(gateway, as: TestGateway.otherBank)
            #expect(icbc.status == 200 && boc.status == 200)
            let icbcUsed = try #require(icbc.json["sources_used"] as? [String])
            let bocUsed = try #require(boc.json["sources_used"] as? [String])
            #expect(!icbcUsed.contains("market.litigation") && bocUsed.contains("market.litigation"))
            #expect((icbc.json["withheld"] as? [[String: Any]])?.contains { $0["item"] as? String == "market.litigation" } == true)
            #expect((icbc.json["missing_features"] as? [String])?.contains("litigation_defendant_3y") == true)
            #expect((boc.json["missing_features"] as? [String])?.contains("litigation_defendant_3y") == false)
            #expect(icbc.json["score"] as? Int != boc.json["score"] as? Int)
            #expect(icbc.json["model_version"] as? String == "sme-lending-v3.2")
            #expect(icbc.json["model_segment"] as? String == "records_only")
            #expect(icbc.json["grade"] is String && icbc.json["probability_of_default"] is Double)
            let reasons = try #require(icbc.json["reasons"] as? [[String: Any]])
            #expect(!reasons.isEmpty && reasons.allSatisfy { ($0["zh"] as? String)?.isEmpty == false && ($0["en"] as? String)?.isEmpty == false })

            let key = try await gateway.request(.GET, "/v1/receipt-key")
            let receipt = try ReceiptVerifier(publicKeyPEM: String(decoding: key.body, as: UTF8.self))
                .verify(token: try #require(icbc.headers.first(name: Receipt.headerName)), body: icbc.body)
            #expect(receipt.itemsDisclosed == icbcUsed)

            // More records of items ICBC does not receive (litigation; tax, social insurance, utilities
            // and real estate need a consent) never change ICBC's score.
            try await gateway.ingest([Self.lawsuit("L2", decided: "2026-05-10"), Self.lawsuit("L3", decided: "2026-07-01")], source: "court_records")
            try await gateway.ingest((1...12).map { month in
                Self.record("market.tax_paid", "T\(month)", #""period":"2026-\#(month < 10 ? "0" : "")\#(month)","tax_paid":0,"arrears":50000"#)
            }, source: "sushu_tax")
            try await gateway.ingest([Self.record("market.real_estate", "RE1", #""certificate_no":"苏（2020）南京市不动产权第1234567号""#)], source: "jiangsu_property")
            let again = try await score(gateway, as: TestGateway.bank)
            #expect(again.json["score"] as? Int == icbc.json["score"] as? Int)
            #expect(again.json["model_segment"] as? String == "records_only")
            #expect((again.json["reasons"] as? [[String: Any]])?.map { $0["code"] as? String } == reasons.map { $0["code"] as? String })
            #expect(again.json["sources_used"] as? [String] == icbcUsed)
        }
    }

    @Test func aCurrentDishonestListingDeclinesWithTheWorstGrade() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([
                Self.registration,
                Self.record("enterprise.dishonest_debtor", "DD-1", decided: "2026-06-01", #""case_no":"(2026)苏0102执1号","court":"南京市玄武区人民法院""#),
            ])
            let reply = try await score(gateway, as: TestGateway.bank)
            #expect(reply.status == 200)
            #expect(reply.json["grade"] as? String == "C")
            let declined = try #require(reply.json["declined"] as? [String: Any])
            #expect(declined["code"] as? String == "D01")
            #expect((declined["zh"] as? String)?.isEmpty == false && (declined["en"] as? String)?.isEmpty == false)
        }
    }

    /// A company the broker holds nothing about is not graded (the card would grade it from its
    /// missing-value points alone) and not billed: 404 `subject-unknown`, the quota unit given back,
    /// the meter event a 404 that disclosed nothing.
    @Test func anUnknownSubjectIsAnsweredAsSuchAndNotBilled() async throws {
        try await TestGateway.run { gateway in
            let ledger = QuotaLedger(pool: gateway.pool)
            let before = try await ledger.spentUsage(partner: TestGateway.bank, at: Date())
            let reply = try await score(gateway, as: TestGateway.bank)
            #expect(reply.status == 404)
            #expect(reply.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(reply.json["type"] as? String == "https://credit-broker.example/problems/subject-unknown")
            #expect(reply.json["field"] as? String == "subject")
            #expect(reply.json["grade"] == nil && reply.json["score"] == nil)
            #expect(!String(decoding: reply.body, as: UTF8.self).contains(Self.company))
            let after = try await ledger.spentUsage(partner: TestGateway.bank, at: Date())
            #expect(after.today == before.today && after.thisMonth == before.thisMonth)
            let event = try await gateway.pool.query("""
                SELECT http_status, items_disclosed::text FROM meter_events WHERE partner_id = \(TestGateway.bank) AND endpoint = 'POST /v1/scores'
                """)
            #expect(event.count == 1)
            #expect(try event.first?.decode(Int.self, at: 0) == 404)
            #expect(try event.first?.decode(String.self, at: 1) == "[]")
        }
    }

    /// A known company with too few of the card's features available to the partner (here an agency,
    /// whose contract has no market, tax-rating or litigation items, asking about a company with only a
    /// penalty on file) is not graded: 422 `insufficient-data`, saying how many features there are
    /// and how many a grade needs; not billed. With its registration on file, a bank (which receives
    /// more items) is graded.
    @Test func tooFewFeaturesForTheCardAreSaidInsteadOfAGrade() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([Self.record(
                "enterprise.penalty", "PEN-1", decided: "2026-05-01",
                #""decision_no":"宁市监罚〔2026〕1号","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"general""#
            )])
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let ledger = QuotaLedger(pool: gateway.pool)
            let before = try await ledger.spentUsage(partner: TestGateway.agency, at: Date())
            let body = try JSONSerialization.data(withJSONObject: ["subject": Self.company, "purpose": "credit_report"])
            let reply = try await gateway.request(.POST, "/v1/scores", bearer: token, body: body)
            #expect(reply.status == 422, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(reply.json["type"] as? String == "https://credit-broker.example/problems/insufficient-data")
            let detail = reply.json["detail"] as? String ?? ""
            #expect(detail.hasPrefix("6 of the 13 features of the card's records_only segment are available"), "\(detail)")
            #expect(detail.hasSuffix("a grade needs at least 7."), "\(detail)")
            #expect(reply.json["grade"] == nil)
            #expect(try await ledger.spentUsage(partner: TestGateway.agency, at: Date()).today == before.today)

            try await gateway.ingest([Self.registration])
            let bankBefore = try await ledger.spentUsage(partner: TestGateway.bank, at: Date())
            let graded = try await score(gateway, as: TestGateway.bank)
            #expect(graded.status == 200)
            #expect(graded.json["grade"] is String)
            #expect(try await ledger.spentUsage(partner: TestGateway.bank, at: Date()).today == bankBefore.today + 1)
        }
    }

    @Test func invalidScoreRequestsNameTheField() async throws {
        try await TestGateway.run { gateway in
            let cases: [([String: Any], String)] = [
                (["subject": "11010519491231002X"], "subject"),
                (["subject": "91350100M000100Y4Z"], "subject"),
                (["purpose": "astrology"], "purpose"),
                (["consent_id": "c-1"], "consent_id"),
            ]
            for (fields, field) in cases {
                let reply = try await score(gateway, as: TestGateway.bank, fields)
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(!text.contains("1231002X") && !text.contains("M000100Y4"))
            }
        }
    }

    @Test func aWrongTypedMemberIsNamedAndNullsAndExtraMembersAreAccepted() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([Self.registration])
            let cases: [([String: Any], String, String)] = [
                (["subject": 91_350_100], "subject", "subject must be a string, not a number."),
                (["purpose": ["credit_approval"]], "purpose", "purpose must be a string, not an array."),
                (["consent_id": 1], "consent_id", "consent_id must be a string, not a number."),
            ]
            for (fields, field, detail) in cases {
                let reply = try await score(gateway, as: TestGateway.bank, fields)
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                #expect(reply.json["detail"] as? String == detail)
            }
            let truncated = try await gateway.request(
                .POST, "/v1/scores", identity: gateway.identity(of: TestGateway.bank), body: Data(#"{"subject": "\#(Self.company)"#.utf8)
            )
            #expect(truncated.status == 400 && truncated.json["field"] as? String == "body")
            #expect(truncated.json["detail"] as? String == "The body is not valid JSON at byte 32: expected the closing quote of a string.")
            #expect(!String(decoding: truncated.body, as: UTF8.self).contains("M000100Y4"))
            let lenient = try await score(gateway, as: TestGateway.bank, ["consent_id": NSNull(), "channel": ["app": "mobile"]])
            #expect(lenient.status == 200, "\(String(decoding: lenient.body, as: UTF8.self))")
        }
    }
}
