import ArgumentParser
import Foundation
import PostgresClient

/// COPY rows per second through `PostgresConnection.copyFromStdin` beside `psql \copy` of the same file.
struct CopyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "COPY a CSV file into a table with a primary key: PostgresClient vs psql \\copy, same file, same run."
    )

    @Option(help: "Rows in the CSV file (~280 bytes each).") var rows = 1_000_000
    @Option(help: "Alternating runs of each side; medians are reported.") var runs = 3

    func run() async throws {
        let database = try BenchmarkDatabase.start()
        defer { database.stop() }
        let file = NSTemporaryDirectory() + "copy-bench-\(getpid()).csv"
        try writeFile(file)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let pool = PostgresPool(.init(connection: database.configuration, maxConnections: 1))
        try await pool.query("DROP TABLE IF EXISTS copy_target")
        try await pool.query("""
            CREATE TABLE copy_target (id bigint PRIMARY KEY, code text, name text, city text, amount numeric, decided date, note text)
            """)
        let copySQL = "COPY copy_target (id, code, name, city, amount, decided, note) FROM STDIN WITH (FORMAT csv)"

        var ours: [Double] = []
        var baseline: [Double] = []
        for run in 1...runs {
            try await pool.query("TRUNCATE copy_target")
            let psqlStart = ContinuousClock.now
            _ = try BenchmarkDatabase.tool("psql", [
                "-v", "ON_ERROR_STOP=1", "-q", "-c", "\\copy copy_target (id, code, name, city, amount, decided, note) FROM '\(file)' WITH (FORMAT csv)",
                database.conninfo,
            ])
            let psqlRate = Double(rows) / seconds(since: psqlStart)

            try await pool.query("TRUNCATE copy_target")
            let ourStart = ContinuousClock.now
            let copied = try await pool.withConnection { connection in
                try await connection.copyFromStdin(PostgresQuery(unsafeSQL: copySQL)) { writer in
                    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
                    defer { try? handle.close() }
                    while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                        try chunk.withUnsafeBytes { try writer.write($0) }
                    }
                }
            }
            guard copied == rows else { throw ValidationError("copied \(copied) of \(rows) rows") }
            let ourRate = Double(rows) / seconds(since: ourStart)
            ours.append(ourRate)
            baseline.append(psqlRate)
            print(String(format: "run %d: PostgresClient %.0f rows/s, psql \\copy %.0f rows/s, ratio %.2f", run, ourRate, psqlRate, ourRate / psqlRate))
        }
        let medianOurs = BenchmarkTimer.median(ours)
        let medianBaseline = BenchmarkTimer.median(baseline)
        print(String(
            format: "copy (%d rows): PostgresClient %.0f rows/s | psql \\copy %.0f rows/s | ratio %.2f (target ≥ 0.90)",
            rows, medianOurs, medianBaseline, medianOurs / medianBaseline
        ))
        await pool.close()
    }

    private func writeFile(_ path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw ValidationError("cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = ""
        for id in 1...rows {
            chunk += "\(id),91320100MA\(String(format: "%08d", id)),\"江苏示例企业\(id)有限公司\",南京市鼓楼区,\(id % 100_000).25,2024-0\(id % 9 + 1)-1\(id % 9),\"\(String(repeating: "n", count: 150))\"\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
