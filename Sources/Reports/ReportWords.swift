import BrokerCore

/// The report's own sentences and headings in one language.
struct ReportWords {
    let language: ReportLanguage

    private func say(_ zh: String, _ en: String) -> String { language == .zh ? zh : en }

    /// The section headings, as the template reads them (`{{t.summary}}` …).
    var headings: [String: String] {
        [
            "identity": say("一、主体身份与登记信息", "1. Subject and registration"),
            "summary": say("二、概要", "2. Summary"),
            "disclosed": say("三、披露信息明细", "3. Disclosed records"),
            "withheld": say("四、未披露信息说明", "4. What this report does not include"),
            "history": say("五、查询记录（近两年）", "5. Query history (last two years)"),
            "footer": say("六、报告信息与回执核验", "6. About this report and its receipt"),
            "score": say("信用评分", "Score"),
            "grade": say("等级", "grade"),
            "pd": say("违约概率", "probability of default"),
            "model": say("评分卡", "scorecard"),
            "reasons": say("主要扣分原因", "Top reason codes"),
            "code": say("代码", "code"),
            "reason": say("原因", "reason"),
            "points": say("扣分", "points lost"),
            "declined": say("直接拒绝规则", "hard-decline rule"),
            "glance": say("不良信息一览", "Adverse records at a glance"),
            "item": say("信息项", "item"),
            "records": say("记录数", "records"),
            "disputed": say("异议中", "disputed"),
            "amount": say("金额合计（元）", "total amount (CNY)"),
            "why": say("未披露原因", "why it is not included"),
            "unlock": say("如何获取", "what would include it"),
            "partnerKind": say("查询机构类型", "kind of partner"),
            "purpose": say("查询用途", "purpose"),
            "queries": say("查询次数", "queries"),
            "partners": say("机构数", "partners"),
            "last": say("最近一次", "last"),
            "stream": say("推送方式", "stream"),
            "deliveries": say("推送条数", "changes delivered"),
            "days": say("天数", "days"),
            "streams": say("数据推送", "Changes delivered by stream"),
            "withheldIntro": say(
                "以下信息项未包含在本报告中。报告不说明其是否存在记录，也不包含其任何内容。",
                "These items are not in this report. The report says nothing of whether they hold records, and carries none of their contents."
            ),
            "historyIntro": say(
                "近两年离开本平台的关于该主体的应答（含查询、评分、批量复核、监测登记及主体本人的查询），按机构类型和用途汇总；不含本次报告。",
                "Answers about this subject that left the broker in the last two years (queries, scores, batch reviews, watch registrations and the subject's own calls), counted by kind of partner and purpose; this report not included."
            ),
            "confidential": say(
                "本报告仅供贵方按所述用途使用。个人信息已按合同约定的规则脱敏。",
                "This report is for your use under the stated purpose only. Personal data are masked under your contract's profile."
            ),
        ]
    }

    func title(person: Bool) -> String {
        person ? say("个人信用报告", "Credit report: person") : say("企业信用报告", "Credit report: organisation")
    }

    func subtitle(person: Bool) -> String {
        say("江苏省信易贷信用信息共享平台 · CreditBroker", "Jiangsu credit-information sharing for lending · CreditBroker")
    }

    var issuedTo: String { say("报告使用机构", "Issued to") }
    var purpose: String { say("查询用途", "Purpose") }
    var issuedAt: String { say("报告时间", "Issued") }
    var requestID: String { say("报告编号（请求号）", "Report no. (request id)") }
    var contractVersion: String { say("合同版本", "Contract version") }
    var consent: String { say("授权", "Consent") }
    var noConsent: String { say("无", "none") }
    var receiptKey: String { say("回执公钥指纹", "Receipt key fingerprint") }
    var subjectKind: String { say("主体类型", "Kind of subject") }
    var uscc: String { say("统一社会信用代码", "Unified social credit code") }
    var idNumber: String { say("证件号码（脱敏）", "ID number (masked)") }
    var name: String { say("名称 / 姓名", "Name") }
    var notDisclosed: String { say("（未披露）", "(not disclosed)") }
    var status: String { say("状态", "status") }
    var normal: String { say("正常", "on file") }
    var decisionDate: String { say("决定日期", "decision date") }
    var publicity: String { say("公示期", "publicity") }
    var nothingOnFile: String { say("无记录。", "Nothing on file.") }
    var nothingWithheld: String { say("本报告包含所查询的全部信息项。", "Every item asked for is in this report.") }
    var withheldShort: String { say("未包含在本报告中", "not in this report") }
    var noReasons: String { say("无扣分项。", "No feature cost points.") }
    var noQueries: String { say("近两年无查询记录。", "No queries in the last two years.") }
    var noSummary: String {
        say("本文件由保存的查询应答生成，应答中不含评分与不良信息概要。", "Made from a saved query answer, which carries no score or summary.")
    }
    var noHistory: String {
        say("本文件由保存的查询应答生成，应答中不含查询记录。", "Made from a saved query answer, which carries no query history.")
    }
    var offline: String {
        say(
            "本文件由 credit-broker report render 依据保存的应答离线生成，其回执针对该 JSON 应答，而非本文件。",
            "Rendered offline by credit-broker report render from a saved answer; its receipt covers that JSON answer, not this file."
        )
    }

    func kind(_ kind: SubjectKind) -> String {
        kind == .person ? say("自然人", "person") : say("企业及其他组织", "organisation")
    }

    func records(_ count: Int) -> String { say("共 \(count) 条", "\(count) record\(count == 1 ? "" : "s")") }

    func totalQueries(_ count: Int) -> String { say("合计 \(count) 次", "\(count) in all") }

    /// The status of a disputed record: with the day its dispute was filed, when known.
    func disputedText(_ record: ReportDocument.Record) -> String {
        if let filed = record.disputeFiled { return say("异议中（\(filed) 提出）", "disputed (filed \(filed))") }
        return say("异议中（数据来源标注）", "disputed (marked by its source)")
    }

    func statement(_ statement: (text: String, date: String?)) -> String {
        say("主体声明", "subject's statement") + (statement.date.map { " \($0)" } ?? "") + say("：", ": ") + statement.text
    }

    /// How the receipt of this file is checked: its signature and the hash of the file it names
    /// are the suite's (Ed25519 and SHA-256, or SM2 and SM3).
    func verify(offline: Bool, suite: ReceiptSuite) -> String {
        if offline {
            return say(
                "核验原始应答：将保存的 JSON 应答及其响应头与平台公钥（GET /v1/receipt-key）一起交给 credit-broker receipts verify。",
                "To check the original answer, give the saved JSON answer with its headers and the broker's public key (GET /v1/receipt-key) to credit-broker receipts verify."
            )
        }
        let (signature, digest) = switch suite {
        case .ed25519: ("Ed25519", "SHA-256")
        case .sm2SM3: ("SM2", "SM3")
        }
        return say(
            "本文件随附的数字回执（响应头 Broker-Receipt，\(signature) 签名）包含本文件全部字节的 \(digest) 摘要，以及请求号、机构、时间、披露项和合同版本。保存文件时请一并保存响应头，然后用平台公钥（GET /v1/receipt-key）核验；文件改动任何一个字节，核验即失败：",
            "The file's receipt (the Broker-Receipt response header, an \(signature) signature) covers the \(digest) digest of every byte of this file, with the request id, partner, time, items disclosed and contract version. Save the response headers with the file, then check them with the broker's public key (GET /v1/receipt-key); a single changed byte fails the check:"
        )
    }

    var verifyCommands: [String] {
        [
            "curl --cert … -H 'Accept: application/pdf' -D report.headers -o report.pdf https://…/v1/reports -d '{…}'",
            "curl https://…/v1/receipt-key > receipt-key.pem",
            "credit-broker receipts verify report.pdf --headers report.headers --key receipt-key.pem",
        ]
    }
}
