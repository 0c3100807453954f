import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// Synthetic enterprises in the broker's own schema, for the gateway benchmark.
///
/// Enterprise n (from 1) has a valid code built by `UnifiedSocialCreditCode` (type 91, Nanjing
/// 320100, organisation code n in base 31 over the code alphabet), a `subjects` row, one
/// `enterprise.registration` record, and every fourth one an `enterprise.penalty` record in its
/// disclosure window. Rows go in with raw `COPY` (the columns `RecordWriter` fills), 100,000
/// enterprises per transaction. The helper table `bench_enterprises (n, subject_key)` lets pgbench
/// draw a random subject with `random(1, count)`.
struct EnterpriseLoader {
    let pool: PostgresPool
    let count: Int

    private static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    private static let chunk = 100_000

    /// The n-th enterprise's code.
    static func code(_ n: Int) throws -> UnifiedSocialCreditCode {
        var digits = [UInt8](repeating: 0, count: 8)
        var rest = n
        for position in (0..<8).reversed() {
            digits[position] = alphabet[rest % alphabet.count]
            rest /= alphabet.count
        }
        return try UnifiedSocialCreditCode(type: .enterprise, division: 320_100, organisationCode: String(decoding: digits, as: UTF8.self))
    }

    /// Loads the enterprises unless the database already holds exactly these; returns whether it loaded.
    func ensureLoaded() async throws -> Bool {
        let exists = try await pool.query("SELECT to_regclass('bench_enterprises') IS NOT NULL")[0].decode(Bool.self, at: 0)
        if exists, try await pool.query("SELECT count(*) FROM bench_enterprises")[0].decode(Int.self, at: 0) == count {
            return false
        }
        try await pool.query("DROP TABLE IF EXISTS bench_enterprises")
        try await pool.query("TRUNCATE records, subjects, record_events")
        try await pool.query("CREATE TABLE bench_enterprises (n integer PRIMARY KEY, subject_key text NOT NULL)")
        for first in stride(from: 1, through: count, by: Self.chunk) {
            let rows = try Self.rows(first...min(first + Self.chunk - 1, count))
            try await pool.transaction { connection in
                _ = try await connection.copyFromStdin("COPY subjects (subject_key, kind, display_name) FROM STDIN") { try $0.write(rows.subjects) }
                _ = try await connection.copyFromStdin("""
                    COPY records (subject_key, item, source, source_record_id, decision_date, disclose_from, disclose_until,
                                  fields, change_seq) FROM STDIN
                    """) { try $0.write(rows.records) }
                _ = try await connection.copyFromStdin("COPY bench_enterprises (n, subject_key) FROM STDIN") { try $0.write(rows.helper) }
            }
        }
        try await pool.query("SELECT setval('record_change_seq', \(2 * count))")
        try await pool.query("VACUUM ANALYZE subjects")
        try await pool.query("VACUUM ANALYZE records")
        try await pool.query("VACUUM ANALYZE bench_enterprises")
        return true
    }

    /// Writes every enterprise's code, one a line, for the load generator.
    func writeCodes(to path: String) throws {
        var text = ""
        text.reserveCapacity(count * 19)
        for n in 1...count { text += try Self.code(n).rawValue + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private static func rows(_ range: ClosedRange<Int>) throws -> (subjects: [UInt8], records: [UInt8], helper: [UInt8]) {
        var subjects = CopyTextBuffer(reservingCapacity: range.count * 64)
        var records = CopyTextBuffer(reservingCapacity: range.count * 420)
        var helper = CopyTextBuffer(reservingCapacity: range.count * 28)
        for n in range {
            let key = try code(n).rawValue
            let name = "南京基准\(n)有限公司"
            subjects.append(key)
            subjects.append("organisation")
            subjects.append(name)
            subjects.endRow()
            records.append(key)
            records.append("enterprise.registration")
            records.append("jiangsu_public_credit")
            records.append("REG-\(n)")
            for _ in 0..<3 { records.append(nil) }
            records.append("""
                {"name":"\(name)","org_type":"enterprise","legal_representative":"王建国",\
                "legal_representative_id":"320102********\(String(format: "%04d", n % 10_000))",\
                "registered_capital":\(100 + n % 5_000),"established_on":"20\(10 + n % 15)-0\(1 + n % 9)-1\(n % 10)",\
                "address":"江苏省南京市鼓楼区中山路\(n % 999 + 1)号","industry":"制造业","operating_status":"active"}
                """)
            records.append(2 * n - 1)
            records.endRow()
            if n % 4 == 0 {
                records.append(key)
                records.append("enterprise.penalty")
                records.append("jiangsu_public_credit")
                records.append("PEN-\(n)")
                records.append("2026-03-15")
                records.append("2026-03-15")
                records.append("2029-03-15")
                records.append("""
                    {"decision_no":"宁市监罚〔2026〕\(n)号","authority":"南京市市场监督管理局","violation":"未按规定公示年度报告",\
                    "penalty_type":"fine","amount":\(1_000 + n % 50_000),"severity":"general"}
                    """)
                records.append(2 * n)
                records.endRow()
            }
            helper.append(n)
            helper.append(key)
            helper.endRow()
        }
        return (subjects.bytes, records.bytes, helper.bytes)
    }
}
