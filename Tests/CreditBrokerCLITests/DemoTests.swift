import BrokerStore
import Foundation
import TestSupport
import Testing

/// `credit-broker demo` end to end: a small province, its PKI, the bank query it prints works, and
/// so does its admin listener on the next port.
@Suite struct DemoTests {
    @Test func theDemoServesABankQueryOverMutualTLSWithItsOwnPKI() async throws {
        let state = TestPostgres.temporaryFolder()
        let port = Int.random(in: 40_001...49_999)
        let demo = try ChildProcess.start(CommandLineTests.binary, [
            "demo", "--state-dir", state, "--port", "\(port)", "--enterprises", "200", "--persons", "50",
        ], environment: ["DATABASE_URL": ""])
        let pki = state + "/pki"
        let bank = ["--cacert", pki + "/ca.pem", "--cert", pki + "/clients/bank.icbc_jiangsu.pem", "--key", pki + "/clients/bank.icbc_jiangsu-key.pem"]
        var ready = false
        for _ in 0..<480 where !ready {
            try await Task.sleep(for: .milliseconds(250))
            ready = (try? ChildProcess.run("/usr/bin/curl", ["-sf", "--cacert", pki + "/ca.pem", "https://localhost:\(port)/readyz"])) == "ready\n"
        }
        let company = try #require(try aRegisteredCompany(state: state))
        let answer = try ChildProcess.run("/usr/bin/curl", bank + [
            "-s", "-H", "Content-Type: application/json",
            "-d", #"{"subject":"\#(company)","purpose":"credit_approval","items":["enterprise.registration","market.tax_paid"]}"#,
            "https://localhost:\(port)/v1/queries",
        ])
        let security = ["--cacert", pki + "/ca.pem", "--cert", pki + "/admins/security.pem", "--key", pki + "/admins/security-key.pem"]
        let partners = try ChildProcess.run("/usr/bin/curl", security + ["-s", "https://localhost:\(port + 1)/admin/v1/partners"])
        let agencyKey = try String(contentsOfFile: state + "/agency-api-keys.tsv", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("agency.nj_anxin\t") }?.split(separator: "\t").last.map(String.init)
        demo.signal(SIGINT)
        let (status, output) = demo.wait()
        #expect(ready, "the demo never became ready: \(output.suffix(2_000))")
        #expect(status == 0, "\(output.suffix(2_000))")
        #expect(output.contains("curl -s --cacert"), "the demo prints its examples")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], "\(answer)")
        let disclosed = try #require(json["disclosed"] as? [[String: Any]])
        #expect(disclosed.first?["item"] as? String == "enterprise.registration")
        #expect((disclosed.first?["records"] as? [Any])?.count == 1)
        #expect((json["withheld"] as? [[String: Any]])?.first?["reason"] as? String == "consent_missing")
        #expect(agencyKey?.hasPrefix("ak_") == true)
        #expect(output.contains("https://localhost:\(port + 1)/admin/v1/partners"), "the demo prints its admin example")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(partners.utf8)) as? [String: Any], "\(partners)")
        #expect((listed["partners"] as? [[String: Any]])?.contains { $0["id"] as? String == "agency.nj_anxin" } == true)
    }

    /// A company of the demo province, read from the feed files the demo generated.
    private func aRegisteredCompany(state: String) throws -> String? {
        let folder = state + "/demo-province"
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".jsonl") {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains(#""item":"enterprise.registration""#) {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let subject = object["subject"] as? String {
                    return subject
                }
            }
        }
        return nil
    }
}
