import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `credit-broker demo` end to end: a small province, its PKI, the bank query it prints works, and
/// so does its admin listener on the next port.
@Suite(.runsGatewayProcesses) struct DemoTests {
    @Test func theDemoServesABankQueryOverMutualTLSWithItsOwnPKI() async throws {
        let state = TestPostgres.temporaryFolder()
        let port = TestPorts.consecutive(3)
        let (demo, log) = try Self.startDemo(state: state, port: port)
        let pki = state + "/pki"
        let bank = ["--cacert", pki + "/ca.pem", "--cert", pki + "/clients/bank.icbc_jiangsu.pem", "--key", pki + "/clients/bank.icbc_jiangsu-key.pem"]
        let ready = try await Self.waitUntilReady(state: state, port: port)
        let company = try #require(try await Self.aRegisteredCompany(log: log))
        let answer = try await ChildProcess.run("/usr/bin/curl", bank + [
            "-s", "-H", "Content-Type: application/json",
            "-d", #"{"subject":"\#(company)","purpose":"credit_approval","items":["enterprise.registration","market.tax_paid"]}"#,
            "https://localhost:\(port)/v1/queries",
        ])
        let security = ["--cacert", pki + "/ca.pem", "--cert", pki + "/admins/security.pem", "--key", pki + "/admins/security-key.pem"]
        let partners = try await ChildProcess.run("/usr/bin/curl", security + ["-s", "https://localhost:\(port + 1)/admin/v1/partners"])
        let agencyKey = try String(contentsOfFile: state + "/agency-api-keys.tsv", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("agency.nj_anxin\t") }?.split(separator: "\t").last.map(String.init)
        let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        /// The commands printed under `heading`, run by the shell (a failure is checked below, after the demo stops).
        func example(after heading: String) async -> Result<String, any Error> {
            do { return .success(try await ChildProcess.run("/bin/sh", ["-c", Self.commands(after: heading, in: printed)])) } catch { return .failure(error) }
        }
        let consentExample = await example(after: "A consent on file")
        let sm2Example = await example(after: "A bank whose contract says 'receipts: sm2-sm3'")
        let portalExample = await example(after: "The province's credit portal")
        let reportExample = await example(after: "The bank's credit report")
        demo.signal(SIGINT)
        let (status, _) = await demo.wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(ready, "the demo never became ready: \(output.suffix(2_000))")
        #expect(status == 0, "\(output.suffix(2_000))")
        #expect(output.contains("curl -s --cacert"), "the demo prints its examples")

        // The consent example, run as printed, registers a consent and discloses the item it unlocks.
        let consentOutput = try consentExample.get()
        let unlocked = try #require(consentOutput.split(separator: "\n").last, "\(consentOutput)")
        let unlockedJSON = try #require(try JSONSerialization.jsonObject(with: Data(unlocked.utf8)) as? [String: Any], "\(consentOutput)")
        #expect((unlockedJSON["disclosed"] as? [[String: Any]])?.map { $0["item"] as? String } == ["market.tax_paid"], "\(consentOutput)")
        #expect((unlockedJSON["consent_id"] as? String)?.hasPrefix("cs_") == true, "\(consentOutput)")
        // The SM2 bank's example, run as printed: a receipt signed with SM2 over SM3 that verifies.
        let sm2Output = try sm2Example.get()
        #expect(sm2Output.contains("receipt OK (sm2-sm3): request "), "\(sm2Output)")
        #expect(sm2Output.contains("partner bank.jiangsu_rcu"), "\(sm2Output)")
        // The portal's example, run as printed: who queried the company, the bank's queries above included.
        let portalOutput = try portalExample.get()
        let whoQueried = try #require(try JSONSerialization.jsonObject(with: Data(portalOutput.utf8)) as? [String: Any], "\(portalOutput)")
        let queriedBy = (whoQueried["disclosures"] as? [[String: Any]])?.compactMap { $0["partner"] as? String } ?? []
        #expect(queriedBy.contains("bank.icbc_jiangsu") && whoQueried["subject"] as? String == company, "\(portalOutput)")
        // The report example, run as printed: a PDF saved with its headers, its receipt checked against the file.
        let reportOutput = try reportExample.get()
        #expect(reportOutput.contains("receipt OK (ed25519): request"), "\(reportOutput)")
        let reportFile = try #require(reportOutput.split(separator: "\n").last { $0.hasPrefix("report: ") }.map { String($0.dropFirst(8)) })
        #expect(FileManager.default.contents(atPath: reportFile)?.starts(with: Array("%PDF-".utf8)) == true, "\(reportOutput)")
        // The receipt check names this binary, which `swift run` leaves off PATH.
        let verify = try #require(output.split(separator: "\n").first { $0.contains(" receipts verify ") })
        let program = String(verify.trimmingCharacters(in: .whitespaces).prefix { $0 != " " })
        #expect(URL(filePath: program).resolvingSymlinksInPath() == URL(filePath: CommandLineTests.binary).resolvingSymlinksInPath(), "\(verify)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], "\(answer)")
        let disclosed = try #require(json["disclosed"] as? [[String: Any]])
        #expect(disclosed.first?["item"] as? String == "enterprise.registration")
        #expect((disclosed.first?["records"] as? [Any])?.count == 1)
        #expect((json["withheld"] as? [[String: Any]])?.first?["reason"] as? String == "consent_missing")
        #expect(agencyKey?.hasPrefix("ak_") == true)
        // Issue 13, finding 9: the feed files (clear ID numbers, names, phones) were left 0644 in
        // 0755 folders. Now they are removed once loaded, and nothing in the state folder is open
        // to other accounts (root's state folder lets the postgres group pass through, no more).
        #expect(!FileManager.default.fileExists(atPath: state + "/demo-province"), "the loaded feed files are removed")
        #expect(Self.mode(state) == (geteuid() == 0 ? 0o710 : 0o700))
        let open = Self.entriesOpenToOthers(state).filter { $0 != "demo.log" }  // the test's own capture of the output
        #expect(open.isEmpty, "open to other accounts: \(open)")
        #expect(output.contains("https://localhost:\(port + 1)/admin/v1/partners"), "the demo prints its admin example")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(partners.utf8)) as? [String: Any], "\(partners)")
        #expect((listed["partners"] as? [[String: Any]])?.contains { $0["id"] as? String == "agency.nj_anxin" } == true)
    }

    /// A registry code failing its check character is loaded (with a warning) but refused by the
    /// API, so the examples name a company by a code that passes, an enterprise before a social
    /// group (51…); the query's Idempotency-Key names it, so that a demo naming another company
    /// later (new data) does not reuse a key for another body (422).
    @Test func theExamplesNameAnEnterpriseByACodePartnersMayQuery() async throws {
        let state = TestPostgres.temporaryFolder()
        let feed = state + "/penalties.jsonl"
        let lines = ["91320102MA1XXXXX9A", "51320506433324449M", "91350100M000100Y43"].enumerated().map { index, subject in
            #"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"PEN-\#(index)","decision_date":"2026-11-01","fields":{"decision_no":"罚-\#(index)","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"general"}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: feed, atomically: true, encoding: .utf8)
        let ingest = try await ChildProcess.start(CommandLineTests.binary, [
            "ingest", feed, "--source", "jiangsu_public_credit", "--state-dir", state,
        ], environment: ["DATABASE_URL": ""]).wait()
        #expect(ingest.output.contains("3 inserted") && ingest.output.contains("1 warning,"), "\(ingest.output)")
        #expect(ingest.output.contains("warning: \(feed):"), "\(ingest.output)")
        #expect(ingest.output.contains(": subject: unified social credit code: check character is wrong"), "\(ingest.output)")

        let port = TestPorts.consecutive(3)
        let (demo, log) = try Self.startDemo(state: state, port: port)
        let ready = try await Self.waitUntilReady(state: state, port: port)
        demo.signal(SIGINT)
        _ = await demo.wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(ready, "\(output.suffix(2_000))")
        #expect(output.contains(#""subject":"91350100M000100Y43""#), "\(output)")
        #expect(!output.contains("91320102MA1XXXXX9A") && !output.contains("51320506433324449M"), "\(output)")
        #expect(output.contains("Idempotency-Key: demo-91350100M000100Y43"), "\(output)")
    }

    /// `demo --admin-port N` serves the admin API on N with the demo PKI's admin CA and CRL: before,
    /// it stopped after generating and loading the province, asking for --admin-ca. And an option
    /// given wrongly (here a receipt key that does not exist) stops it before anything is generated.
    @Test func anExplicitAdminPortUsesTheDemoPKIAndOptionErrorsComeFirst() async throws {
        let state = TestPostgres.temporaryFolder()
        let port = TestPorts.consecutive(4)
        let (demo, log) = try Self.startDemo(state: state, port: port, ["--admin-port", "\(port + 3)"])
        let ready = try await Self.waitUntilReady(state: state, port: port)
        let pki = state + "/pki"
        let security = ["--cacert", pki + "/ca.pem", "--cert", pki + "/admins/security.pem", "--key", pki + "/admins/security-key.pem"]
        let partners = ready ? try await ChildProcess.run("/usr/bin/curl", security + ["-s", "https://localhost:\(port + 3)/admin/v1/partners"]) : ""
        demo.signal(SIGINT)
        let (status, _) = await demo.wait()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(ready, "the demo never became ready: \(output.suffix(2_000))")
        #expect(status == 0, "\(output.suffix(2_000))")
        #expect(partners.contains(#""id":"agency.nj_anxin""#), "\(partners)")

        let other = TestPostgres.temporaryFolder()
        let mistyped = other + "/nonexistent/receipt-key"
        let (refused, refusedLog) = try Self.startDemo(state: other, port: TestPorts.consecutive(3), ["--receipt-key", mistyped])
        let ended = await refused.wait(killingAfter: .seconds(120))
        let said = (try? String(contentsOfFile: refusedLog, encoding: .utf8)) ?? ""
        #expect(!ended.killed && ended.status != 0, "\(said.suffix(2_000))")
        #expect(said.contains("\(mistyped): no such file (given by --receipt-key)"), "\(said.suffix(2_000))")
        #expect(!said.contains("generating a synthetic province"), "\(said.suffix(2_000))")
    }

    /// Starts `credit-broker demo` on a small province with its output in a file (returned), so
    /// that the examples it prints can be read and run while it serves.
    static func startDemo(state: String, port: Int, _ extra: [String] = []) throws -> (ChildProcess.Running, log: String) {
        let log = state + "/demo.log"
        let demo = try ChildProcess.start("/bin/sh", [
            "-c", #"exec "$0" "$@" > "\#(log)" 2>&1"#,
            CommandLineTests.binary, "demo", "--state-dir", state, "--port", "\(port)", "--enterprises", "200", "--persons", "50",
        ] + extra, environment: ["DATABASE_URL": ""])
        return (demo, log)
    }

    /// Whether the demo on `port` answered `/readyz` within two minutes.
    static func waitUntilReady(state: String, port: Int) async throws -> Bool {
        for _ in 0..<480 {
            try await Task.sleep(for: .milliseconds(250))
            let answer = try? await ChildProcess.run("/usr/bin/curl", ["-sf", "--cacert", state + "/pki/ca.pem", "https://localhost:\(port)/readyz"])
            if answer == "ready\n" { return true }
        }
        return false
    }

    /// The shell commands of the printed example whose description starts with `title`: its
    /// indented lines, up to the next blank line.
    private static func commands(after title: String, in printed: String) -> String {
        let lines = printed.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(title) }) else { return "false" }
        return lines[start...].prefix { !$0.isEmpty }.filter { $0.hasPrefix("  ") }
            .map { $0.dropFirst(2) }.joined(separator: "\n")
    }

    /// The company the demo's printed examples name (its feed files are removed once loaded).
    static func aRegisteredCompany(log: String) async throws -> String? {
        for _ in 0..<100 {
            let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = printed.range(of: #""subject":""#) {
                return String(printed[range.upperBound...].prefix { $0 != "\"" })
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    private static func mode(_ path: String) -> mode_t {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        return status.st_mode & 0o7777
    }

    /// Every file or folder under `folder` that other accounts may read, write or enter.
    static func entriesOpenToOthers(_ folder: String) -> [String] {
        let entries = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return entries.filter { mode(folder + "/" + $0) & 0o007 != 0 }
    }
}
