import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `credit-broker admin …`, the real binary against a running `credit-broker demo` over mutual TLS
/// with the demo PKI's admin certificates: a contract change's full round (propose → what-if →
/// approve → the agency's next query answered under the new version), the refusals, and failures
/// before anything is sent or with no answer, each on standard error with its own exit code.
@Suite(.runsGatewayProcesses) struct AdminClientTests {
    static let agency = "agency.nj_anxin"

    /// One run of the command: its exit status, and its standard output and error apart.
    struct Run: CustomStringConvertible {
        let status: Int32
        let output: String
        let errors: String

        var description: String { "exit \(status)\nstdout:\n\(output)\nstderr:\n\(errors)" }
    }

    /// Runs `credit-broker admin` + `arguments`, with none of the admin variables of this process's environment.
    static func admin(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        let errors = TestPostgres.temporaryFolder() + "/stderr"
        var variables = Dictionary(uniqueKeysWithValues: ["URL", "CERT", "KEY", "CA", "PKI", "ROLE"].map { ("CREDIT_BROKER_ADMIN_" + $0, "") })
        variables.merge(environment) { $1 }
        variables["ADMIN_TEST_STDERR"] = errors
        let (status, output) = try await ChildProcess.start(
            "/bin/sh", ["-c", #"exec "$0" "$@" 2>"$ADMIN_TEST_STDERR""#, CommandLineTests.binary, "admin"] + arguments, environment: variables
        ).wait()
        return Run(status: status, output: output, errors: (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// A running demo: its state folder, ports and what it prints.
    struct Demo {
        let state: String
        let port: Int
        let company: String
        let agencyKey: String

        var pki: String { state + "/pki" }

        /// The options that reach its admin listener as `role`, with the development PKI's certificate.
        func connection(_ role: String) -> [String] { ["--url", "https://localhost:\(port + 1)", "--pki", pki, "--role", role] }

        /// The agency's query for `enterprise.registration` with its API key, on the partner listener.
        func agencyQuery() async throws -> [String: Any] {
            let answer = try await ChildProcess.run("/usr/bin/curl", [
                "-s", "--cacert", pki + "/ca.pem", "-H", "Authorization: Bearer \(agencyKey)", "-H", "Content-Type: application/json",
                "-d", #"{"subject":"\#(company)","purpose":"credit_report","items":["enterprise.registration"]}"#,
                "https://localhost:\(port)/v1/queries",
            ])
            return try #require(try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], "\(answer)")
        }
    }

    /// Starts a demo on a small province, runs `body` against it, and stops it (also when `body` throws).
    static func withDemo(_ body: (Demo) async throws -> Void) async throws {
        let state = TestPostgres.temporaryFolder()
        let port = TestPorts.consecutive(3)
        let (running, log) = try DemoTests.startDemo(state: state, port: port)
        do {
            let ready = try await DemoTests.waitUntilReady(state: state, port: port)
            try #require(ready, "the demo never became ready: \(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2_000))")
            let company = try #require(try await DemoTests.aRegisteredCompany(log: log))
            let key = try String(contentsOfFile: state + "/agency-api-keys.tsv", encoding: .utf8)
                .split(separator: "\n").first { $0.hasPrefix(agency + "\t") }?.split(separator: "\t").last.map(String.init)
            try await body(Demo(state: state, port: port, company: company, agencyKey: try #require(key)))
        } catch {
            running.signal(SIGINT)
            _ = await running.wait()
            throw error
        }
        running.signal(SIGINT)
        #expect(await running.wait().status == 0, "\(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").suffix(2_000))")
    }

    /// The shipped contract of `agency.nj_anxin` (version 2026-11-01.1) with a new version label and
    /// `enterprise.registration` (unconditional for agencies by default) as `registration`; its path.
    static func changedAgency(label: String, registration: String) throws -> String {
        let text = try String(contentsOf: AdminCommandTests.root.appending(path: "Contracts/\(agency).yaml"), encoding: .utf8)
            .replacingOccurrences(of: "version: 2026-11-01.1", with: "version: \(label)")
            + "items:\n  enterprise.registration: \(registration)\n"
        let path = TestPostgres.temporaryFolder() + "/\(agency).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The id in `proposal 12: …`, the first line `propose` prints.
    static func proposalID(_ run: Run) throws -> Int {
        let first = try #require(run.output.split(separator: "\n").first, "\(run)")
        return try #require(Int(first.dropFirst("proposal ".count).prefix { $0 != ":" }), "\(run)")
    }

    @Test func aChangeProposedReviewedAndApprovedIsServedOnTheAgencysNextQuery() async throws {
        try await Self.withDemo { demo in
            let before = try await demo.agencyQuery()
            #expect((before["contract_version"] as? String)?.hasPrefix("\(Self.agency)@2026-11-01.1#") == true, "\(before)")
            #expect((before["withheld"] as? [Any])?.isEmpty == true, "\(before)")

            let milliseconds = ISO8601DateFormatter()
            milliseconds.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let beforeProposal = milliseconds.string(from: Date())
            let file = try Self.changedAgency(label: "2026-12-05.1", registration: "none")
            let proposed = try await Self.admin(["propose", file, "--reason", "registration no longer shared"] + demo.connection("system"))
            #expect(proposed.status == 0, "\(proposed)")
            let id = try Self.proposalID(proposed)
            #expect(proposed.output.contains("proposal \(id): amend \(Self.agency) to \(Self.agency)@2026-12-05.1#"), "\(proposed)")
            #expect(proposed.output.contains("by System Administrator: \"registration no longer shared\""), "\(proposed)")
            #expect(proposed.output.contains("credit-broker admin approve \(id)"), "\(proposed)")

            // `admin diff` prints the proposal's changes as `contracts diff` prints the same two files'.
            let diff = try await Self.admin(["diff", "\(id)"] + demo.connection("audit"))
            #expect(diff.status == 0, "\(diff)")
            let local = try await ContractsCommandTests.run([
                "contracts", "diff", AdminCommandTests.root.appending(path: "Contracts/\(Self.agency).yaml").path, file,
                "--catalog", AdminCommandTests.root.appending(path: "Policies/catalog.yaml").path,
                "--policies", AdminCommandTests.root.appending(path: "Policies").path,
            ])
            #expect(local.status == 0, "\(local.output)")
            #expect(diff.output == local.output, "\(diff)\ncontracts diff:\n\(local.output)")
            #expect(diff.output == "\(Self.agency) loses item enterprise.registration: unconditional → none\n1 change(s)\n", "\(diff)")

            // What-if replays the query above: its one disclosed registration would be withheld.
            let whatIf = try await Self.admin(["what-if", "\(id)", "--days", "1"] + demo.connection("security"))
            #expect(whatIf.status == 0, "\(whatIf)")
            #expect(whatIf.output.hasPrefix("proposal \(id) against \(Self.agency)'s metered decisions of the last 1 day: 1 decision\n"), "\(whatIf)")
            let row = try #require(whatIf.output.split(separator: "\n").first { $0.hasPrefix("enterprise.registration ") }, "\(whatIf)")
            #expect(row.split(separator: " ", omittingEmptySubsequences: true) == ["enterprise.registration", "1", "1", "0", "no_sharing", "1"], "\(whatIf)")
            #expect(whatIf.output.contains("  enterprise.registration disclosed → withheld: "), "\(whatIf)")

            // Nothing is served until approved, and the proposer's role may not approve.
            await #expect((try demo.agencyQuery()["contract_version"] as? String)?.hasPrefix("\(Self.agency)@2026-11-01.1#") == true)
            let byProposer = try await Self.admin(["approve", "\(id)"] + demo.connection("system"))
            #expect(byProposer.status == 1, "\(byProposer)")
            #expect(byProposer.output.isEmpty, "\(byProposer)")
            #expect(byProposer.errors == "error: Role not allowed (403): Only the security role may use this endpoint; the certificate carries the system role.\n", "\(byProposer)")

            let approved = try await Self.admin(["approve", "\(id)", "--reason", "reviewed with the what-if"] + demo.connection("security"))
            #expect(approved.status == 0, "\(approved)")
            #expect(approved.output.hasPrefix("approved proposal \(id): amend \(Self.agency) to \(Self.agency)@2026-12-05.1#"), "\(approved)")
            #expect(approved.output.hasSuffix("served by 1 of 1 gateway process\n"), "\(approved)")
            #expect(approved.errors.isEmpty, "\(approved)")

            // The agency's next query is answered under the new version.
            let after = try await demo.agencyQuery()
            #expect((after["contract_version"] as? String)?.hasPrefix("\(Self.agency)@2026-12-05.1#") == true, "\(after)")
            #expect((after["withheld"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["no_sharing"], "\(after)")

            let history = try await Self.admin(["history", Self.agency, "--at", beforeProposal] + demo.connection("audit"))
            #expect(history.status == 0, "\(history)")
            #expect(history.output.hasPrefix("\(Self.agency): 2 contract versions\n"), "\(history)")
            #expect(history.output.contains("  proposal \(id) by System Administrator, approved by Security Administrator at "), "\(history)")
            let seeded = history.output.split(separator: "\n").first { $0.contains("@2026-11-01.1#") }
            #expect(seeded?.hasSuffix("← in force at \(beforeProposal)") == true, "\(history)")
            let shown = try await Self.admin(["show", "\(id)"] + demo.connection("audit"))
            #expect(shown.output.contains("proposal \(id): amend \(Self.agency) to \(Self.agency)@2026-12-05.1#") && shown.output.contains(" — approved\n"), "\(shown)")
            #expect(shown.output.contains("approved   ") && shown.output.contains("by Security Administrator: \"reviewed with the what-if\""), "\(shown)")
            let document = try await Self.admin(["show", "\(id)", "--document"] + demo.connection("audit"))
            #expect(document.output == (try String(contentsOfFile: file, encoding: .utf8)), "\(document)")

            // --json prints the API's answer as it came: byte for byte what curl gets.
            let listed = try await Self.admin(["partners", "--json"] + demo.connection("audit"))
            let curl = try await ChildProcess.run("/usr/bin/curl", [
                "-s", "--cacert", demo.pki + "/ca.pem", "--cert", demo.pki + "/admins/audit.pem", "--key", demo.pki + "/admins/audit-key.pem",
                "https://localhost:\(demo.port + 1)/admin/v1/partners",
            ])
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.output == curl + (curl.hasSuffix("\n") ? "" : "\n"))
            let partners = try await Self.admin(["partners"] + demo.connection("audit"))
            let agencyRow = try #require(partners.output.split(separator: "\n").first { $0.hasPrefix(Self.agency + " ") }, "\(partners)")
            #expect(agencyRow.contains("credit_agency") && agencyRow.contains("active") && agencyRow.contains("2026-12-05.1")
                && agencyRow.contains("1 API key") && agencyRow.hasSuffix("南京安信征信服务有限公司"), "\(agencyRow)")
        }
    }

    @Test func refusalsRejectionsAndTheKillSwitch() async throws {
        try await Self.withDemo { demo in
            // An invalid document: every problem on standard error, by line.
            let broken = try await Self.admin(["propose", try Self.changedAgency(label: "b.1", registration: "{ class: sometimes }")] + demo.connection("system"))
            #expect(broken.status == 1, "\(broken)")
            #expect(broken.errors.hasPrefix("error: Invalid contract (422): "), "\(broken)")
            #expect(broken.errors.contains("\n  line 14: "), "\(broken)")

            let id = try await Self.proposalID(try Self.admin(["propose", try Self.changedAgency(label: "r.1", registration: "none")] + demo.connection("system")))
            let noReason = try await Self.admin(["reject", "\(id)"] + demo.connection("security"))
            #expect(noReason.status == 64 && noReason.errors.contains("--reason"), "\(noReason)")
            let rejected = try await Self.admin(["reject", "\(id)", "--reason", "too broad"] + demo.connection("security"))
            #expect(rejected.status == 0, "\(rejected)")
            #expect(rejected.output.hasPrefix("rejected proposal \(id): amend \(Self.agency) to \(Self.agency)@r.1#"), "\(rejected)")
            #expect(rejected.output.hasSuffix(": \"too broad\"\n"), "\(rejected)")
            let late = try await Self.admin(["approve", "\(id)"] + demo.connection("security"))
            #expect(late.status == 1 && late.errors.hasPrefix("error: Already decided (409): "), "\(late)")
            let listed = try await Self.admin(["list", "--status", "rejected", "--partner", Self.agency] + demo.connection("audit"))
            #expect(listed.output.split(separator: "\n").map { $0.split(separator: " ").prefix(4).joined(separator: " ") }
                == ["ID PARTNER KIND STATUS", "\(id) \(Self.agency) amend rejected"], "\(listed)")
            let diff = try await Self.admin(["diff", "\(id)"] + demo.connection("audit"))
            #expect(diff.status == 0 && diff.output.hasPrefix("proposal \(id) is rejected: "), "\(diff)")
            await #expect((try demo.agencyQuery()["contract_version"] as? String)?.hasPrefix("\(Self.agency)@2026-11-01.1#") == true)
            let unknown = try await Self.admin(["show", "999999"] + demo.connection("audit"))
            #expect(unknown.status == 1 && unknown.errors == "error: Unknown proposal (404): No proposal has this id.\n  field: id\n", "\(unknown)")

            // Suspend at once; reinstating is the security administrator's alone.
            let suspended = try await Self.admin(["suspend", Self.agency, "--reason", "incident 42"] + demo.connection("system"))
            #expect(suspended.status == 0, "\(suspended)")
            #expect(suspended.output == "\(Self.agency) is suspended: every credential is refused from its next request: \"incident 42\"\nserved by 1 of 1 gateway process\n", "\(suspended)")
            let refused = try await demo.agencyQuery()
            #expect(refused["type"] as? String == "https://credit-broker.example/problems/partner-suspended", "\(refused)")
            let bySystem = try await Self.admin(["reinstate", Self.agency, "--reason", "resolved"] + demo.connection("system"))
            #expect(bySystem.status == 1 && bySystem.errors.hasPrefix("error: Role not allowed (403): Only the security role"), "\(bySystem)")
            let reinstated = try await Self.admin(["reinstate", Self.agency, "--reason", "resolved"] + demo.connection("security"))
            #expect(reinstated.status == 0 && reinstated.output.hasPrefix("\(Self.agency) is reinstated"), "\(reinstated)")
            await #expect((try demo.agencyQuery()["contract_version"] as? String)?.hasPrefix("\(Self.agency)@2026-11-01.1#") == true)
            let history = try await Self.admin(["history", Self.agency] + demo.connection("audit"))
            #expect(history.output.contains(" suspended by System Administrator: \"incident 42\""), "\(history)")
            #expect(history.output.contains(" active by Security Administrator: \"resolved\""), "\(history)")

            // A retirement is a proposal like any other change.
            let retire = try await Self.admin(["retire", Self.agency, "--reason", "contract ends"] + demo.connection("system"))
            let retirement = try Self.proposalID(retire)
            #expect(retire.status == 0 && retire.output.hasPrefix("proposal \(retirement): retire \(Self.agency) — proposed"), "\(retire)")
            #expect(retire.output.contains("once approved, every credential of \(Self.agency) is refused for good"), "\(retire)")

            // No answer: an untrusted server (the admin CA is not the server's), a certificate the
            // admin listener refuses (a bank's, of the partner CA).
            let untrusted = try await Self.admin(["partners", "--cacert", demo.pki + "/admin-ca.pem"] + demo.connection("audit"))
            #expect(untrusted.status == 3, "\(untrusted)")
            #expect(untrusted.errors == "error: TLS with localhost:\(demo.port + 1) failed: its certificate is not trusted (give --cacert: the CA that issued the admin listener's certificate)\n", "\(untrusted)")
            let bank = try await Self.admin([
                "partners", "--url", "https://localhost:\(demo.port + 1)", "--cacert", demo.pki + "/ca.pem",
                "--cert", demo.pki + "/clients/bank.icbc_jiangsu.pem", "--key", demo.pki + "/clients/bank.icbc_jiangsu-key.pem",
            ])
            // With TLS 1.3 the server's refusal of a client certificate may come as an alert or as the
            // connection closed right after the handshake: either is said in words.
            #expect(bank.status == 3 && bank.errors.contains("refused the admin certificate"), "\(bank)")
            #expect(bank.output.isEmpty, "\(bank)")
        }
    }

    /// Failures before anything is sent (exit 64) and with nothing listening (exit 3): one line on
    /// standard error naming the file or setting, never an error dump.
    @Test func aMissingOrWrongCertificateIsNamedAndNothingIsSent() async throws {
        let folder = TestPostgres.temporaryFolder() + "/pki"
        let root = AdminCommandTests.root
        let made = try await ContractsCommandTests.run([
            "pki", "init", "--out", folder, "--contracts", root.appending(path: "Contracts").path,
            "--policies", root.appending(path: "Policies").path, "--catalog", root.appending(path: "Policies/catalog.yaml").path,
        ])
        #expect(made.status == 0, "\(made.output)")
        let nowhere = ["--url", "https://localhost:1"]
        let missing = folder + "/admins/nobody.pem"

        let cert = try await Self.admin(["partners", "--cert", missing, "--key", folder + "/admins/system-key.pem"] + nowhere)
        #expect(cert.status == 64, "\(cert)")
        #expect(cert.errors == "error: the admin certificate (--cert) \(missing) does not exist\n", "\(cert)")
        #expect(cert.output.isEmpty, "\(cert)")
        let fromEnvironment = try await Self.admin(["partners"] + nowhere, environment: [
            "CREDIT_BROKER_ADMIN_CERT": folder + "/admins/system.pem", "CREDIT_BROKER_ADMIN_KEY": missing,
        ])
        #expect(fromEnvironment.status == 64, "\(fromEnvironment)")
        #expect(fromEnvironment.errors == "error: the admin certificate's private key (CREDIT_BROKER_ADMIN_KEY) \(missing) does not exist\n", "\(fromEnvironment)")
        let notPEM = try await Self.admin(["partners", "--pki", folder, "--role", "system", "--cacert", folder + "/admins"] + nowhere)
        #expect(notPEM.status == 64 && notPEM.errors == "error: the CA certificate (--cacert) \(folder)/admins is a folder, not a file\n", "\(notPEM)")
        let otherKey = try await Self.admin(["partners", "--cert", folder + "/admins/system.pem", "--key", folder + "/admins/security-key.pem"] + nowhere)
        #expect(otherKey.status == 64 && otherKey.errors.contains("is not the key of the certificate \(folder)/admins/system.pem"), "\(otherKey)")
        let noRole = try await Self.admin(["partners", "--pki", folder] + nowhere)
        #expect(noRole.status == 64 && noRole.errors.hasPrefix("error: --pki needs --role"), "\(noRole)")
        let badRole = try await Self.admin(["partners", "--pki", folder, "--role", "root"] + nowhere)
        #expect(badRole.status == 64 && badRole.errors == "error: --role must be system, security or audit\n", "\(badRole)")
        let none = try await Self.admin(["partners"] + nowhere)
        #expect(none.status == 64 && none.errors.hasPrefix("error: the admin API takes only mutual TLS"), "\(none)")
        let plain = try await Self.admin(["partners", "--url", "http://localhost:8444", "--pki", folder, "--role", "audit"])
        #expect(plain.status == 64 && plain.errors.hasPrefix("error: --url must start with https://"), "\(plain)")
        let document = try await Self.admin(["propose", folder + "/absent.yaml", "--pki", folder, "--role", "system"] + nowhere)
        #expect(document.status == 64 && document.errors == "error: the contract document (FILE) \(folder)/absent.yaml does not exist\n", "\(document)")

        // Everything in order, but nothing listens there.
        let unreachable = try await Self.admin(["partners", "--pki", folder, "--role", "audit"] + nowhere)
        #expect(unreachable.status == 3, "\(unreachable)")
        #expect(unreachable.errors == "error: cannot connect to localhost:1: Connection refused\n", "\(unreachable)")
        for run in [cert, fromEnvironment, notPEM, otherKey, noRole, badRole, none, plain, document, unreachable] {
            #expect(run.errors.split(separator: "\n").count == 1 && !run.errors.contains("Error"), "\(run)")
        }
    }
}
