import ArgumentParser
import BrokerCore
import ChildProcesses
import Foundation
import PostgresClient

/// Point lookups per second through `PostgresPool` beside `pgbench -M prepared` on the same query.
///
/// The pool's clients run two ways in every run: on the reply thread's executor
/// (`PostgresPool.replyExecutor`, how a task that mostly waits on the database runs best; the
/// figure the target is about) and on Swift's global executor (each reply then wakes a second
/// thread to run its caller).
struct PoolLookupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool-lookup",
        abstract: "Primary-key lookups on a 1,000,000-row table: PostgresPool vs pgbench -M prepared, same clients, same run."
    )

    @Option(help: "Rows in the table.") var rows = 1_000_000
    @Option(help: "Concurrent clients (pool connections and pgbench clients).") var clients = 8
    @Option(help: "Seconds per timed run.") var seconds = 10
    @Option(help: "Alternating runs of each side; medians are reported.") var runs = 3
    @Option(help: "A run in which other guests of the host took more than this many cores (steal time) in any phase is run again, up to twice as many runs in all; 0 keeps every run.")
    var maxStolen = 0.05

    static let lookup = PostgresStatement("SELECT doc FROM subjects WHERE id = $1")

    func run() async throws {
        let database = try BenchmarkDatabase.start()
        defer { database.stop() }
        let pool = PostgresPool(.init(connection: database.configuration, maxConnections: clients))
        print("loading \(rows) rows of ~1.1 KB jsonb …")
        try await pool.query("DROP TABLE IF EXISTS subjects")
        try await pool.query("CREATE TABLE subjects (id bigint PRIMARY KEY, doc jsonb NOT NULL)")
        try await pool.query("""
            INSERT INTO subjects
            SELECT g, jsonb_build_object('id', g, 'name', 'enterprise ' || g, 'pad', repeat('x', 1050))
            FROM generate_series(1, \(rows)) g
            """)
        try await pool.query("VACUUM ANALYZE subjects")

        let script = NSTemporaryDirectory() + "pool-lookup-\(getpid()).sql"
        try "\\set id random(1, \(rows))\nSELECT doc FROM subjects WHERE id = :id;\n".write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }

        // CPU per lookup of each side's client and of PostgreSQL (this process or pgbench, and the
        // database server's processes), read over the middle of each run as the gateway bench does.
        let roots: Set<Int32> = [getpid(), try await database.postmasterPID(pool)]
        let me = (try? String(contentsOfFile: "/proc/self/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let ours: KeyValuePairs = [me: "client", "postgres": "PostgreSQL"]
        var pgbench = Series(), reply = Series(), global = Series()
        var attempts = 0, repeated = 0
        while pgbench.rates.count < runs {
            attempts += 1
            let (rate, cores) = try pgbenchRate(script: script, database: database, roots: roots)
            let (replyRate, replyCores) = try await poolRate(pool, on: PostgresPool.replyExecutor, roots: roots, programs: [me, "postgres"])
            let (globalRate, globalCores) = try await poolRate(pool, on: nil, roots: roots, programs: [me, "postgres"])
            let stolen = [cores, replyCores, globalCores].map { $0[ProcessCPU.stolen] ?? 0 }
            let stolenText = stolen.map { String(format: "%.2f", $0) }.joined(separator: ", ")
            if maxStolen > 0, stolen.contains(where: { $0 > maxStolen }), attempts < 2 * runs {
                repeated += 1
                print(String(format: "attempt %d: not counted, other guests took %@ cores (pgbench, reply executor, global executor; limit %.2f); ratio would be %.2f", attempts, stolenText, maxStolen, replyRate / rate))
                continue
            }
            pgbench.append(rate, cores, programs: ["pgbench": "client", "postgres": "PostgreSQL"])
            reply.append(replyRate, replyCores, programs: ours)
            global.append(globalRate, globalCores, programs: ours)
            let run = pgbench.rates.count
            print(String(
                format: "run %d: PostgresPool %.0f lookups/s (on the global executor %.0f), pgbench %.0f tx/s, ratio %.2f (%.2f); other guests took %@ cores",
                run, replyRate, globalRate, rate, replyRate / rate, globalRate / rate, stolenText
            ))
            print("  CPU per lookup: PostgresPool \(reply.costs[run - 1].summary) (global: \(global.costs[run - 1].summary)), pgbench \(pgbench.costs[run - 1].summary)")
        }
        if repeated > 0 { print("\(repeated) run(s) repeated because other guests of the host took more than \(maxStolen) cores") }
        print(String(
            format: "pool-lookup (%d clients, %d rows): PostgresPool %.0f lookups/s | pgbench -M prepared %.0f tx/s | ratio %.2f (target ≥ 0.80)",
            clients, rows, reply.medianRate, pgbench.medianRate, reply.medianRate / pgbench.medianRate
        ))
        print(String(format: "  the same clients on the global executor: %.0f lookups/s, ratio %.2f", global.medianRate, global.medianRate / pgbench.medianRate))
        print("CPU per lookup (medians): PostgresPool \(reply.medianCost.summary), on the global executor \(global.medianCost.summary), pgbench \(pgbench.medianCost.summary)")
        await pool.close()
    }

    private func pgbenchRate(script: String, database: BenchmarkDatabase, roots: Set<Int32>) throws -> (Double, [String: Double]) {
        let pgbench = try BenchmarkDatabase.toolPath("pgbench")
        let (output, cores) = try ProcessCPU.cores(of: ["postgres", "pgbench"], under: roots, over: seconds) {
            try ChildProcess.start(pgbench, [
                "-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(min(clients, 2))", "-T", "\(seconds)", "-f", script, database.conninfo,
            ])
        }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let value = Double(line.dropFirst(6).prefix(while: { $0.isNumber || $0 == "." }))
        else { throw ValidationError("cannot read pgbench's tps from: \(output)") }
        return (value, cores)
    }

    /// The pool's lookups per second with its clients on `executor` (nil: the global executor), and
    /// the cores `programs` used over the middle of the run (as `ProcessCPU.cores(of:under:over:_:)`
    /// measures a child program, with the pool in this process).
    private func poolRate(
        _ pool: PostgresPool, on executor: (any TaskExecutor)?, roots: Set<Int32>, programs: Set<String>
    ) async throws -> (Double, [String: Double]) {
        async let rate = poolRate(pool, on: executor)
        let window = Double(max(seconds - 2, 1))
        try await Task.sleep(for: .seconds(1))
        let before = ProcessCPU.seconds(of: programs, under: roots)
        try await Task.sleep(for: .seconds(window))
        let after = ProcessCPU.seconds(of: programs, under: roots)
        return (try await rate, ProcessCPU.cores(of: programs, from: before, to: after, over: window))
    }

    private func poolRate(_ pool: PostgresPool, on executor: (any TaskExecutor)?) async throws -> Double {
        let rows = self.rows
        let deadline = ContinuousClock.now + .seconds(seconds)
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask(executorPreference: executor) {
                    var done = 0
                    // A generator seeded once per client and run, as pgbench's own: the system's
                    // asks the kernel for every number (`getrandom`, 1 % of the client's samples).
                    var generator = SplitMix64(seed: UInt64.random(in: .min ... .max))
                    while ContinuousClock.now < deadline {
                        let id = Int.random(in: 1...rows, using: &generator)
                        let result = try await pool.execute(Self.lookup, [id])
                        _ = try result[0].decode(String.self, at: 0)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// One side's rates and CPU costs, run by run.
    private struct Series {
        var rates: [Double] = []
        var costs: [OperationCost] = []

        mutating func append(_ rate: Double, _ cores: [String: Double], programs: KeyValuePairs<String, String>) {
            rates.append(rate)
            costs.append(OperationCost(cores: cores, rate: rate, programs: programs))
        }

        var medianRate: Double { BenchmarkTimer.median(rates) }
        var medianCost: OperationCost { OperationCost.median(costs) }
    }
}
