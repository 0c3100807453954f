import ArgumentParser
import Foundation
import Synchronization

/// Scenario 1: kill -9 under load.
struct KillScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill",
        abstract: "kill -9 the gateway under load at random moments, restart it, repeat; then check the meter ledger, the quotas and idempotency.",
        discussion: """
            64 connections (by default) of four banks (client certificates) and four agencies (API keys) send \
            POST /v1/queries for random organisations and persons, a third of them with an Idempotency-Key. \
            The gateway is killed with SIGKILL at a random moment, restarted on the same port, --kills times. \
            Then: every 200 answer a client received has exactly one committed meter event (by request id); no \
            Idempotency-Key was answered under two request ids; every quota counter equals its committed billable \
            events; every key answered before a kill answers the same, byte for byte, when retried after the last \
            restart; and no clear ID number is anywhere (scenario 8).
            """
    )

    @OptionGroup var topology: TopologyOptions
    @Option(help: "Kills (each followed by a restart).") var kills = 10
    @Option(help: "Concurrent connections (closed-loop clients).") var connections = 64
    @Option(help: "Least seconds of load before each kill.") var minimumLoad = 1.0
    @Option(help: "Most seconds of load before each kill.") var maximumLoad = 4.0

    func run() async throws {
        try await Topology.run(topology, name: "kill", scenario)
    }

    private func scenario(_ world: Topology) async throws -> (figure: String, passed: Bool) {
        let gateway = try await world.startGateway()
        let (partners, clients) = try world.mixedClients(connections: connections)
        let load = Load(clients: clients, ports: [gateway.port])
        let record = ClientRecord()
        let sent = Locked(Set<String>())
        let (organisations, persons) = (world.organisations, world.persons)
        load.start(workers: connections) { worker, n in
            let partner = partners[worker % partners.count]
            var random = SystemRandomNumberGenerator()
            var request = PlannedRequest(partner: partner)
            // A tenth of the banks' queries are about persons: their ID numbers must end up nowhere in clear.
            if partner.hasPrefix("bank."), Int.random(in: 0..<10, using: &random) == 0 {
                let person = persons.randomElement(using: &random)!
                sent.withLock { _ = $0.insert(person) }
                request.body = Bodies.personQuery(subject: person)
                if Int.random(in: 0..<2, using: &random) == 0 { request.idempotencyKey = "loan-\(person)-\(worker)-\(n)" }
            } else {
                request.body = Bodies.query(partner: partner, subject: organisations.randomElement(using: &random)!)
                if Int.random(in: 0..<3, using: &random) == 0 { request.idempotencyKey = "k-\(worker)-\(n)" }
            }
            return request
        } record: { _, request, answer in
            record.note(request, answer)
        }

        var restarts: [Double] = []
        var metrics: [String] = []
        for kill in 1...kills {
            try await Task.sleep(for: .seconds(Double.random(in: minimumLoad...maximumLoad)))
            if let text = try? await gateway.metrics() { metrics.append(text) }
            let before = record.answered.count
            await gateway.kill9()
            let killed = ContinuousClock.now
            try await gateway.restart()
            restarts.append((ContinuousClock.now - killed).seconds)
            say(String(format: "kill %d: SIGKILL after %d answers with 200 in all; ready again after %.2f s", kill, before, restarts.last!))
        }
        try await Task.sleep(for: .seconds(1))
        await load.stop()

        // Every key retried once after the last restart.
        var identical = 0, differing: [String] = [], claimed = 0, fresh = 0
        for keyed in record.keyed.values {
            let retry = await clients.send(keyed.request, port: gateway.port)
            if let first = keyed.answer {
                if retry.status == first.status, retry.body == first.body, retry.replayed {
                    identical += 1
                } else {
                    differing.append("a key of \(keyed.request.partner): first \(first.status ?? 0), retry \(retry.status.map(String.init) ?? "no answer")")
                }
            } else if retry.status == 409 {
                claimed += 1
            } else {
                fresh += 1
                record.note(keyed.request, retry)
            }
        }
        if let text = try? await gateway.metrics() { metrics.append(text) }
        await gateway.stop()
        await clients.shutdown()

        let verdict = try await LedgerCheck(pool: world.pool).check(record)
        let findings = try ClearTextScan.run(world, sent: sent.withLock { $0 }, metrics: metrics)
        say("answers: \(record.statusSummary); \(record.keyed.count) Idempotency-Keys")
        say("""
            keys retried after the last restart: \(identical) replayed identically, \(differing.count) differently, \
            \(claimed) still claimed by a killed process (409), \(fresh) answered afresh
            """)
        for line in verdict.lost.prefix(10) { say("LOST: request \(line) answered 200 without a committed meter event") }
        for line in verdict.doubled.prefix(10) { say("DOUBLED: \(line)") }
        for line in verdict.quotaMismatches.prefix(10) { say("QUOTA: \(line)") }
        for line in differing.prefix(10) { say("IDEMPOTENCY: \(line)") }
        let restart = percentile(restarts, 50)
        let figure = String(
            format: "kill -9 under load: %d kills, %d answers with 200 (%d disclosing), %d meter events; lost %d, doubled %d, quota mismatches %d, keys answering differently %d, keys left claimed %d, clear ID numbers %d; restart median %.2f s; load average %@",
            kills, record.answered.count, record.disclosing, verdict.meterEvents, verdict.lost.count, verdict.doubled.count,
            verdict.quotaMismatches.count, differing.count, claimed, findings.count, restart, loadAverage()
        )
        if claimed > 0 { say("IDEMPOTENCY: \(claimed) keys whose request died with a killed process still answer 409 after the restart") }
        return (figure, verdict.clean && differing.isEmpty && claimed == 0 && findings.isEmpty && !record.answered.isEmpty)
    }
}
