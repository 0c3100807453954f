import BrokerCore
import Foundation
@testable import Reports
import TestSupport
import Testing

/// The report's HTML: its sections in a loan officer's order, values escaped by Mustache, nothing
/// fetched, both languages, every catalog field and value named; content negotiation; reading a
/// saved answer back.
@Suite struct ReportPageTests {
    static let policies = try! Fixtures.policies()

    static let page = ReportPage(catalog: policies.catalog, purposes: policies.purposes)

    /// A company's report: registration, a disputed penalty with a hostile text in it, an item with
    /// nothing on file, one withheld item, a score and a query history.
    static func document(violation: String = "虚假宣传") -> ReportDocument {
        let day = CivilDate(year: 2026, month: 12, day: 5)!
        return ReportDocument(
            requestID: "req-1", partner: "bank.icbc_jiangsu", partnerName: "中国工商银行股份有限公司江苏省分行",
            contractVersion: "bank.icbc_jiangsu@2026-11-01.1#d43494479d38", purpose: "credit_approval", consentID: nil,
            issuedAt: Date(timeIntervalSince1970: 1_796_460_011),
            subject: .init(kind: .organisation, label: "91350100M000100Y43", name: "南京示例科技有限公司"),
            summary: .init(
                score: .init(
                    score: 612, grade: "BBB", probabilityOfDefault: 0.0345, modelVersion: "sme-lending-v3.1", modelSegment: nil, declined: nil,
                    reasons: [.init(code: "R07", zh: "近三年行政处罚 1 次", en: "1 penalty in three years", pointsLost: 12.5)]
                ),
                noScore: nil, featuresPresent: 8, featuresOf: 10,
                glance: [
                    .init(item: "enterprise.penalty", withheld: false, records: 1, disputed: 1, amount: 5000),
                    .init(item: "enterprise.black_list", withheld: true, records: 0, disputed: 0, amount: nil),
                ]
            ),
            disclosed: [
                .init(item: "enterprise.registration", records: [.init(
                    fields: ["name": .string("南京示例科技有限公司"), "org_type": .string("enterprise"), "legal_representative_id": .string("110105********002X")],
                    decisionDate: nil, publicityStart: nil, publicityEnd: nil, disputed: false, dispute: nil, subjectStatement: nil
                )]),
                .init(item: "enterprise.penalty", records: [.init(
                    fields: [
                        "decision_no": .string("罚-PEN-7"), "authority": .string("南京市市场监督管理局"), "violation": .string(violation),
                        "penalty_type": .string("fine"), "amount": .decimal(12345.5), "severity": .string("general"),
                    ],
                    decisionDate: day.adding(days: -30), publicityStart: nil, publicityEnd: nil, disputed: true,
                    dispute: .object(["id": .string("dp_1"), "filed": .string("2026-12-01"), "deadline": .string("2026-12-21")]),
                    subjectStatement: nil
                )]),
                .init(item: "enterprise.dishonest_debtor", records: []),
            ],
            withheld: [.init(item: "market.real_estate", reason: .consentMissing, unlock: .consent(item: "market.real_estate", purpose: "credit_approval"))],
            queryHistory: .init(
                from: day.adding(months: -24).adding(days: 1), to: day,
                groups: [.init(partnerKind: "bank", purpose: "credit_approval", queries: 3, partners: 2, last: day)], streams: []
            ),
            receiptKeySHA256: String(repeating: "0f", count: 32)
        )
    }

    @Test func theSectionsComeInALoanOfficersOrder() {
        let html = Self.page.html(Self.document(), language: .zh)
        let order = ["id=\"identity\"", "id=\"summary\"", "id=\"disclosed\"", "id=\"withheld\"", "id=\"history\"", "id=\"footer\""]
        let positions = order.compactMap { html.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count && positions == positions.sorted(), "\(order)")
        for expected in [
            "企业信用报告", "南京示例科技有限公司", "91350100M000100Y43", "612", "BBB", "3.45%", "R07", "罚-PEN-7", "12,345.50", "罚款", "一般",
            "异议中（2026-12-01 提出）", "不动产", "需要信息主体授权", "取得信息主体授权", "商业银行", "授信审批", "无记录",
            "bank.icbc_jiangsu@2026-11-01.1#d43494479d38", "req-1", "receipts verify", "sha256:" + String(repeating: "0f", count: 32),
            "2026-12-05 16:40:11 (UTC+8)",
        ] {
            #expect(html.contains(expected), "\(expected)")
        }
        // The registration shows with the identity, not again as a table.
        #expect(!html.contains("id=\"item-enterprise.registration\""))
        #expect(html.contains("<html lang=\"zh-CN\">"))
    }

    @Test func englishWithAcceptLanguageEn() {
        let html = Self.page.html(Self.document(), language: .en)
        for expected in ["Credit report: organisation", "disputed (filed 2026-12-01)", "fine", "general", "a consent of the subject covering real estate",
                         "needs the subject&#39;s consent", "banks", "credit approval", "Nothing on file.", "<html lang=\"en\">"] {
            #expect(html.contains(expected), "\(expected)")
        }
        #expect(!html.contains("企业信用报告"))
    }

    /// The footer names the receipt's signature and the hash of the file it covers by the partner's
    /// suite: Ed25519 over SHA-256 by default, SM2 over SM3 for a partner whose contract says `sm2-sm3`.
    @Test func theFooterNamesTheSuitesSignatureAndHash() {
        var document = Self.document()
        let ed25519 = Self.page.html(document, language: .en)
        #expect(ed25519.contains("an Ed25519 signature) covers the SHA-256 digest of every byte of this file"))
        document.receiptSuite = .sm2SM3
        let sm2 = Self.page.html(document, language: .en)
        #expect(sm2.contains("an SM2 signature) covers the SM3 digest of every byte of this file") && !sm2.contains("SHA-256 digest"))
        #expect(Self.page.html(document, language: .zh).contains("SM2 签名）包含本文件全部字节的 SM3 摘要"))
    }

    /// Values are escaped by Mustache; the file has no script, no link, no image and no address to
    /// fetch, and a policy that forbids fetching anything.
    @Test func valuesAreEscapedAndTheFileFetchesNothing() {
        let hostile = #"<script>alert("x")</script><img src="https://evil.example/x.png">&"#
        let html = Self.page.html(Self.document(violation: hostile), language: .zh)
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        #expect(html.contains(#"content="default-src 'none'; style-src 'unsafe-inline'""#))
        let plain = Self.page.html(Self.document(), language: .zh)
        for fetching in [" src=", " href=", "url(", "@import", "<link", "<iframe", "<object", "<script"] {
            #expect(!plain.contains(fetching), "\(fetching)")
        }
    }

    /// Every field and enum value of the shipped catalog has a name in both languages.
    @Test func everyCatalogFieldAndValueIsNamed() {
        for item in Self.policies.catalog.items {
            for field in item.fields {
                #expect(ReportVocabulary.fields[field.name] != nil, "\(item.id).\(field.name)")
                for value in field.values {
                    #expect(ReportVocabulary.values["\(field.name).\(value)"] != nil || ["A", "B", "M", "C", "D"].contains(value), "\(field.name).\(value)")
                }
            }
        }
    }

    @Test func aPersonsReportSaysScoresCoverOrganisations() {
        var document = Self.document()
        document.subject = .init(kind: .person, label: "110105********002X", name: "李*")
        document.summary = .init(score: nil, noScore: .person, featuresPresent: nil, featuresOf: nil, glance: [])
        let html = Self.page.html(document, language: .zh)
        #expect(html.contains("个人信用报告") && html.contains("评分仅适用于企业等组织") && html.contains("110105********002X"))
    }

    @Test func theAcceptHeaderChoosesTheFormat() {
        let cases: [(String?, ReportFormat?)] = [
            (nil, .html), ("", .html), ("*/*", .html), ("text/html", .html), ("application/pdf", .pdf), ("application/json", .json),
            ("application/*", .pdf), ("text/*;q=0.5, application/pdf", .pdf), ("application/pdf;q=0.4, text/html;q=0.9", .html),
            ("application/json, */*;q=0.1", .json), ("image/png", nil), ("text/html;q=0", nil), ("*/*;q=0", nil),
            ("application/pdf;q=0, */*", .html), ("garbage", nil), ("TEXT/HTML", .html),
        ]
        for (accept, format) in cases {
            #expect(ReportFormat.negotiate(accept: accept) == format, "\(accept ?? "nil")")
        }
    }

    @Test func acceptLanguageChoosesEnglishOnlyWhenPreferred() {
        let cases: [(String?, ReportLanguage)] = [
            (nil, .zh), ("en", .en), ("en-GB", .en), ("zh-CN,zh;q=0.9,en;q=0.8", .zh), ("en;q=0.8, zh;q=0.5", .en), ("fr, en;q=0.5", .en),
            ("fr", .zh), ("en;q=0", .zh), ("*", .zh), (";;;,", .zh), ("zh;q=0.5, en;q=0.5", .zh),
        ]
        for (header, language) in cases {
            #expect(ReportLanguage.negotiate(acceptLanguage: header) == language, "\(header ?? "nil")")
        }
    }

    @Test func aReportsJSONReadsBackAsTheSameDocument() throws {
        let document = Self.document()
        let read = try ReportDocument.read(json: document.json(), catalog: Self.policies.catalog)
        #expect(read == document)
    }

    /// A saved query answer renders too, saying what it lacks.
    @Test func aQueryAnswerReadsAsAReportWithoutSummaryOrHistory() throws {
        let answer = #"""
        {"contract_version":"bank.icbc_jiangsu@2026-11-01.1#d43494479d38","disclosed":[
          {"item":"enterprise.registration","on_file":true,"records":[{"name":"南京示例科技有限公司","org_type":"enterprise","disputed":true,"dispute":{"id":"dp_1","filed":"2026-12-01","deadline":"2026-12-21"}}]},
          {"item":"enterprise.penalty","on_file":false,"records":[]}],
         "partner":"bank.icbc_jiangsu","purpose":"credit_approval","request_id":"r-9",
         "withheld":[{"item":"market.tax_paid","reason":"consent_missing","unlock":{"consent":{"item":"market.tax_paid","purpose":"credit_approval"}},"unlock_text":"…"}]}
        """#
        let document = try ReportDocument.read(json: Data(answer.utf8), catalog: Self.policies.catalog)
        #expect(document.madeFrom == "query_answer" && document.subject.name == "南京示例科技有限公司" && document.summary == nil)
        #expect(document.disclosed[0].records[0].disputed && document.disclosed[0].records[0].disputeFiled == "2026-12-01")
        #expect(document.disclosed[0].records[0].fields["disputed"] == nil)
        #expect(document.withheld.map(\.reason) == [.consentMissing])
        let html = Self.page.html(document, language: .zh)
        #expect(html.contains("credit-broker report render") && html.contains("不含查询记录") && html.contains("异议中（2026-12-01 提出）"))

        #expect(throws: ReportDocument.ReadError.self) { try ReportDocument.read(json: Data(#"{"request_id":"r"}"#.utf8), catalog: Self.policies.catalog) }
        #expect(throws: ReportDocument.ReadError.self) { try ReportDocument.read(json: Data("[1]".utf8), catalog: Self.policies.catalog) }
        #expect(throws: ReportDocument.ReadError.self) { try ReportDocument.read(json: Data(#"{"format":"credit-report/9"}"#.utf8), catalog: Self.policies.catalog) }
    }
}
