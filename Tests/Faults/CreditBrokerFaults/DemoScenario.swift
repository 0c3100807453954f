import ArgumentParser
import BrokerCore
import BrokerStore
import ChildProcesses
import EmbeddedPostgres
import Foundation
import SyntheticProvince

/// Scenario 8 after the demo: `credit-broker demo` as a user runs it, every route that takes a
/// resident ID number fed with the demo's own persons (and hostile variants: an ID number in an
/// `Idempotency-Key`, in a URL path and query, in an unknown member, with a wrong check character),
/// then the clear-text scan of its state folder, its output, its metrics and `pg_dump`.
struct DemoScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the demo, send ID numbers every way a partner can, stop it, and scan for clear ID numbers.",
        discussion: "The demo's persons are regenerated from its seed (2026) here, in memory, so that each one sent can be searched for."
    )

    @Option(help: "The credit-broker executable (default: .build/debug/credit-broker).") var binary: String?
    @Option(help: "Organisations in the demo's province.") var enterprises = 300
    @Option(help: "Persons in the demo's province.") var persons = 100
    @Flag(help: "Keep the demo's folder.") var keep = false

    func run() async throws {
        let options = try TopologyOptions.parse(binary.map { ["--binary", $0] } ?? [])
        let executable = try options.resolvedBinary()
        let root = URL(filePath: "/var/tmp/credit-broker-faults-demo-" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        chmod(root.path, 0o711)
        let state = root.appending(path: "demo").path, log = root.appending(path: "demo.log").path
        let port = Topology.freePort()
        let demo = try ChildProcess.start("/bin/sh", [
            "-c", #"exec "$0" "$@" >"$DEMO_LOG" 2>&1"#, executable, "demo", "--state-dir", state, "--port", "\(port)",
            "--enterprises", "\(enterprises)", "--persons", "\(persons)",
        ], environment: ["DEMO_LOG": log])
        var passed = false, figure = "demo: did not finish"
        do {
            (figure, passed) = try await exercise(root: root, state: state, port: port, demo: demo)
        } catch {
            figure = "demo: \(error)"
        }
        if kill(demo.pid, 0) == 0 {
            demo.signal(SIGKILL)
            _ = await demo.wait()
        }
        if passed && !keep {
            try? FileManager.default.removeItem(at: root)
        } else {
            say("demo folder kept: \(root.path)")
        }
        say(figure)
        if !passed { throw ExitCode.failure }
    }

    private func exercise(root: URL, state: String, port: Int, demo: ChildProcess.Running) async throws -> (String, Bool) {
        let pki = state + "/pki"
        for _ in 0..<600 where (try? await Probe.shared(pki: pki).status("https://127.0.0.1:\(port)/healthz")) != 200 {
            guard kill(demo.pid, 0) == 0 else { throw ScenarioFailure("the demo stopped; see \(root.path)/demo.log") }
            try await Task.sleep(for: .milliseconds(500))
        }
        let keys = try String(contentsOfFile: state + "/agency-api-keys.tsv", encoding: .utf8).split(separator: "\n").reduce(into: [String: String]()) {
            let parts = $1.split(separator: "\t")
            if parts.count == 2 { $0[String(parts[0])] = String(parts[1]) }
        }
        // The demo's persons, as its generator made them (seed 2026, as of today).
        let generator = ProvinceGenerator(ProvinceConfiguration(seed: 2026, organisations: enterprises, persons: persons, asOf: .today()))
        let people = generator.persons.map(\.id.rawValue)
        let bank = "bank.icbc_jiangsu", agency = "agency.nj_anxin"
        let clients = try PartnerClients(pki: pki, banks: [bank], agencyKeys: keys, connections: 4)
        var statuses: [Int: Int] = [:]
        func send(_ request: PlannedRequest) async {
            let answer = await clients.send(request, port: port)
            statuses[answer.status ?? 0, default: 0] += 1
        }
        let digest = String(repeating: "ab", count: 32)
        for (index, person) in people.enumerated() {
            await send(PlannedRequest(partner: bank, body: Bodies.personQuery(subject: person), idempotencyKey: index % 3 == 0 ? "loan-\(person)" : nil))
            await send(PlannedRequest(partner: agency, body: #"{"subject":"\#(person)","purpose":"credit_report","items":["person.dishonest_debtor"]}"#))
            if index % 4 == 0 {
                await send(PlannedRequest(partner: bank, path: "/v1/consents", body: """
                    {"subject":"\(person)","purposes":["credit_approval"],"items":["person.dishonest_debtor"],"valid_from":"2026-01-01","valid_to":"2026-12-31","use_limit":5,"document_digest":"\(digest)"}
                    """))
            }
            if index % 10 == 0 {
                await send(PlannedRequest(partner: bank, method: .GET, path: "/v1/consents/\(person)", body: nil))
                await send(PlannedRequest(partner: bank, method: .GET, path: "/v1/usage?subject=\(person)", body: nil))
                await send(PlannedRequest(partner: bank, body: #"{"subject":"91350100M000100Y43","purpose":"credit_approval","items":["enterprise.registration"],"note":"\#(person)"}"#))
                let wrong = String(person.dropLast()) + (person.last == "1" ? "2" : "1")
                await send(PlannedRequest(partner: bank, body: Bodies.personQuery(subject: wrong)))
                await send(PlannedRequest(partner: bank, path: "/v1/queries", body: #"{"subject":\#(person),"purpose":"credit_approval","items":[]}"#))
            }
        }
        await send(PlannedRequest(partner: bank, path: "/v1/watchlist", body: #"{"purpose":"post_loan_monitoring","subjects":[\#(people.prefix(20).map { "\"\($0)\"" }.joined(separator: ","))]}"#))
        await send(PlannedRequest(partner: bank, path: "/v1/batch-reviews", body: #"{"purpose":"batch_review","items":["person.dishonest_debtor","enterprise.registration"],"subjects":[\#(people.suffix(20).map { "\"\($0)\"" }.joined(separator: ","))]}"#))
        try await Task.sleep(for: .seconds(2))  // the batch review's worker
        let metrics = (try? await Probe.shared(pki: pki).text("http://127.0.0.1:\(port + 2)/metrics")).map { [$0] } ?? []
        await clients.shutdown()
        demo.signal(SIGINT)
        let stopped = await demo.wait().status
        // The demo stopped its database: start it again for pg_dump.
        let cluster = try await EmbeddedPostgres.start(.init(folder: state + "/postgres"))
        let dump = try ClearTextScan.dump(conninfo: cluster.configuration.conninfo ?? cluster.configuration.connectionString)
        await cluster.stop()
        var sent = Set(people)
        for person in people { sent.insert(String(person.dropLast()) + (person.last == "1" ? "2" : "1")) }
        let findings = ClearTextScan(sent: sent).scan(folder: root, dump: dump, metrics: metrics)
        for finding in findings { say("clear-text scan: FOUND \(finding)") }
        let summary = statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        say("answers: \(summary); the demo exited with \(stopped)")
        let figure = "demo: \(people.count) persons' ID numbers sent \(statuses.values.reduce(0, +)) times (queries, consents, watchlist, batch review, keys, paths, unknown members); clear ID numbers found \(findings.count) in pg_dump, \(metrics.count) metrics text, the demo's output and state folder; load average \(loadAverage())"
        return (figure, findings.isEmpty && metrics.count == 1 && !statuses.keys.contains(0) && !statuses.keys.contains { $0 >= 500 })
    }
}
