import BrokerCore
import Foundation

/// Feed lines (JSON Lines) for the change-feed and watchlist tests, dated relative to today.
enum FeedLines {
    static let person = "11010519491231002X"

    /// A valid organisation code, one per `number`.
    static func company(_ number: Int) -> String {
        try! UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: String(format: "MA1X%04d", number)).rawValue
    }

    static func day(_ offset: Int) -> String { CivilDate.today().adding(days: offset).description }

    static func registration(_ subject: String, id: String, name: String = "南京示例科技有限公司") -> String {
        #"{"type":"record","item":"enterprise.registration","subject":"\#(subject)","source_record_id":"\#(id)","fields":{"name":"\#(name)","org_type":"enterprise","legal_representative":"张三丰","legal_representative_id":"\#(person)","established_on":"2015-03-01"}}"#
    }

    /// A penalty decided `age` days ago.
    static func penalty(_ subject: String, id: String, severity: String = "general", age: Int = 30) -> String {
        #"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"\#(id)","decision_date":"\#(day(-age))","fields":{"decision_no":"罚-\#(id)","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"\#(severity)"}}"#
    }

    static func taxCreditLevel(_ subject: String, id: String, level: String) -> String {
        #"{"type":"record","item":"enterprise.tax_credit_level","subject":"\#(subject)","source_record_id":"\#(id)","fields":{"year":2025,"level":"\#(level)"}}"#
    }

    /// An entry on a red or black list (`enterprise.red_list`, `enterprise.black_list`), decided 5 days ago.
    static func list(_ item: String, _ subject: String, id: String) -> String {
        #"{"type":"record","item":"\#(item)","subject":"\#(subject)","source_record_id":"\#(id)","decision_date":"\#(day(-5))","fields":{"list_name":"示例名单","authority":"江苏省发展和改革委员会"}}"#
    }

    static func taxPaid(_ subject: String, id: String) -> String {
        #"{"type":"record","item":"market.tax_paid","subject":"\#(subject)","source_record_id":"\#(id)","fields":{"period":"2026-09","tax_paid":12000}}"#
    }

    static func personDebtor(id: String) -> String {
        #"{"type":"record","item":"person.dishonest_debtor","subject":"\#(person)","source_record_id":"\#(id)","decision_date":"\#(day(-10))","fields":{"name":"李四","id_number":"\#(person)","case_no":"(2026)苏01执\#(id)","court":"南京市中级人民法院","amount":80000}}"#
    }

    static func personContact(id: String) -> String {
        #"{"type":"record","item":"person.contact","subject":"\#(person)","source_record_id":"\#(id)","fields":{"name":"李四","mobile":"13812345678"}}"#
    }

    static func event(_ event: String, item: String, subject: String, id: String) -> String {
        #"{"type":"event","event":"\#(event)","item":"\#(item)","subject":"\#(subject)","source_record_id":"\#(id)","date":"\#(day(0))"}"#
    }
}
