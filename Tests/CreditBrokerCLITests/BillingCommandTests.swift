import BrokerCore
import BrokerStore
import ChildProcesses
import Crypto
import Formats
import Foundation
import PostgresClient
import TestSupport
import Testing

/// `credit-broker billing close|statements|show|export|verify` on a real database, as a finance
/// officer runs them at the start of a month.
@Suite struct BillingCommandTests {
    static func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await ChildProcess.start(CommandLineTests.binary, arguments).wait()
    }

    @Test func aFinanceOfficerClosesLastMonthReadsVerifiesAndExportsIt() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        let contracts = try Fixtures.contractFiles()
        try await ContractStore(pool: pool).seedIfEmpty({ contracts }, by: .commandLine("test", partner: nil, status: 201, detail: "seeded"))
        // The month before this one has ended: three answers of the agency in it, two with data.
        let month = CivilMonth(containing: Date()).previous
        let agency = try #require(contracts.first { $0.contract.partnerID == "agency.nj_anxin" }?.contract)
        for (index, items) in [["enterprise.registration"], [], ["enterprise.registration", "enterprise.penalty"]].enumerated() {
            let disclosed = String(decoding: AnswerValue.array(items.map(AnswerValue.string)).json, as: UTF8.self)
            try await pool.query("""
                INSERT INTO meter_events (partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, contract_label,
                                          contract_digest, http_status, latency_us, response_bytes, subject_hash, occurred_at)
                VALUES ('agency.nj_anxin', \("cli-\(index)"), 'POST /v1/queries', 'credit_report', \(disclosed)::jsonb, '[]'::jsonb,
                        \(agency.versionLabel), \(agency.version.digest), 200, 900, 300, \(String(repeating: "cd", count: 32)),
                        \(month.start.addingTimeInterval(Double(index + 1) * 86_400)))
                """)
        }
        await pool.close()
        let db = ["--database-url", conninfo]

        let closed = try await Self.run(["billing", "close", "--month", "\(month)"] + db)
        #expect(closed.status == 0, "\(closed.output)")
        #expect(closed.output.contains("closed \(month): "), "\(closed.output)")
        #expect(closed.output.contains("\(month) agency.nj_anxin 0.20 CNY, 3 events, sha256 "), "\(closed.output)")
        let again = try await Self.run(["billing", "close", "--month", "\(month)"] + db)
        #expect(again.status == 0 && again.output.contains("\(month) was closed before"), "\(again.output)")
        let future = try await Self.run(["billing", "close", "--month", "2099-01"] + db)
        #expect(future.status != 0 && future.output.contains("2099-01 can be closed from 2099-02-01T00:10:00+08:00"), "\(future.output)")
        let malformed = try await Self.run(["billing", "close", "--month", "2026-13"] + db)
        #expect(malformed.status != 0 && malformed.output.contains("--month '2026-13' is not a month YYYY-MM"), "\(malformed.output)")

        let shown = try await Self.run(["billing", "show", "agency.nj_anxin", "--month", "\(month)"] + db)
        #expect(shown.status == 0, "\(shown.output)")
        let statement = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
        #expect(statement["total"] as? String == "0.20" && statement["currency"] as? String == "CNY")
        let csv = try await Self.run(["billing", "show", "agency.nj_anxin", "--month", "\(month)", "--format", "csv"] + db)
        let table = try CSVTable(parsing: csv.output)
        #expect(table.rows.last?[table.header.firstIndex(of: "kind")!] == "total")
        let listed = try await Self.run(["billing", "statements", "--partner", "agency.nj_anxin"] + db)
        #expect(listed.output.split(separator: "\n").count == 1, "\(listed.output)")
        let verified = try await Self.run(["billing", "verify", "--month", "\(month)"] + db)
        #expect(verified.status == 0 && verified.output.contains("statements intact"), "\(verified.output)")

        let file = TestPostgres.temporaryFolder() + "/usage.csv"
        let exported = try await Self.run([
            "billing", "export", "--partner", "agency.nj_anxin", "--from", "\(month.firstDay)", "--to", "\(month.lastDay)", "--out", file,
        ] + db)
        #expect(exported.status == 0, "\(exported.output)")
        let bytes = try Data(contentsOf: URL(filePath: file))
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(filePath: file + ".manifest.json"))) as? [String: Any])
        #expect(manifest["sha256"] as? String == SHA256.hash(data: bytes).lowercaseHex && manifest["count"] as? Int == 3)
        #expect((manifest["sums"] as? [String: Any])?["billed"] as? Int == 2)

        // The close is in the admin audit chain, as this OS account.
        let audit = PostgresPool(.init(connection: database, maxConnections: 1))
        let rows = try await audit.query("SELECT path, detail, via FROM admin_audit WHERE path = 'credit-broker billing close' ORDER BY seq")
        #expect(rows.count == 2)
        #expect(try rows.first?.decode(String.self, at: 1).hasPrefix("closed billing \(month)") == true)
        await audit.close()
    }
}
