import ArgumentParser
import BrokerCore
import Foundation
import Reports

/// Renders the credit report of a subject with `records` records (penalties, licences and monthly
/// tax lines, a tenth of the penalties disputed) to HTML and to PDF with the real renderer
/// (headless Chromium) as the gateway runs it: a pool of one warm browser, run as the broker's
/// service runs it. Beside it, a report of one record (the floor of any PDF on a warm browser) and
/// the same 500 records on a browser started for the render (the start-up and warm-up a render
/// saves). The target: under 2 s for 500 records.
struct ReportBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Seconds to render a credit report of 500 records as HTML and PDF (target < 2 s).")

    @Option(help: "Records in the report.")
    var records = 500
    @Option(help: "Timed runs of each; the median is reported.")
    var runs = 7
    @Option(help: "The PDF renderer program.")
    var renderer = "chromium"
    @Option(help: "Also write the report's HTML (Chinese) to this file, to profile the renderer on its own.")
    var saveHTML: String?

    func run() async throws {
        let root = URL(filePath: FileManager.default.currentDirectoryPath)
        func file(_ path: String) throws -> (file: String, text: String) {
            (path, try String(contentsOf: root.appending(path: path), encoding: .utf8))
        }
        let policies = try PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
            purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
        )
        let page = ReportPage(catalog: policies.catalog, purposes: policies.purposes)
        let pdf = PDFRenderer(.init(program: renderer, concurrency: 1, timeout: .seconds(120)))
        let large = Self.document(records: records)
        let small = Self.document(records: 1)

        func measure(_ body: () async throws -> Int) async throws -> (seconds: Double, bytes: Int) {
            var seconds: [Double] = []
            var bytes = 0
            _ = try await body()  // warm-up (font caches, the binary in the page cache)
            for _ in 0..<runs {
                let start = ContinuousClock.now
                bytes = try await body()
                let elapsed = ContinuousClock.now - start
                seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            }
            return (BenchmarkTimer.median(seconds), bytes)
        }
        if let saveHTML {
            try page.html(large, language: .zh).write(toFile: saveHTML, atomically: true, encoding: .utf8)
        }
        print("load average before: \(Self.loadAverage())")
        let htmlSmall = try await measure { page.html(small, language: .zh).utf8.count }
        let htmlLarge = try await measure { page.html(large, language: .zh).utf8.count }
        // The pool's service starts (and warms) its browser only now, so that it does not compete
        // with the HTML timings (in the gateway it starts with the gateway, long before a request).
        let pool = Task { try await pdf.run() }
        defer { pool.cancel() }
        let pdfSmall = try await measure { try await pdf.render(html: page.html(small, language: .zh)).count }
        let pdfLarge = try await measure { try await pdf.render(html: page.html(large, language: .zh)).count }
        let pdfLargeEnglish = try await measure { try await pdf.render(html: page.html(large, language: .en)).count }
        let pdfLargeCold = try await measure {
            let cold = PDFRenderer(.init(program: renderer, concurrency: 1, timeout: .seconds(120)))
            let bytes = try await cold.render(html: page.html(large, language: .zh)).count
            await cold.close()
            return bytes
        }
        pool.cancel()
        _ = await pool.result
        func line(_ name: String, _ figure: (seconds: Double, bytes: Int)) -> String {
            "  \(name): \(String(format: "%.3f", figure.seconds)) s median of \(runs), \(figure.bytes) bytes"
        }
        print("""
            report of \(records) records, \(runs) runs each (release build):
            \(line("HTML, 1 record (baseline)", htmlSmall))
            \(line("HTML, \(records) records", htmlLarge))
            \(line("PDF, 1 record (warm browser: the floor of any PDF)", pdfSmall))
            \(line("PDF, \(records) records, Chinese", pdfLarge))
            \(line("PDF, \(records) records, English", pdfLargeEnglish))
            \(line("PDF, \(records) records, Chinese, on a browser started for it", pdfLargeCold))
            target: PDF of \(records) records under 2 s: \(pdfLarge.seconds < 2 && pdfLargeEnglish.seconds < 2 ? "met" : "NOT met")
            load average after: \(Self.loadAverage())
            """)
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }

    /// A company's report with `records` records: 40 % penalties, 20 % licences, 40 % monthly tax lines.
    static func document(records count: Int) -> ReportDocument {
        let today = CivilDate(year: 2026, month: 12, day: 5)!
        var penalties: [ReportDocument.Record] = []
        var licences: [ReportDocument.Record] = []
        var taxes: [ReportDocument.Record] = []
        for index in 0..<count {
            switch index % 5 {
            case 0, 1:
                let filed = today.adding(days: -(index % 17))
                penalties.append(.init(
                    fields: [
                        "decision_no": .string("宁市监罚〔2026〕\(1000 + index)号"), "authority": .string("南京市市场监督管理局"),
                        "violation": .string("发布虚假广告，对商品的性能、功能作虚假宣传"), "penalty_type": .string(index % 3 == 0 ? "fine" : "warning"),
                        "amount": .decimal(Double(5_000 + index * 37)), "severity": .string(["minor", "general", "serious"][index % 3]),
                    ],
                    decisionDate: today.adding(days: -index), publicityStart: nil, publicityEnd: nil, disputed: index % 10 == 0,
                    dispute: index % 10 == 0
                        ? .object(["id": .string("dp_\(index)"), "filed": .string(filed.description), "deadline": .string(filed.adding(days: 20).description)])
                        : nil,
                    subjectStatement: nil
                ))
            case 2:
                licences.append(.init(
                    fields: [
                        "licence_no": .string("JY\(32_010_000 + index)"), "licence_name": .string("食品经营许可证"),
                        "authority": .string("南京市玄武区市场监督管理局"), "valid_from": .string("2024-01-01"), "valid_to": .string("2029-12-31"),
                    ],
                    decisionDate: nil, publicityStart: today.adding(days: -400), publicityEnd: today.adding(days: 1_400), disputed: false,
                    dispute: nil, subjectStatement: nil
                ))
            default:
                let month = today.adding(months: -(index / 5))
                taxes.append(.init(
                    fields: [
                        "period": .string(String(month.description.prefix(7))), "tax_paid": .decimal(Double(12_000 + index * 11)),
                        "invoice_amount": .decimal(Double(180_000 + index * 97)), "invoice_count": .int(Int64(40 + index % 30)), "arrears": .int(0),
                    ],
                    decisionDate: nil, publicityStart: nil, publicityEnd: nil, disputed: false, dispute: nil, subjectStatement: nil
                ))
            }
        }
        let registration = ReportDocument.Record(
            fields: [
                "name": .string("南京示例科技有限公司"), "org_type": .string("enterprise"), "legal_representative": .string("张**"),
                "legal_representative_id": .string("110105********002X"), "registered_capital": .decimal(500), "established_on": .string("2015-03-01"),
                "address": .string("江苏省南京市玄武区****"), "industry": .string("软件和信息技术服务业"), "operating_status": .string("active"),
            ],
            decisionDate: nil, publicityStart: nil, publicityEnd: nil, disputed: false, dispute: nil, subjectStatement: nil
        )
        let disclosed: [ReportDocument.DisclosedItem] = [
            .init(item: "enterprise.registration", records: [registration]),
            .init(item: "enterprise.penalty", records: penalties),
            .init(item: "enterprise.licence", records: licences),
            .init(item: "market.tax_paid", records: taxes),
            .init(item: "enterprise.dishonest_debtor", records: []),
        ]
        return ReportDocument(
            requestID: "bench-0001", partner: "bank.icbc_jiangsu", partnerName: "中国工商银行股份有限公司江苏省分行",
            contractVersion: "bank.icbc_jiangsu@2026-11-01.1#d43494479d38", purpose: "credit_approval", consentID: "cs_0001",
            issuedAt: today.start().addingTimeInterval(9 * 3_600),
            subject: .init(kind: .organisation, label: "91320102MA1X00418Q", name: "南京示例科技有限公司"),
            summary: .init(
                score: .init(
                    score: 612, grade: "BBB", probabilityOfDefault: 0.034, modelVersion: "sme-lending-v3.1", modelSegment: "market_data",
                    declined: nil,
                    reasons: [
                        .init(code: "R07", zh: "近三年行政处罚 \(penalties.count) 次", en: "\(penalties.count) penalties in three years", pointsLost: 41.5),
                        .init(code: "R12", zh: "纳税额下降", en: "tax paid falling", pointsLost: 12.25),
                    ]
                ),
                noScore: nil, featuresPresent: 9, featuresOf: 10,
                glance: [
                    .init(item: "enterprise.penalty", withheld: false, records: penalties.count, disputed: penalties.count { $0.disputed }, amount: 1e6),
                    .init(item: "enterprise.dishonest_debtor", withheld: false, records: 0, disputed: 0, amount: nil),
                    .init(item: "enterprise.black_list", withheld: true, records: 0, disputed: 0, amount: nil),
                ]
            ),
            disclosed: disclosed,
            withheld: [.init(item: "market.real_estate", reason: .consentMissing, unlock: .consent(item: "market.real_estate", purpose: "credit_approval"))],
            queryHistory: .init(
                from: today.adding(months: -24).adding(days: 1), to: today,
                groups: [.init(partnerKind: "bank", purpose: "credit_approval", queries: 12, partners: 3, last: today.adding(days: -2))],
                streams: [.init(partnerKind: "joint_credit", stream: "changes", deliveries: 40, days: 12, partners: 1)]
            ),
            receiptKeySHA256: String(repeating: "ab", count: 32)
        )
    }
}
