import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient

/// `POST /v1/queries` for random enterprises against a real `credit-broker serve` over mutual TLS,
/// beside pgbench on the same lookup and static mutual-TLS replies, interleaved in one run.
struct GatewayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Gateway queries/s over mutual TLS vs pgbench -M prepared on the same lookup and static mTLS replies (gateway /healthz, nginx).",
        discussion: """
            Needs the release credit-broker beside this executable (swift build -c release --product credit-broker), \
            wrk, curl, nginx and pgbench. The database, the development PKI and the contracts are kept in --state \
            and reused by later runs with the same --enterprises.
            """
    )

    @Option(help: "Enterprises in the database.") var enterprises = 1_000_000
    @Option(help: "Folder kept across runs: the PostgreSQL cluster, PKI, contracts and logs.") var state = "/var/tmp/credit-broker-bench-gateway"
    @Option(help: "wrk connections (keep-alive).") var connections = 64
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "Seconds per timed run.") var seconds = 10
    @Option(help: "Interleaved rounds of the four measurements; medians are reported.") var rounds = 3
    @Option(help: "Seconds of queries before the first round, not measured: the database server starts with an empty buffer cache.") var warmUp = 5
    @Option(help: "The gateway's database pool size, and pgbench's clients.") var poolSize = 16
    @Option(help: "The credit-broker executable (default: beside this one).") var binary: String?
    @Option(help: "The shared bench folder with loadgen.sh and nginx_mtls.sh (default: ../shared/bench beside the package).") var benchDir: String?
    @Flag(help: """
        Also print PostgreSQL's execution time, WAL and full-page images per query and per pgbench lookup, statement by statement \
        (pg_stat_statements, loaded for the run). A diagnosis, not a measurement of the targets: the extension costs every \
        statement a little, and pgbench runs one statement a lookup where the gateway batches many queries into one.
        """) var statements = false

    @Option(help: "Quota units each reservation of the gateway leases ahead (serve --quota-lease-units; default: serve's).") var quotaLeaseUnits: Int?

    static let partner = "bank.icbc_jiangsu"
    static let items = ["enterprise.registration", "enterprise.penalty", "enterprise.customs_credit_level"]

    func run() async throws {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bench = benchDir ?? root.deletingLastPathComponent().appending(path: "shared/bench").path
        let executable = self.executable
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no credit-broker at \(executable): swift build -c release --product credit-broker, or pass --binary")
        }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)

        let database = try BenchmarkDatabase.start(
            keepingIn: state + "/postgres", settings: statements ? ["shared_preload_libraries": "pg_stat_statements"] : [:])
        defer { database.stop() }
        let pool = PostgresPool(.init(connection: database.configuration, maxConnections: 2))
        try await Migrator(pool: pool).migrate()
        if statements { try await StatementCosts.install(pool) }
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loader = EnterpriseLoader(pool: pool, count: enterprises)
        if try await loader.ensureLoaded() {
            print("loaded \(enterprises) enterprises with raw COPY in \(clock.now - loadStart) (kept in \(state)/postgres)")
        } else {
            print("reusing the \(enterprises) enterprises in \(state)/postgres")
        }
        // The meter ledger is insert-only and every run adds to it; PostgreSQL's cost per query grows with its
        // indexes, so figures from runs on one kept database are read beside this count.
        let metered = try await pool.query("SELECT count(*) FROM meter_events")[0].decode(Int.self, at: 0)
        print("meter events already in the database: \(metered)")
        let codes = state + "/codes-\(enterprises).txt"
        if !FileManager.default.fileExists(atPath: codes) { try loader.writeCodes(to: codes) }

        let contracts = try writeContracts(root: root)
        let policies = ["--catalog", root.appending(path: "Policies/catalog.yaml").path, "--policies", root.appending(path: "Policies").path]
        let pki = state + "/pki"
        if !FileManager.default.fileExists(atPath: pki + "/ca.pem") {
            _ = try await ChildProcess.run(executable, ["pki", "init", "--out", pki, "--contracts", contracts] + policies)
        }
        let sealingKeys = state + "/sealing-keys"
        if !FileManager.default.fileExists(atPath: sealingKeys) {
            let text = Data(try SealingKeyring.newKeyFileText(id: "k1").utf8)
            guard FileManager.default.createFile(atPath: sealingKeys, contents: text, attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(sealingKeys)")
            }
        }
        let gateway = try GatewayProcess(
            binary: executable,
            // The benchmark's database belongs to its own cluster's superuser; its ledger is seeded once
            // from `contracts` with the bank's certificate pinned to the one of `pki`.
            arguments: ["--database-url", database.conninfo, "--contracts", contracts, "--state-dir", state + "/gateway",
                        "--db-pool-size", "\(poolSize)", "--allow-owner-role", "--seed-pki", pki] + policies
                + (quotaLeaseUnits.map { ["--quota-lease-units", "\($0)"] } ?? []),
            pki: pki, partner: Self.partner, log: state + "/gateway.log",
            environment: ["CREDIT_BROKER_PERSON_KEY_SECRET": "gateway-benchmark-person-key-secret-32+bytes", "CREDIT_BROKER_SEALING_KEYS": sealingKeys])
        defer { gateway.stop() }
        let nginx = try Self.startNginx(bench: bench, folder: state + "/nginx")
        defer { Self.stopNginx(bench: bench, folder: state + "/nginx") }

        let body = Self.body(subject: try EnterpriseLoader.code(1 + enterprises / 2).rawValue)
        let probe = try gateway.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", body, "https://127.0.0.1:\(gateway.port)/v1/queries"])
        guard probe == "200" else { throw ValidationError("a probe query answered \(probe); see \(state)/gateway.log") }

        let script = try writeQueryScript()
        let pgbenchScript = try writePgbenchScript()
        print("""
            \(Self.partner): contract copied to \(contracts) with its rate limit and quotas raised for the benchmark
            wrk -c \(connections) -t \(threads) -d \(seconds)s, keep-alive, client certificate via the shared wrk_clientcert.so; \
            pgbench -M prepared -c \(poolSize); \(rounds) interleaved rounds
            """)
        // Warm-up: the gateway's caches and connections, and loadgen.sh builds the shim wrk_clientcert.so;
        // then queries, unmeasured, for the database server, which the run has just started: its buffer
        // cache is empty and a checkpoint has just been taken, so every page a query first touches is
        // read in and every page it first changes is logged whole. Without it the first round's
        // PostgreSQL cost per query was 1.5–2 times the later rounds' (pgbench, run after the queries,
        // always found the cache warm). Only this run's programs are charged: those it started, and
        // its database server's.
        let measured: Set<Int32> = [getpid(), try await database.postmasterPID(pool)]
        _ = try load(url: "https://127.0.0.1:\(gateway.port)/healthz", certificate: gateway.clientCertificate, key: gateway.clientKey, bench: bench, seconds: 2, measured: measured)
        let queriesStarted = Date()
        _ = try queryLoad(port: gateway.port, gateway: gateway, script: script, codes: codes, seconds: warmUp, measured: measured)

        var queries: [LoadResult] = [], pgbench: [Double] = [], healthz: [LoadResult] = [], replies: [LoadResult] = []
        var lost: [Int] = []
        var queryCosts: [OperationCost] = [], lookupCosts: [OperationCost] = [], healthCosts: [OperationCost] = []
        var queryStatements: [StatementCosts] = [], lookupStatements: [StatementCosts] = []
        for round in 1...rounds {
            let before = try await lastMeterEvent(pool)
            if statements { try await StatementCosts.reset(pool) }
            let (query, queryCores) = try queryLoad(port: gateway.port, gateway: gateway, script: script, codes: codes, seconds: seconds, measured: measured)
            guard queryCores[gatewayPrograms[0].key, default: 0] > 0 else {
                // Charging the gateway nothing would read as every CPU target met.
                throw ValidationError("no CPU time found for the gateway's command name \(gatewayPrograms[0].key) during the queries")
            }
            if statements { queryStatements.append(try await StatementCosts.read(pool, per: query.successes)) }
            try await Task.sleep(for: .seconds(1))
            let metered = try await meteredSuccesses(pool, after: before)
            if statements { try await StatementCosts.reset(pool) }
            let (lookups, lookupCores) = try pgbenchRate(script: pgbenchScript, database: database, measured: measured)
            if statements { lookupStatements.append(try await StatementCosts.read(pool, per: Int(lookups * Double(seconds)))) }
            let (health, healthCores) = try load(url: "https://127.0.0.1:\(gateway.port)/healthz", certificate: gateway.clientCertificate, key: gateway.clientKey, bench: bench, seconds: seconds, measured: measured)
            let (reply, _) = try load(url: "https://127.0.0.1:\(nginx.port)\(nginx.path)", certificate: nginx.certificate, key: nginx.key, bench: bench, seconds: seconds, measured: measured)
            queries.append(query)
            pgbench.append(lookups)
            healthz.append(health)
            replies.append(reply)
            lost.append(max(0, query.successes - metered))
            queryCosts.append(OperationCost(cores: queryCores, rate: query.rate, programs: gatewayPrograms))
            lookupCosts.append(OperationCost(cores: lookupCores, rate: lookups, programs: ["postgres": "PostgreSQL", "pgbench": "pgbench"]))
            healthCosts.append(OperationCost(cores: healthCores, rate: health.rate, programs: gatewayPrograms))
            let stolen = [queryCores, lookupCores, healthCores].map { String(format: "%.2f", $0[ProcessCPU.stolen] ?? 0) }
            print("""
                round \(round) (load average \(BenchmarkTimer.loadAverage()); cores other guests of the host took during the query, pgbench and /healthz runs: \(stolen.joined(separator: ", "))):
                  gateway POST /v1/queries: \(query.summary); wrk 2xx \(query.successes), meter events with status 200 \(metered)
                    CPU per query \(queryCosts[round - 1].summary)
                  pgbench -M prepared:      \(Int(lookups.rounded())) lookups/s
                    CPU per lookup \(lookupCosts[round - 1].summary)
                  gateway GET /healthz:     \(health.summary)
                    CPU per request \(healthCosts[round - 1].summary)
                  nginx mTLS static reply:  \(reply.summary)
                """)
            if statements {
                print("""
                      PostgreSQL per query, by statement (execution time): \(queryStatements[round - 1].summary)
                      PostgreSQL per pgbench lookup (execution time): \(lookupStatements[round - 1].summary)
                    """)
            }
        }
        let rate = BenchmarkTimer.median(queries.map(\.rate))
        let p99 = BenchmarkTimer.median(queries.map(\.p99))
        let lookups = BenchmarkTimer.median(pgbench)
        let health = BenchmarkTimer.median(healthz.map(\.rate))
        let reply = BenchmarkTimer.median(replies.map(\.rate))
        let (queryCost, lookupCost, healthCost) = (OperationCost.median(queryCosts), OperationCost.median(lookupCosts), OperationCost.median(healthCosts))
        print(Self.summary(
            enterprises: enterprises, connections: connections, rounds: rounds,
            queries: (rate, BenchmarkTimer.median(queries.map(\.p50)), p99), lookups: lookups, health: health, reply: reply, lost: lost,
            costs: (queryCost, lookupCost, healthCost)
        ))
        // The gateway's count of units taken for the bank since the queries began (its leases
        // included): how many queries waited on a reservation.
        let taken = try await pool.query("""
            SELECT coalesce(sum(reservations), 0)::bigint, coalesce(sum(units), 0)::bigint FROM quota_inflight
            WHERE partner_id = \(Self.partner) AND side = 'taken' AND touched_at >= \(queriesStarted)
            """)[0]
        let (reservations, units) = (try taken.decode(Int.self, at: 0), try taken.decode(Int.self, at: 1))
        print(String(
            format: "  quota reservations over the run         %d for %d units taken (%.1f units each; queries that drew on a lease waited on the lookup alone before the meter event)",
            reservations, units, Double(units) / Double(max(reservations, 1))
        ))
        if statements {
            print("""
                PostgreSQL's execution time by statement (pg_stat_statements, medians; with the extension loaded, so not the targets' run):
                  per query          \(StatementCosts.median(queryStatements).summary)
                  per pgbench lookup \(StatementCosts.median(lookupStatements).summary)
                """)
            try await StatementCosts.uninstall(pool)
        }
        await pool.close()
    }

    /// The gateway's executable: `--binary`, or `credit-broker` beside this one.
    var executable: String {
        binary ?? URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "credit-broker").path
    }

    /// The programs a gateway measurement charges: the gateway, PostgreSQL and the load tool. The
    /// gateway goes by the command name Linux gives its executable (the file's name, cut to 15
    /// bytes), so that a `--binary` of another name (a build kept for comparison) is charged too.
    var gatewayPrograms: KeyValuePairs<String, String> {
        KeyValuePairs(dictionaryLiteral: (ProcessCPU.commandName(of: executable), "gateway"), ("postgres", "PostgreSQL"), ("wrk", "wrk"))
    }

    /// The run's medians against the query path's targets, each a ratio to a reference measured in
    /// the same run: the gateway's own CPU per query against its CPU per `/healthz` (TLS, HTTP and
    /// the server with no work), PostgreSQL's CPU per query against its CPU per pgbench lookup,
    /// the query rate against pgbench's; the p99 at the run's connections; no meter event lost.
    static func summary(
        enterprises: Int, connections: Int, rounds: Int, queries: (rate: Double, p50: Double, p99: Double),
        lookups: Double, health: Double, reply: Double, lost: [Int],
        costs: (query: OperationCost, lookup: OperationCost, health: OperationCost)
    ) -> String {
        func verdict(_ met: Bool) -> String { met ? "met" : "missed" }
        let gatewayRatio = costs.query["gateway"] / max(costs.health["gateway"], 1e-9)
        let postgresRatio = costs.query["PostgreSQL"] / max(costs.lookup["PostgreSQL"], 1e-9)
        let rateRatio = queries.rate / max(lookups, 1)
        return String(
            format: """
                gateway (%d enterprises, %d connections, medians of %d rounds, load average %@):
                  gateway POST /v1/queries   %.0f req/s, p50 %.2f ms, p99 %.2f ms
                  pgbench -M prepared        %.0f lookups/s
                  gateway GET /healthz mTLS  %.0f req/s
                  nginx static reply mTLS    %.0f req/s (for reference: queries ÷ nginx %.2f)
                CPU per operation, every program on the machine (cores used over the middle of each run ÷ its rate):
                  query    %@
                  lookup   %@
                  /healthz %@
                Targets (same-run ratios of the medians):
                  gateway CPU per query ÷ per /healthz      %5.2f  (target ≤ 2.5: %@)
                  PostgreSQL CPU per query ÷ per lookup     %5.2f  (target ≤ 1.25: %@)
                  queries/s ÷ pgbench lookups/s             %5.2f  (target ≥ 0.3: %@)
                  p99 at %d connections                     %5.1f ms (target ≤ 15 ms: %@)
                  meter events lost                         %5d  (per round %@: wrk 2xx minus status-200 meter events, which also count requests in flight when wrk stopped; target 0: %@)
                  round trips a query waits on in turn      2 by construction: the record lookup (with the quota reservation at once, unless the query draws on its process's lease), then the meter event's commit
                """,
            enterprises, connections, rounds, BenchmarkTimer.loadAverage(),
            queries.rate, queries.p50, queries.p99, lookups, health, reply, queries.rate / max(reply, 1),
            costs.query.summary, costs.lookup.summary, costs.health.summary,
            gatewayRatio, verdict(gatewayRatio <= 2.5),
            postgresRatio, verdict(postgresRatio <= 1.25),
            rateRatio, verdict(rateRatio >= 0.3),
            connections, queries.p99, verdict(queries.p99 <= 15),
            lost.max() ?? 0, lost.map(String.init).joined(separator: ", "), verdict(lost.allSatisfy { $0 == 0 })
        )
    }

    /// The request body for one subject.
    static func body(subject: String) -> String {
        let list = items.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"subject":""# + subject + #"","purpose":"credit_approval","items":["# + list + "]}"
    }

    /// The shipped contracts in `state/contracts`, the benchmark bank's rate limit and quotas raised
    /// so that they do not throttle the run.
    private func writeContracts(root: URL) throws -> String {
        let folder = state + "/contracts"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let source = root.appending(path: "Contracts")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".yaml") {
            var text = try String(contentsOf: source.appending(path: name), encoding: .utf8)
            if name == Self.partner + ".yaml" {
                text += "\nquotas: { per_day: 1000000000, per_month: 2000000000 }\nrate_limit: { per_second: 100000, burst: 100000 }\n"
            }
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        return folder
    }

    /// Requests each wrk thread formats per second of the run, beyond any rate it reaches: a
    /// request is sent twice only if the run outpaces them.
    static let requestsPerThreadSecond = 5_000

    /// wrk's Lua script: each request's body names a random enterprise from the codes file
    /// (wrk's arguments after the URL: the file, and how many requests to format per thread);
    /// `done` prints the shared bench's `RESULT` line.
    private func writeQueryScript() throws -> String {
        let halves = Self.body(subject: "|").split(separator: "|")
        let (prefix, suffix) = (halves[0], halves[1])
        let path = state + "/queries.lua"
        try """
            local prefix = '\(prefix)'
            local suffix = '\(suffix)'
            local headers = { ["Content-Type"] = "application/json" }
            local requests = {}
            local sent = 0
            local counter = 0
            setup = function(thread)
              counter = counter + 1
              thread:set("id", counter)
            end
            -- args: the codes file (one 18-character USCC per line) and how many requests each thread
            -- formats before the run, for random enterprises, so that sending one costs wrk no Lua work.
            init = function(args)
              local file = assert(io.open(args[1], "rb"))
              local codes = file:read("*a")
              file:close()
              math.randomseed(os.time() * 100 + id)
              for i = 1, tonumber(args[2]) do
                local start = (math.random(#codes / 19) - 1) * 19 + 1
                requests[i] = wrk.format("POST", nil, headers, prefix .. codes:sub(start, start + 17) .. suffix)
              end
            end
            request = function()
              sent = sent % #requests + 1
              return requests[sent]
            end
            done = function(summary, latency, requests)
              local e = summary.errors
              local secs = summary.duration / 1e6
              io.write(string.format(
                "RESULT rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f requests=%d non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d kbps=%.1f\\n",
                summary.requests / secs,
                latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
                latency.max / 1000, latency.mean / 1000,
                summary.requests, e.status, e.connect, e.read, e.write, e.timeout,
                summary.bytes / secs / 1024))
            end

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// pgbench's script: `RecordStore`'s disclosure lookup for the same items, the subject drawn
    /// at random through the helper table `bench_enterprises (n → subject_key)` in the same statement.
    private func writePgbenchScript() throws -> String {
        let items = "'{" + Self.items.joined(separator: ",") + "}'::text[]"
        let sql = RecordStore.disclosable.sql
            .replacingOccurrences(of: "$1", with: "ARRAY(SELECT subject_key FROM bench_enterprises WHERE n = :n)")
            .replacingOccurrences(of: "$2::text[]", with: items)
            .replacingOccurrences(of: "$3::text[]", with: items)
            .replacingOccurrences(of: "$4::date", with: "CURRENT_DATE")
            .split(separator: "\n").joined(separator: " ")
        let path = state + "/lookup.sql"
        try "\\set n random(1, \(enterprises))\n\(sql);\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The query run's figures and the cores the gateway, PostgreSQL and wrk used during it.
    private func queryLoad(port: Int, gateway: GatewayProcess, script: String, codes: String, seconds: Int, measured: Set<Int32>) throws -> (LoadResult, [String: Double]) {
        let shim = (ProcessInfo.processInfo.environment["BENCH_BUILD_DIR"]
            ?? (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/bench-wrk-shim") + "/wrk_clientcert.so"
        let (output, cores) = try ProcessCPU.cores(of: Set(gatewayPrograms.map(\.key)), under: measured, over: seconds) {
            try ChildProcess.start("/usr/bin/wrk", [
                "-t", "\(threads)", "-c", "\(connections)", "-d", "\(seconds)s", "--timeout", "5s", "-s", script,
                "https://127.0.0.1:\(port)/v1/queries", codes, "\(seconds * Self.requestsPerThreadSecond)",
            ], environment: ["LD_PRELOAD": shim, "WRK_CLIENT_CERT": gateway.clientCertificate, "WRK_CLIENT_KEY": gateway.clientKey])
        }
        return (try LoadResult(output: output), cores)
    }

    /// One `loadgen.sh` run (wrk, GET, keep-alive) with a client certificate, and the cores the
    /// gateway, PostgreSQL and wrk used during it.
    private func load(url: String, certificate: String, key: String, bench: String, seconds: Int, measured: Set<Int32>) throws -> (LoadResult, [String: Double]) {
        let (output, cores) = try ProcessCPU.cores(of: Set(gatewayPrograms.map(\.key)), under: measured, over: seconds) {
            try ChildProcess.start(bench + "/loadgen.sh", [
                "-c", "\(connections)", "-t", "\(threads)", "-d", "\(seconds)", "--cert", certificate, "--key", key, url,
            ])
        }
        return (try LoadResult(output: output), cores)
    }

    /// pgbench's lookups per second, and the cores PostgreSQL and pgbench used during the run.
    private func pgbenchRate(script: String, database: BenchmarkDatabase, measured: Set<Int32>) throws -> (Double, [String: Double]) {
        let pgbench = try BenchmarkDatabase.toolPath("pgbench")
        let (output, cores) = try ProcessCPU.cores(of: ["postgres", "pgbench"], under: measured, over: seconds) {
            try ChildProcess.start(pgbench, [
                "-n", "-M", "prepared", "-c", "\(poolSize)", "-j", "\(threads)", "-T", "\(seconds)", "-f", script, database.conninfo,
            ])
        }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let value = Double(line.dropFirst(6).prefix(while: { $0.isNumber || $0 == "." }))
        else { throw ValidationError("cannot read pgbench's tps from: \(output)") }
        return (value, cores)
    }

    /// The newest meter event's id: a round's events are those after it (no query is in flight
    /// between rounds). Counting them by the primary key reads only the round's rows; counting the
    /// partner's events over the whole ledger scanned all of it (over 3 M rows, a second on three
    /// processes) before and after every query load.
    private func lastMeterEvent(_ pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT coalesce(max(id), 0)::int8 FROM meter_events")[0].decode(Int.self, at: 0)
    }

    private func meteredSuccesses(_ pool: PostgresPool, after id: Int) async throws -> Int {
        try await pool.query("""
            SELECT count(*) FROM meter_events
            WHERE id > \(id) AND partner_id = \(Self.partner) AND endpoint LIKE '%/v1/queries' AND http_status = 200
            """)[0].decode(Int.self, at: 0)
    }

    /// Stops the private nginx: from a `defer`, which cannot await; the bench has nothing else to run then.
    private static func stopNginx(bench: String, folder: String) {
        _ = try? ChildProcess.run(bench + "/nginx_mtls.sh", ["stop", folder])
    }

    /// A private nginx serving a fixed JSON with `ssl_verify_client on` (the shared bench's anchor).
    private static func startNginx(bench: String, folder: String) throws -> (port: Int, path: String, certificate: String, key: String) {
        let output = try ChildProcess.run(bench + "/nginx_mtls.sh", ["start", folder])
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
        }
        guard let port = values["MTLS_PORT"].flatMap(Int.init), let path = values["URL_PATH"], let pki = values["PKI"] else {
            throw ValidationError("nginx_mtls.sh start printed no MTLS_PORT, URL_PATH and PKI: \(output)")
        }
        return (port, path, pki + "/client1.crt", pki + "/client1.key")
    }
}
