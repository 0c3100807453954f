import ArgumentParser
import BrokerCore
import Foundation
import Synchronization

/// Scenario 3: the quota race across gateway processes.
struct QuotaScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Several gateway processes × many clients race for one agency's daily quota; exactly the quota is granted, also across midnight.",
        discussion: """
            Each repetition takes a fresh agency whose contract allows --quota queries a day. --clients clients per \
            process send queries until the quota-exhausted 429 comes back. Exactly --quota answers must be 200, and the \
            day's counter and the agency's committed billable events must both be --quota. The day-boundary runs start \
            the processes with an injected clock (serve --test-clock-offset, a test-only option) that reaches midnight \
            China time a few seconds into the run: the day before and the day after must each grant exactly --quota.
            """
    )

    @OptionGroup var topology: TopologyOptions
    @Option(help: "Gateway processes on the one database.") var processes = 3
    @Option(help: "Clients per process.") var clients = 50
    @Option(help: "The agency's daily quota.") var quota = 1_000
    @Option(help: "Repetitions with the real clock.") var repetitions = 20
    @Option(help: "Repetitions across a day boundary (injected clock).") var boundaryRepetitions = 2

    func run() async throws {
        let agencies = try FileManager.default.contentsOfDirectory(atPath: "Contracts")
            .filter { $0.hasPrefix("agency.") && $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
            .filter { !Topology.agencies.contains($0) }.sorted()
        guard agencies.count >= repetitions + boundaryRepetitions else {
            throw ValidationError("only \(agencies.count) agencies to race with: at most that many repetitions in all")
        }
        let racing = Array(agencies.prefix(repetitions + boundaryRepetitions))
        let override = Topology.ContractOverride(
            quotas: "{ per_day: \(quota), per_month: \(quota * 1_000) }", term: "{ from: 2026-01-01, to: 2030-12-31 }"
        )
        try await Topology.run(topology, name: "quota", overrides: Dictionary(uniqueKeysWithValues: racing.map { ($0, override) })) { world in
            try await scenario(world, racing: racing)
        }
    }

    /// One race's outcome.
    struct Race {
        var granted = 0
        var exhausted = 0
        /// Answers with another status, by status.
        var other: [Int: Int] = [:]
        /// Requests that got no answer (the client gave up or the connection failed), by the client's error.
        var unanswered: [String: Int] = [:]
        var seconds = 0.0
    }

    private func scenario(_ world: Topology, racing: [String]) async throws -> (figure: String, passed: Bool) {
        var failures: [String] = []
        var grants: [Int] = []
        var durations: [Double] = []
        let starting = ContinuousClock.now
        var gateways = try await start(processes, in: world)
        // How long the processes take to be ready (one after another), for the boundary runs' clocks.
        let startSeconds = (ContinuousClock.now - starting).seconds
        // Every client of the first race opens its connection at once (150 TLS handshakes on two
        // cores): with the harness's usual 2 s connect bound about a hundred of them timed out and
        // were sent again. Nothing is killed here, so a connection may take as long as an answer.
        let pool = try PartnerClients(
            pki: world.pki, banks: [], agencyKeys: world.agencyKeys, connections: clients, connectTimeout: .seconds(20)
        )
        for (index, agency) in racing.prefix(repetitions).enumerated() {
            let race = try await race(agency, ports: gateways.map(\.port), clients: pool, world: world, until: nil)
            grants.append(race.granted)
            durations.append(race.seconds)
            let counted = try await counted(agency, world: world)
            say(String(format: "race %d (%@): %d granted, %d refused as exhausted, other %@, unanswered %@, counter %@, committed %@, %.1f s",
                       index + 1, agency, race.granted, race.exhausted, "\(race.other)", "\(race.unanswered)", "\(counted.counters)",
                       "\(counted.events)", race.seconds))
            if race.granted != quota || counted.counters.values.contains(where: { $0 != quota }) || counted.events.values.reduce(0, +) != quota {
                failures.append("race \(index + 1): \(race.granted) granted, counters \(counted.counters), events \(counted.events)")
            }
        }
        for gateway in gateways { await gateway.stop() }

        // Across midnight: every process's clock reads the same instant, a few seconds before
        // midnight China time, so the day before runs out first and the day after starts afresh.
        var boundaryGrants: [String] = []
        for agency in racing.dropFirst(repetitions) {
            let lead = max(4.0, 3 * percentile(durations, 50))
            let now = Date()
            let midnight = CivilDate(now).adding(days: 1).start()
            // The processes' clocks are set 20 s earlier than their start needs (the first start took
            // `startSeconds`); once they are ready the race waits until they read `lead` before midnight.
            let offset = midnight.timeIntervalSince(now) - lead - startSeconds - 20
            gateways = try await start(processes, in: world, arguments: ["--test-clock-offset", String(format: "%.3f", offset)])
            let raceStart = midnight.addingTimeInterval(-lead - offset)  // real time at which their clocks read midnight − lead
            if raceStart.timeIntervalSinceNow > 0 { try await Task.sleep(for: .seconds(raceStart.timeIntervalSinceNow)) }
            let race = try await race(agency, ports: gateways.map(\.port), clients: pool, world: world, until: .seconds(lead * 3 + 3))
            for gateway in gateways { await gateway.stop() }
            let counted = try await counted(agency, world: world)
            let days = counted.counters.filter { $0.key.hasPrefix("day") }.sorted { $0.key < $1.key }
            say("across midnight (\(agency)): \(race.granted) granted, counters \(counted.counters), committed \(counted.events)")
            boundaryGrants.append(days.map { "\($0.value)" }.joined(separator: "+"))
            if days.count != 2 || days.contains(where: { $0.value != quota }) || race.granted != 2 * quota
                || counted.events.sorted(by: { $0.key < $1.key }).map(\.value) != [quota, quota] {
                failures.append("across midnight: \(race.granted) granted, counters \(counted.counters), events by day \(counted.events)")
            }
        }
        await pool.shutdown()
        let verdict = try await LedgerCheck(pool: world.pool).quotaMismatches()
        for line in verdict.prefix(10) { say("QUOTA: \(line)") }
        for line in failures { say("FAILED: \(line)") }
        let findings = try ClearTextScan.run(world, sent: [], metrics: [])
        let figure = String(
            format: "quota race: %d processes × %d clients, quota %d: granted %@ in %d races%@; counter mismatches %d, clear ID numbers %d; median race %.1f s; load average %@",
            processes, clients, quota, Set(grants).sorted().map(String.init).joined(separator: "/"), grants.count,
            boundaryGrants.isEmpty ? "" : ", across midnight " + boundaryGrants.joined(separator: ", "),
            verdict.count, findings.count, percentile(durations, 50), loadAverage()
        )
        return (figure, failures.isEmpty && verdict.isEmpty && findings.isEmpty)
    }

    private func start(_ count: Int, in world: Topology, arguments: [String] = []) async throws -> [GatewayProcess] {
        var started: [GatewayProcess] = []
        for _ in 0..<count { started.append(try await world.startGateway(extraArguments: arguments)) }
        // A race must not share the CPU with the browsers each `serve` warms for reports at start.
        for gateway in started { await gateway.waitUntilWarm() }
        return started
    }

    /// `clients` clients per process query for `agency` until each has been refused as exhausted
    /// (or, with `until`, for that long).
    private func race(_ agency: String, ports: [Int], clients pool: PartnerClients, world: Topology, until: Duration?) async throws -> Race {
        let load = Load(clients: pool, ports: ports)
        let outcome = Locked(Race())
        let done = Locked(Set<Int>())
        let organisations = world.organisations
        let started = ContinuousClock.now
        let deadline = until.map { started + $0 }
        load.start(workers: clients * ports.count) { worker, _ in
            if let deadline { return ContinuousClock.now < deadline ? PlannedRequest(partner: agency, body: Bodies.query(partner: agency, subject: organisations.randomElement()!)) : nil }
            return done.withLock { $0.contains(worker) } ? nil
                : PlannedRequest(partner: agency, body: Bodies.query(partner: agency, subject: organisations.randomElement()!))
        } record: { worker, _, answer in
            outcome.withLock { race in
                switch (answer.status, answer.problemType) {
                case (200, _): race.granted += 1
                case (429, "quota-exhausted"):
                    race.exhausted += 1
                    done.withLock { _ = $0.insert(worker) }
                case (nil, _): race.unanswered[answer.failure ?? "no error", default: 0] += 1
                case (let status?, _): race.other[status, default: 0] += 1
                }
            }
        }
        if let until {
            try await Task.sleep(for: until)
        } else {
            while done.withLock({ $0.count }) < clients * ports.count, ContinuousClock.now - started < .seconds(300) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        await load.stop()
        var race = outcome.withLock { $0 }
        race.seconds = (ContinuousClock.now - started).seconds
        return race
    }

    /// The agency's quota counters (`day 2026-12-05` → used) and its committed billable events with a
    /// status below 400 by China day.
    private func counted(_ agency: String, world: Topology) async throws -> (counters: [String: Int], events: [String: Int]) {
        var counters: [String: Int] = [:]
        for row in try await world.pool.query("SELECT period_kind, period_start::text, used FROM quota_counters WHERE partner_id = \(agency)") {
            counters["\(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1))"] = try row.decode(Int.self, at: 2)
        }
        var events: [String: Int] = [:]
        for row in try await world.pool.query("""
            SELECT (((occurred_at AT TIME ZONE 'UTC') + \(CivilDate.chinaUTCOffset) * interval '1 second')::date)::text, count(*)
            FROM meter_events WHERE partner_id = \(agency) AND endpoint = 'POST /v1/queries' AND http_status < 400 GROUP BY 1
            """) {
            events[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        return (counters, events)
    }
}
