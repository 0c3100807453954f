import BrokerCore
import BrokerStore
import ChildProcesses
import Crypto
import Foundation
import Gateway
import NIOHTTP1
import Reports
import TestSupport
import Testing

/// `POST /v1/reports` end to end over real TLS and a real PostgreSQL, printed by the real renderer
/// (Debian's headless Chromium): a company's and a person's report in HTML and PDF, Chinese and
/// English; `pdftotext` of the PDF holds every disclosed record's key fields and none of the
/// withheld items' values, and no clear ID number; the receipt verifies against the saved file
/// with the real command and fails on a changed byte; a renderer that hangs or fails is a 503 and
/// gives the quota unit back.
@Suite(.serialized) struct ReportEndToEndTests {
    static let company = FeedLines.company(51)
    static let person = FeedLines.person
    /// The values of the withheld items: none may appear in any report.
    static let withheldValues = ["12,000", "苏(2025)南京市不动产权第0099999号", "9,900,000", "13812345678", "138****5678"]

    static var feed: [String] {
        [
            FeedLines.registration(company, id: "REG-51"),
            FeedLines.penalty(company, id: "PEN-51", age: 30),
            FeedLines.penalty(company, id: "PEN-52", severity: "serious", age: 60),
            #"{"type":"record","item":"enterprise.dishonest_debtor","subject":"\#(company)","source_record_id":"DD-51","decision_date":"\#(FeedLines.day(-20))","fields":{"case_no":"(2026)苏01执51号","court":"南京市中级人民法院","obligation":"支付货款","amount":230000}}"#,
            FeedLines.personDebtor(id: "PD-1"),
            FeedLines.personContact(id: "PC-1"),
        ]
    }

    /// The public platform's lines, then the tax and real-estate providers' (each item from its own source).
    static func ingest(_ gateway: TestGateway) async throws {
        try await gateway.ingest(feed)
        try await gateway.ingest([FeedLines.taxPaid(company, id: "TAX-51")], source: "sushu_tax")
        try await gateway.ingest([
            #"{"type":"record","item":"market.real_estate","subject":"\#(company)","source_record_id":"RE-51","fields":{"certificate_no":"苏(2025)南京市不动产权第0099999号","location":"江苏省南京市玄武区中山路1号","area_m2":880,"assessed_value":9900000,"mortgaged":true}}"#,
        ], source: "jiangsu_property")
    }

    func json(_ fields: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: fields) }

    func text(_ reply: TestGateway.Reply) -> String { String(decoding: reply.body, as: UTF8.self) }

    func report(
        _ gateway: TestGateway, _ body: [String: Any], accept: String?, language: String? = nil, as partner: String = TestGateway.bank
    ) async throws -> TestGateway.Reply {
        var headers: [String: String] = [:]
        if let accept { headers["Accept"] = accept }
        if let language { headers["Accept-Language"] = language }
        return try await gateway.request(
            .POST, "/v1/reports", identity: gateway.identity(of: partner), headers: headers, body: json(body), timeout: .seconds(120)
        )
    }

    /// The text of a PDF as `pdftotext` reads it.
    static func pdftotext(_ pdf: Data) async throws -> String {
        let folder = TestPostgres.temporaryFolder()
        try pdf.write(to: URL(filePath: folder + "/report.pdf"))
        return try await ChildProcess.run("/usr/bin/pdftotext", [folder + "/report.pdf", "-"])
    }

    /// Without white space, so that a value a table cell wrapped over two lines still matches.
    static func squeezed(_ text: String) -> String { String(text.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }) }

    /// The key fields of every disclosed record in the report's JSON: its text fields as they are,
    /// its amounts with thousands separators.
    static func keyFields(of document: ReportDocument, catalog: Catalog) -> [String] {
        document.disclosed.flatMap { item in
            item.records.flatMap { record in
                record.fields.compactMap { name, value -> String? in
                    guard let field = catalog.item(item.item)?.field(name), field.type != .enum, field.type != .bool else { return nil }
                    switch value {
                    case .string(let text): return text
                    case .int(let number): return Self.grouped(number)
                    case .decimal(let number) where number == number.rounded(): return Self.grouped(Int64(number))
                    default: return nil
                    }
                }
            }
        }
    }

    static func grouped(_ number: Int64) -> String {
        let digits = Array(String(number))
        return String(digits.enumerated().flatMap { index, digit in index > 0 && (digits.count - index) % 3 == 0 ? [",", digit] : [digit] })
    }

    /// The portal files a dispute on PEN-52; a bank and another bank query the company first, for
    /// the query history.
    func prepare(_ gateway: TestGateway) async throws {
        try await Self.ingest(gateway)
        let dispute = try await gateway.request(
            .POST, "/v1/portal/disputes", identity: gateway.identity(of: TestGateway.portal), body: json([
                "subject": Self.company, "record": ["source": "jiangsu_public_credit", "source_record_id": "PEN-52"], "reason": "处罚已撤销",
            ])
        )
        #expect(dispute.status == 201, "\(text(dispute))")
        for bank in [TestGateway.bank, TestGateway.otherBank] {
            let query = try await gateway.request(.POST, "/v1/queries", identity: gateway.identity(of: bank), body: json([
                "subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.penalty"],
            ]))
            #expect(query.status == 200, "\(text(query))")
        }
    }

    /// Also the renderer pool's metrics on the operations listener: its two browsers started warm
    /// with the gateway, two PDFs rendered on them and none started for a render.
    @Test func aCompanysReportInBothFormatsAndLanguagesOverTLS() async throws {
        try await TestGateway.run(renderer: .init(concurrency: 2, timeout: .seconds(60))) { gateway in
            try await prepare(gateway)
            let body: [String: Any] = ["subject": Self.company, "purpose": "credit_approval"]
            let key = try ReceiptVerifier(publicKeyPEM: String(decoding: try await gateway.request(.GET, "/v1/receipt-key").body, as: UTF8.self))

            // The report as data: what was decided, and the key fields every rendering must show.
            let data = try await report(gateway, body, accept: "application/json")
            #expect(data.status == 200, "\(text(data))")
            #expect(data.headers.first(name: "Content-Type") == "application/json")
            let document = try JSONDecoder().decode(ReportDocument.self, from: data.body)
            #expect(document.subject.label == Self.company && document.subject.name == "南京示例科技有限公司")
            // The footer names the key that verifies the receipt: the SHA-256 of the DER of the bank's
            // suite's key (GET /v1/receipt-key serves both suites' keys; this bank's contract says ed25519).
            let pem = String(decoding: try await gateway.request(.GET, "/v1/receipt-key?suite=ed25519").body, as: UTF8.self)
            let der = Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined())!
            #expect(document.receiptKeySHA256 == SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined())
            let disclosed = Dictionary(uniqueKeysWithValues: document.disclosed.map { ($0.item, $0) })
            #expect(disclosed["enterprise.penalty"]?.records.map { $0.fields["decision_no"] } == [.string("罚-PEN-51"), .string("罚-PEN-52")])
            #expect(disclosed["enterprise.penalty"]?.records.map(\.disputed) == [false, true])
            #expect(disclosed["enterprise.penalty"]?.records[1].disputeFiled == CivilDate.today().description)
            #expect(disclosed["enterprise.dishonest_debtor"]?.records.count == 1)
            #expect(Set(document.withheld.map(\.item)).isSuperset(of: ["market.tax_paid", "market.real_estate"]))
            #expect(document.withheld.first { $0.item == "market.real_estate" }?.reason == .consentMissing)
            let penalties = try #require(document.summary?.glance.first { $0.item == "enterprise.penalty" })
            #expect(penalties.records == 2 && penalties.disputed == 1 && penalties.amount == 10_000 && !penalties.withheld)
            #expect(document.summary?.score != nil || document.summary?.noScore == .insufficientData)
            // Who queried the company: two banks' queries, and the portal's call for the dispute.
            let history = try #require(document.queryHistory)
            #expect(history.groups.first { $0.partnerKind == "bank" && $0.purpose == "credit_approval" }.map { ($0.queries, $0.partners) } ?? (0, 0) == (2, 2))
            #expect(history.groups.contains { $0.partnerKind == "portal" && $0.purpose == "subject_rights" })
            let keyFields = Self.keyFields(of: document, catalog: gateway.policies.catalog)
            #expect(keyFields.contains("罚-PEN-52") && keyFields.contains("(2026)苏01执51号") && keyFields.contains("230,000"))

            for (accept, language, tag) in [("text/html", nil, "zh-CN"), ("text/html", "en", "en"), ("application/pdf", nil, "zh-CN"), ("application/pdf", "en-GB,en;q=0.9", "en")] {
                let reply = try await report(gateway, body, accept: accept, language: language)
                #expect(reply.status == 200, "\(accept) \(tag): \(text(reply).prefix(500))")
                #expect(reply.headers.first(name: "Content-Type")?.hasPrefix(accept) == true)
                #expect(reply.headers.first(name: "Content-Language") == tag)
                #expect(reply.headers.first(name: "Cache-Control") == "no-store")
                let receipt = try key.verify(token: try #require(reply.headers.first(name: Receipt.headerName)), body: reply.body)
                #expect(Set(receipt.itemsDisclosed) == Set(document.disclosed.map(\.item)))
                let shown = accept == "application/pdf" ? try await Self.pdftotext(reply.body) : text(reply)
                let squeezed = Self.squeezed(shown)
                for field in keyFields { #expect(squeezed.contains(Self.squeezed(field)), "\(accept) \(tag) lacks \(field)") }
                for value in Self.withheldValues { #expect(!squeezed.contains(Self.squeezed(value)), "\(accept) \(tag) shows \(value)") }
                #expect(!shown.contains(Self.person), "a clear ID number in the \(accept) \(tag) report")
                #expect(squeezed.contains("110105********002X"))
                #expect(squeezed.contains(tag == "en" ? "Creditreport:organisation" : "企业信用报告"))
                #expect(squeezed.contains(tag == "en" ? "disputed(filed" : "异议中（"))
            }
            let metrics = try await gateway.metrics()
            for line in [
                #"credit_broker_report_renders_total{outcome="rendered"} 2"#, #"credit_broker_report_browsers_started_total{reason="warm"} 2"#,
                "credit_broker_report_render_duration_seconds_count 2", "credit_broker_report_render_wait_seconds_count 2",
                "credit_broker_report_renders_waiting 0.0",
            ] {
                #expect(metrics.contains(line), "\(line) in \(metrics.split(separator: "\n").filter { $0.contains("report_") })")
            }
            #expect(!metrics.contains("first_use") && !metrics.contains(#"outcome="failed""#))
        }
    }

    /// The receipt of a saved PDF verifies with the real command against the file and the headers
    /// saved beside it, and fails when one byte of the file changes.
    @Test func theReceiptVerifiesTheSavedFileAndFailsOnAChangedByte() async throws {
        try await TestGateway.run { gateway in
            try await Self.ingest(gateway)
            let reply = try await report(gateway, ["subject": Self.company, "purpose": "credit_approval"], accept: "application/pdf")
            #expect(reply.status == 200, "\(text(reply).prefix(300))")
            let folder = URL(filePath: TestPostgres.temporaryFolder())
            let token = try #require(reply.headers.first(name: Receipt.headerName))
            try Data("HTTP/2 200\r\ncontent-type: application/pdf\r\nbroker-receipt: \(token)\r\n\r\n".utf8).write(to: folder.appending(path: "report.headers"))
            try reply.body.write(to: folder.appending(path: "report.pdf"))
            try (try await gateway.request(.GET, "/v1/receipt-key")).body.write(to: folder.appending(path: "key.pem"))
            func verify(_ file: String) async throws -> (status: Int32, output: String) {
                try await ChildProcess.start(CommandLineBinary.path, [
                    "receipts", "verify", folder.appending(path: file).path, "--headers", folder.appending(path: "report.headers").path,
                    "--key", folder.appending(path: "key.pem").path,
                ]).wait()
            }
            let verified = try await verify("report.pdf")
            #expect(verified.status == 0 && verified.output.contains("receipt OK"), "\(verified.output)")
            #expect(verified.output.contains("enterprise.penalty"), "\(verified.output)")
            var changed = reply.body
            changed[changed.count / 2] ^= 0x01
            try changed.write(to: folder.appending(path: "changed.pdf"))
            let refused = try await verify("changed.pdf")
            #expect(refused.status != 0 && refused.output.contains("INVALID") && refused.output.contains("SHA-256"), "\(refused.output)")
        }
    }

    /// A person's report, with a consent for the dishonest-debtor listing: the name and ID number
    /// masked, the contact data withheld (no partner gets it), no score.
    @Test func aPersonsReportInBothFormatsAndLanguages() async throws {
        try await TestGateway.run { gateway in
            try await Self.ingest(gateway)
            let consent = try await gateway.request(.POST, "/v1/consents", identity: gateway.identity(of: TestGateway.bank), body: json([
                "subject": Self.person, "purposes": ["credit_approval"], "items": ["person.dishonest_debtor"],
                "valid_from": CivilDate.today().description, "valid_to": CivilDate.today().adding(days: 30).description,
                "use_limit": "unlimited", "document_digest": String(repeating: "5e", count: 32),
            ]))
            #expect(consent.status == 201, "\(text(consent))")
            let body: [String: Any] = ["subject": Self.person, "purpose": "credit_approval", "consent_id": consent.json["id"] as? String ?? ""]
            let data = try await report(gateway, body, accept: "application/json")
            let document = try JSONDecoder().decode(ReportDocument.self, from: data.body)
            #expect(document.subject.kind == .person && document.subject.label == "110105********002X" && document.subject.name == "李*")
            #expect(document.disclosed.map(\.item) == ["person.dishonest_debtor"])
            #expect(document.withheld.first { $0.item == "person.contact" }?.reason == .noSharing)
            #expect(document.summary?.noScore == .person && document.consentID == consent.json["id"] as? String)
            let keyFields = Self.keyFields(of: document, catalog: gateway.policies.catalog)
            #expect(keyFields.contains("(2026)苏01执PD-1") && keyFields.contains("80,000"))

            for (accept, language) in [("text/html", nil), ("text/html", "en"), ("application/pdf", nil), ("application/pdf", "en")] {
                let reply = try await report(gateway, body, accept: accept, language: language)
                #expect(reply.status == 200, "\(accept): \(text(reply).prefix(500))")
                let shown = accept == "application/pdf" ? try await Self.pdftotext(reply.body) : text(reply)
                let squeezed = Self.squeezed(shown)
                for field in keyFields { #expect(squeezed.contains(Self.squeezed(field)), "\(accept) lacks \(field)") }
                for value in Self.withheldValues + [Self.person, "李四"] { #expect(!squeezed.contains(value), "\(accept) shows \(value)") }
                #expect(squeezed.contains(language == nil ? "个人信用报告" : "Creditreport:person"))
            }
        }
    }

    /// A renderer that hangs is stopped at the timeout: 503, the quota unit given back, its
    /// processes gone. One that fails is a 503 too. HTML needs no renderer and is billed.
    @Test func aHangingOrFailingRendererIs503AndGivesTheQuotaUnitBack() async throws {
        let folder = TestPostgres.temporaryFolder()
        let hanging = folder + "/hanging-renderer"
        try "#!/bin/sh\nsleep 300 &\necho $! > \(folder)/helper.pid\nwait\n".write(toFile: hanging, atomically: true, encoding: .utf8)
        chmod(hanging, 0o755)
        try await TestGateway.run(renderer: .init(program: hanging, concurrency: 1, timeout: .seconds(2))) { gateway in
            try await Self.ingest(gateway)
            let bank = try gateway.identity(of: TestGateway.bank)
            func used() async throws -> Int {
                let usage = try await gateway.request(.GET, "/v1/usage", identity: bank)
                return (usage.json["quota_today"] as? [String: Any])?["used"] as? Int ?? -1
            }
            let before = try await used()
            let body: [String: Any] = ["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.penalty"]]
            let hung = try await report(gateway, body, accept: "application/pdf")
            #expect(hung.status == 503 && hung.json["type"] as? String == Problem.typeBase + "report-renderer-unavailable", "\(text(hung))")
            #expect(hung.headers.first(name: "Retry-After") == "5" && hung.headers.first(name: Receipt.headerName) == nil)
            #expect(try await used() == before, "the quota unit is given back")
            let helper = try #require(Int32(String(contentsOfFile: folder + "/helper.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(helper, 0) != 0 || (try? String(contentsOfFile: "/proc/\(helper)/stat", encoding: .utf8))?.contains(") Z ") == true)
            let page = try await report(gateway, body, accept: "text/html")
            #expect(page.status == 200)
            #expect(try await used() == before + 1, "an HTML report is billed")
            #expect(try await gateway.metrics().contains(#"credit_broker_report_renders_total{outcome="timed_out"} 1"#))
        }
        let failing = folder + "/failing-renderer"
        try "#!/bin/sh\nexit 1\n".write(toFile: failing, atomically: true, encoding: .utf8)
        chmod(failing, 0o755)
        try await TestGateway.run(renderer: .init(program: failing, timeout: .seconds(20))) { gateway in
            let reply = try await report(gateway, ["subject": Self.company, "purpose": "credit_approval"], accept: "application/pdf")
            #expect(reply.status == 503 && reply.json["type"] as? String == Problem.typeBase + "report-renderer-unavailable", "\(text(reply))")
            let events = try await gateway.pool.query("SELECT http_status FROM meter_events WHERE endpoint = 'POST /v1/reports'")
            #expect(try events.map { try $0.decode(Int.self, at: 0) } == [503])
            #expect(try await gateway.metrics().contains(#"credit_broker_report_renders_total{outcome="failed"} 1"#))
        }
    }

    /// Reports are for banks and agencies; an Accept the broker cannot serve is 406; problems name
    /// the field and never echo the subject.
    @Test func whoMayAskAndWhatMayBeAccepted() async throws {
        try await TestGateway.run { gateway in
            let body: [String: Any] = ["subject": Self.company, "purpose": "credit_approval"]
            let joint = try await report(gateway, ["subject": Self.company, "purpose": "change_feed"], accept: nil, as: TestGateway.jointCredit)
            #expect(joint.status == 403 && joint.json["type"] as? String == Problem.typeBase + "report-not-permitted", "\(text(joint))")
            let png = try await report(gateway, body, accept: "image/png")
            #expect(png.status == 406 && png.json["field"] as? String == "Accept", "\(text(png))")
            let both = try await report(gateway, body.merging(["items": ["enterprise.penalty"], "bundle": "sanctions"]) { $1 }, accept: nil)
            #expect(both.status == 400 && both.json["field"] as? String == "items", "\(text(both))")
            let wrongCheck = String(Self.company.dropLast()) + (Self.company.last == "0" ? "1" : "0")
            let bad = try await report(gateway, ["subject": wrongCheck, "purpose": "credit_approval"], accept: nil)
            #expect(bad.status == 400 && bad.json["field"] as? String == "subject" && !text(bad).contains(Self.company.prefix(12)), "\(text(bad))")
            // An agency, by its API key: its contract withholds what it does not cover.
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let agency = try await gateway.request(
                .POST, "/v1/reports", bearer: token, headers: ["Accept": "application/json"],
                body: json(["subject": Self.company, "purpose": "credit_report"])
            )
            #expect(agency.status == 200, "\(text(agency))")
            let document = try JSONDecoder().decode(ReportDocument.self, from: agency.body)
            #expect(document.partner == TestGateway.agency && document.withheld.contains { $0.reason == .notInContract })
            let refused = try await gateway.request(.POST, "/v1/reports", bearer: token, headers: ["Accept": "text/html"], body: json(body))
            #expect(refused.status == 200 && String(decoding: refused.body, as: UTF8.self).contains("合同不允许以本次查询用途获取"))
        }
    }
}
