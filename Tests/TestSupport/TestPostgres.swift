import BrokerStore
import ChildProcesses
import EmbeddedPostgres
import Foundation
import PostgresClient

/// The PostgreSQL server the tests run against, and a fresh database per test.
///
/// With `DATABASE_URL` set, tests use that server (the role needs CREATEDB). Otherwise one
/// embedded cluster is created in a temporary folder for the whole test process, started on a
/// unix socket, and stopped and removed when the process exits.
public enum TestPostgres {
    /// A new, empty database on the test server, named after the calling test.
    public static func freshDatabase(_ label: String = #function) async throws -> PostgresConfiguration {
        let server = try await Server.shared.configuration()
        let name = "t_" + label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(40) + "_" + randomSuffix()
        let pool = PostgresPool(.init(connection: server, maxConnections: 1))
        // CREATE DATABASE takes an identifier, which cannot be a parameter; the name is built above
        // from letters and digits only.
        do {
            try await pool.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
        return server.database(name)
    }

    /// What `pg_dump` (plain SQL, of the server's own version) writes for `database`: every row of
    /// every table as a backup would hold it.
    public static func dump(_ database: PostgresConfiguration) async throws -> String {
        guard let conninfo = database.conninfo else { throw TestSupportFailure("the test database's connection string does not parse") }
        let pgDump = try EmbeddedPostgres.findBinaries().appendingPathComponent("pg_dump").path
        let running = try ChildProcess.start(pgDump, ["--no-owner", "--dbname=" + conninfo], standardError: .inherited)
        let (status, output) = await running.wait()
        guard status == 0 else { throw TestSupportFailure("pg_dump failed (exit \(status))") }
        return output
    }

    /// A dedicated embedded cluster (not shared), for tests that stop or restart the server.
    public static func privateCluster() async throws -> EmbeddedPostgres {
        var options = EmbeddedPostgres.Options(folder: temporaryFolder())
        options.fastUnsafe = true
        // Every suite's gateways share this cluster, and the suites run at once: at 200 the
        // full run met "too many clients already" (ContractsCommandTests, with the standby and
        // console suites added).
        options.maxConnections = 600
        return try await EmbeddedPostgres.start(options)
    }

    /// A new empty folder that any local account may enter, inside this test process's scratch
    /// folder (`TestScratch`), which is removed (with every cluster in it) when the process exits.
    public static func temporaryFolder() -> String {
        let path = TestScratch.folder + "/" + randomSuffix()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A random name part: a 64-bit number in base 36.
    static func randomSuffix() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    private actor Server {
        static let shared = Server()
        private var server: Task<PostgresConfiguration, any Error>?

        func configuration() async throws -> PostgresConfiguration {
            if let server { return try await server.value }
            let starting = Task<PostgresConfiguration, any Error> {
                if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
                    return PostgresConfiguration(url)
                }
                let embedded = try await privateCluster()
                Embedded.instance = embedded
                return embedded.configuration
            }
            server = starting
            return try await starting.value
        }
    }

    /// Holds the shared cluster for the exit hook (a C function pointer cannot capture), which
    /// `TestScratch` registers.
    enum Embedded {
        nonisolated(unsafe) static var instance: EmbeddedPostgres?
    }
}

extension TestPostgres {
    /// What the shared embedded cluster's server has logged so far; `nil` when the tests run against
    /// a server of `DATABASE_URL`.
    public static func serverLog() async throws -> String? {
        _ = try await Server.shared.configuration()
        guard let cluster = Embedded.instance else { return nil }
        return try String(contentsOfFile: cluster.options.folder + "/postgres.log", encoding: .utf8)
    }

    /// How many sessions of `connection`'s database wait for an advisory lock (a merge held on the
    /// merge lock, say). Only that database's: `pg_stat_activity` is cluster-wide, and tests running
    /// beside this one wait in theirs.
    public static func advisoryLockWaiters(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("""
            SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory'
            """)[0].decode(Int.self, at: 0)
    }
}
