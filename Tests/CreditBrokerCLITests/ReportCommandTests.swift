import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `credit-broker report render`: a saved answer printed offline, as a bank that archives answers
/// would print one later.
@Suite struct ReportCommandTests {
    static let root = Repository.root
    static let policies = ["--catalog", root.appending(path: "Policies/catalog.yaml").path, "--policies", root.appending(path: "Policies").path]

    /// A query answer saved with its headers (`curl -si`).
    static let answer = """
        HTTP/2 200\r
        content-type: application/json\r
        broker-receipt: e30.e30\r
        \r
        {"contract_version":"bank.icbc_jiangsu@2026-11-01.1#d43494479d38","disclosed":[\
        {"item":"enterprise.registration","on_file":true,"records":[{"name":"南京示例科技有限公司","org_type":"enterprise","legal_representative_id":"110105********002X","established_on":"2015-03-01"}]},\
        {"item":"enterprise.penalty","on_file":true,"records":[{"decision_no":"罚-PEN-7","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"general","disputed":true}]}],\
        "partner":"bank.icbc_jiangsu","purpose":"credit_approval","request_id":"r-42",\
        "withheld":[{"item":"market.tax_paid","reason":"consent_missing","unlock":{"consent":{"item":"market.tax_paid","purpose":"credit_approval"}},"unlock_text":"a consent"}]}
        """

    @Test func aSavedQueryAnswerRendersToHTMLAndPDF() async throws {
        let folder = TestPostgres.temporaryFolder()
        try Self.answer.write(toFile: folder + "/answer.http", atomically: true, encoding: .utf8)
        let html = try await ChildProcess.start(CommandLineTests.binary, ["report", "render", folder + "/answer.http", "--out", folder + "/r.html"] + Self.policies).wait()
        #expect(html.status == 0 && html.output.contains("organisation report, request r-42"), "\(html.output)")
        let page = try String(contentsOfFile: folder + "/r.html", encoding: .utf8)
        for expected in ["企业信用报告", "南京示例科技有限公司", "罚-PEN-7", "5,000", "异议中（数据来源标注）", "纳税与开票", "credit-broker report render"] {
            #expect(page.contains(expected), "\(expected)")
        }
        let pdf = try await ChildProcess.start(CommandLineTests.binary, [
            "report", "render", folder + "/answer.http", "--out", folder + "/r.pdf", "--lang", "en",
        ] + Self.policies).wait()
        #expect(pdf.status == 0, "\(pdf.output)")
        let text = try await ChildProcess.run("/usr/bin/pdftotext", [folder + "/r.pdf", "-"])
        #expect(text.contains("Credit report: organisation") && text.contains("罚-PEN-7"), "\(text.prefix(1_000))")
    }

    /// A report's own JSON printed offline says that its receipt covers the JSON, not the printout.
    @Test func aSavedReportPrintedOfflineSaysItsReceiptCoversTheJSON() async throws {
        let folder = TestPostgres.temporaryFolder()
        let report = #"{"format":"credit-report/1","request_id":"r-7","partner":"bank.icbc_jiangsu","contract_version":"v","purpose":"credit_approval","issued_at":"2026-12-05T08:40:11Z","subject":{"kind":"organisation","label":"91350100M000100Y43"},"disclosed":[],"withheld":[]}"#
        try report.write(toFile: folder + "/report.json", atomically: true, encoding: .utf8)
        let html = try await ChildProcess.start(CommandLineTests.binary, ["report", "render", folder + "/report.json", "--out", folder + "/r.html"] + Self.policies).wait()
        #expect(html.status == 0, "\(html.output)")
        let page = try String(contentsOfFile: folder + "/r.html", encoding: .utf8)
        #expect(page.contains("其回执针对该 JSON 应答，而非本文件") && !page.contains("包含本文件全部字节的 SHA-256"))
    }

    @Test func badInputIsNamed() async throws {
        let folder = TestPostgres.temporaryFolder()
        try #"{"request_id":"r-1"}"#.write(toFile: folder + "/odd.json", atomically: true, encoding: .utf8)
        let odd = try await ChildProcess.start(CommandLineTests.binary, ["report", "render", folder + "/odd.json", "--out", folder + "/x.html"] + Self.policies).wait()
        #expect(odd.status != 0 && odd.output.contains("odd.json: neither a credit report"), "\(odd.output)")
        let format = try await ChildProcess.start(CommandLineTests.binary, ["report", "render", folder + "/odd.json", "--out", folder + "/x.txt"] + Self.policies).wait()
        #expect(format.status != 0 && format.output.contains("give --format html or pdf"), "\(format.output)")
        let language = try await ChildProcess.start(CommandLineTests.binary, [
            "report", "render", folder + "/odd.json", "--out", folder + "/x.html", "--lang", "fr",
        ] + Self.policies).wait()
        #expect(language.status != 0 && language.output.contains("--lang must be zh or en"), "\(language.output)")
    }
}
