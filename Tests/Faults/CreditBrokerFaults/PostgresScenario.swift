import ArgumentParser
import Foundation
import Synchronization

/// Scenario 2: PostgreSQL stopped under load.
struct PostgresScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Stop PostgreSQL under load (fast and immediate shutdown, kill -9 of the postmaster), start it again; check answers, recovery and the meter ledger.",
        discussion: """
            While PostgreSQL is down every partner call must be answered 503 within 1 s (no request hangs), nothing \
            may be disclosed unmetered, the gateway must serve again by itself within 5 s of PostgreSQL's return, \
            every 200 answer received before the failure must have its meter event afterwards, and no answer of the \
            whole run, going down and coming back included, may be a 5xx other than 503.
            """
    )

    enum Stop: String, CaseIterable, ExpressibleByArgument {
        case fast, immediate, kill

        /// The signal to the postmaster: SIGINT is a fast shutdown, SIGQUIT an immediate one.
        var signal: Int32 {
            switch self {
            case .fast: SIGINT
            case .immediate: SIGQUIT
            case .kill: SIGKILL
            }
        }
    }

    @OptionGroup var topology: TopologyOptions
    @Option(parsing: .upToNextOption, help: "How to stop PostgreSQL, in order.") var stops: [Stop] = Stop.allCases
    @Option(help: "Seconds PostgreSQL stays down.") var outage = 4.0
    @Option(help: "Concurrent connections.") var connections = 32
    @Option(help: "Longest answer while the database is down, in seconds.") var answerBound = 1.0
    @Option(help: "Longest recovery after PostgreSQL is back, in seconds.") var recoveryBound = 5.0

    /// One exchange and when it happened.
    struct Exchange {
        let started: ContinuousClock.Instant
        let finished: ContinuousClock.Instant
        let status: Int?
        let problem: String?
    }

    func run() async throws {
        try await Topology.run(topology, name: "postgres", scenario)
    }

    private func scenario(_ world: Topology) async throws -> (figure: String, passed: Bool) {
        let gateway = try await world.startGateway()
        let (partners, clients) = try world.mixedClients(connections: connections)
        let load = Load(clients: clients, ports: [gateway.port])
        let record = ClientRecord()
        let exchanges = Locked<[Exchange]>([])
        let organisations = world.organisations
        load.start(workers: connections, timeout: .seconds(30)) { worker, n in
            let partner = partners[worker % partners.count]
            return PlannedRequest(
                partner: partner, body: Bodies.query(partner: partner, subject: organisations.randomElement()!),
                idempotencyKey: n % 4 == 0 ? "pg-\(worker)-\(n)" : nil
            )
        } record: { _, request, answer in
            record.note(request, answer)
            exchanges.withLock {
                $0.append(Exchange(started: answer.started, finished: answer.started + answer.latency, status: answer.status, problem: answer.problemType))
            }
        }

        var lines: [String] = []
        var failures: [String] = []
        var metrics: [String] = []
        var answeredBefore = Set<String>()
        var slowest = 0.0, slowestRecovery = 0.0
        var outages: [(stop: Stop, from: ContinuousClock.Instant, to: ContinuousClock.Instant)] = []
        for stop in stops {
            try await Task.sleep(for: .seconds(2))
            let postmaster = try world.postmasterPID()
            answeredBefore.formUnion(record.answered.keys)
            let stoppedAt = ContinuousClock.now
            kill(postmaster, stop.signal)
            try await Task.sleep(for: .seconds(outage))
            try world.restartCluster()
            let backAt = ContinuousClock.now
            outages.append((stop, stoppedAt, backAt))
            // The first 200 to a request sent after PostgreSQL was back.
            var recoveredAt: ContinuousClock.Instant?
            while recoveredAt == nil, ContinuousClock.now - backAt < .seconds(30) {
                try await Task.sleep(for: .milliseconds(20))
                recoveredAt = exchanges.withLock { $0.filter { $0.started >= backAt && $0.status == 200 }.map(\.finished).min() }
            }
            if let text = try? await gateway.metrics() { metrics.append(text) }
            let during = exchanges.withLock { $0.filter { $0.finished > stoppedAt && $0.started < backAt } }
            // How long each answer took from the moment the database was gone (or from its request, if later).
            let waits = during.map { (($0.finished - max($0.started, stoppedAt))).seconds }
            let longest = waits.max() ?? 0
            slowest = max(slowest, longest)
            let started = during.filter { $0.started > stoppedAt + .milliseconds(100) && $0.finished < backAt }
            var statuses: [String: Int] = [:]
            for exchange in started { statuses[exchange.status.map(String.init) ?? "none", default: 0] += 1 }
            // A backend that outlives its postmaster for a moment may still commit a meter event: such a
            // 200 is a correct answer (the ledger check below finds its event), not a failure.
            let wrong = started.filter { $0.status != 503 && $0.status != 200 }
            let recovery = recoveredAt.map { ($0 - backAt).seconds }
            slowestRecovery = max(slowestRecovery, recovery ?? .infinity)
            let line = String(
                format: "%@: %d requests sent while PostgreSQL was down: %@; longest answer %.2f s after it went; served again %@ after it was back",
                stop.rawValue, started.count, statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "),
                longest, recovery.map { String(format: "%.2f s", $0) } ?? "not within 30 s"
            )
            say(line)
            lines.append(line)
            if longest > answerBound { failures.append("\(stop.rawValue): an answer took \(String(format: "%.2f", longest)) s after PostgreSQL went") }
            if !wrong.isEmpty {
                let kinds = Dictionary(grouping: wrong) { "\($0.status.map(String.init) ?? "no answer") \($0.problem ?? "")" }.mapValues(\.count)
                failures.append("\(stop.rawValue): \(wrong.count) answers other than 503 (or a metered 200) while PostgreSQL was down: \(kinds)")
            }
            if (recovery ?? .infinity) > recoveryBound { failures.append("\(stop.rawValue): not serving within \(recoveryBound) s of PostgreSQL's return") }
            if started.isEmpty { failures.append("\(stop.rawValue): no request was sent while PostgreSQL was down") }
        }
        try await Task.sleep(for: .seconds(1))
        await load.stop()
        if let text = try? await gateway.metrics() { metrics.append(text) }
        await gateway.stop()
        await clients.shutdown()
        await world.reconnect()

        // A 5xx other than 503 is a failure anywhere in the run: while going down, while down, coming
        // back or in calm. Each is named by when it was sent relative to the nearest outage.
        let broken = exchanges.withLock { $0.filter { ($0.status ?? 0) >= 500 && $0.status != 503 } }
        if !broken.isEmpty {
            let kinds = Dictionary(grouping: broken) { exchange -> String in
                let phase = outages.min { abs(($0.from - exchange.started).seconds) < abs(($1.from - exchange.started).seconds) }.map { outage in
                    exchange.started < outage.from ? "before \(outage.stop.rawValue)"
                        : exchange.started < outage.to ? "during \(outage.stop.rawValue)" : "after \(outage.stop.rawValue)"
                } ?? "calm"
                return "\(exchange.status.map(String.init) ?? "") \(exchange.problem ?? "") sent \(phase)"
            }.mapValues(\.count)
            failures.append("\(broken.count) answers of 5xx other than 503 in the run (the gateway's log names each error's kind): \(kinds)")
        }

        let verdict = try await LedgerCheck(pool: world.pool).check(record)
        let lostBefore = verdict.lost.filter(answeredBefore.contains)
        let findings = try ClearTextScan.run(world, sent: [], metrics: metrics)
        say("answers: \(record.statusSummary)")
        for line in failures { say("FAILED: \(line)") }
        for line in verdict.lost.prefix(10) { say("LOST: request \(line) answered 200 without a committed meter event") }
        for line in verdict.quotaMismatches.prefix(10) { say("QUOTA: \(line)") }
        let figure = String(
            format: "PostgreSQL stopped under load (%@, %.0f s each): longest answer while down %.2f s (bound %.1f), slowest recovery %.2f s (bound %.1f), answers with 200 %d, 5xx other than 503 %d, lost %d (of them before a failure %d), quota mismatches %d, clear ID numbers %d; load average %@",
            stops.map(\.rawValue).joined(separator: ", "), outage, slowest, answerBound, slowestRecovery, recoveryBound,
            record.answered.count, broken.count, verdict.lost.count, lostBefore.count, verdict.quotaMismatches.count, findings.count, loadAverage()
        )
        return (figure, failures.isEmpty && verdict.clean && findings.isEmpty)
    }
}
