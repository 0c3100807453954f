import ArgumentParser
import BrokerStore
import ChildProcesses
import EmbeddedPostgres
import Foundation
import PostgresClient

/// A PostgreSQL server for database benchmarks: `DATABASE_URL` if set, else a private durable
/// embedded cluster (fsync on, as the shared baselines were measured) in a temporary folder, or in
/// a kept folder whose cluster later runs reuse.
struct BenchmarkDatabase {
    let configuration: PostgresConfiguration
    let embedded: EmbeddedPostgres?
    private var kept = false

    /// - Parameters:
    ///   - folder: keep the embedded cluster there (reusing one already there) instead of in a
    ///     temporary folder removed by `stop`.
    ///   - settings: server settings for the embedded cluster's start (`EmbeddedPostgres.Options.settings`).
    static func start(keepingIn folder: String? = nil, settings: [String: String] = [:]) throws -> BenchmarkDatabase {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            return BenchmarkDatabase(configuration: PostgresConfiguration(url), embedded: nil)
        }
        let temporary = NSTemporaryDirectory() + "credit-broker-bench-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        var options = EmbeddedPostgres.Options(folder: folder ?? temporary)
        options.settings = settings
        let embedded = try EmbeddedPostgres.start(options)
        return BenchmarkDatabase(configuration: embedded.configuration, embedded: embedded, kept: folder != nil)
    }

    /// The server's postmaster process (the first line of `postmaster.pid` in its data folder): the
    /// root of the processes whose CPU a measurement charges to PostgreSQL.
    func postmasterPID(_ pool: PostgresPool) async throws -> Int32 {
        let folder = try await pool.query("SELECT current_setting('data_directory')")[0].decode(String.self, at: 0)
        guard let text = try? String(contentsOfFile: folder + "/postmaster.pid", encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first)
        else { throw ValidationError("cannot read the postmaster's PID in \(folder)/postmaster.pid") }
        return pid
    }

    /// libpq connection arguments for psql and pgbench.
    var conninfo: String {
        configuration.conninfo ?? configuration.connectionString
    }

    func stop() {
        embedded?.stop()
        if !kept, let folder = embedded?.options.folder { try? FileManager.default.removeItem(atPath: folder) }
    }

    /// Runs a PostgreSQL client program from the server's bin folder (or PATH) and returns its output.
    static func tool(_ name: String, _ arguments: [String], input: String? = nil) throws -> String {
        try ChildProcess.run(toolPath(name), arguments, input: input)
    }

    /// Where a PostgreSQL client program is: the server's bin folder, or PATH.
    static func toolPath(_ name: String) throws -> String {
        let folders = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin", "/usr/bin", "/usr/local/bin"]
        guard let executable = folders.map({ $0 + "/" + name }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("\(name) not found: apt-get install postgresql-client")
        }
        return executable
    }
}
