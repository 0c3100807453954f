import Foundation
import Logging
import PostgresClient

/// A private PostgreSQL cluster in a folder, for development, the demo and the tests.
///
/// `start` creates the cluster with `initdb` on first use and starts it listening on a unix
/// socket only (no TCP port); a later start reuses the cluster (and a server already running on
/// it). PostgreSQL refuses to run as root, so when this process is root the server runs as the
/// unprivileged `postgres` account (created by the Debian package) and the folder is given to it.
public final class EmbeddedPostgres: Sendable {
    public struct Options: Sendable {
        /// The state folder; the cluster is `folder/data`, its socket in `folder/run`.
        public var folder: String
        /// Database created for the broker.
        public var database = "credit_broker"
        /// Role created as the cluster's superuser.
        public var user = "broker"
        /// Trade durability for speed (fsync off): for tests and throwaway clusters only.
        public var fastUnsafe = false

        public init(folder: String) {
            self.folder = folder
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let options: Options
    /// How to reach the broker's database on this cluster.
    public let configuration: PostgresConfiguration
    /// Whether this call started the server (`false` when it reused one already running), and so
    /// whether `BrokerDatabase.close()` stops it.
    public let startedHere: Bool
    private let binaries: URL
    private let runAs: String?
    private let logger: Logger

    /// Creates (if needed) and starts the cluster, and creates the broker's database.
    public static func start(_ options: Options, logger: Logger = Logger(label: "credit-broker.embedded-postgres")) throws -> EmbeddedPostgres {
        let binaries = try findBinaries()
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        let folder = URL(fileURLWithPath: options.folder).standardizedFileURL
        let data = folder.appendingPathComponent("data")
        let socket = try socketDirectory(for: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
        if let runAs {
            try run("/bin/chown", ["-R", "\(runAs):", folder.path, socket])
            try ensureReachable(folder.path, by: runAs)
        }
        let server = EmbeddedPostgres(
            options: options,
            configuration: .unixSocket(directory: socket, database: options.database, user: options.user),
            startedHere: false, binaries: binaries, runAs: runAs, logger: logger
        )
        if !FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path) {
            logger.info("creating PostgreSQL cluster", metadata: ["folder": "\(folder.path)"])
            try server.tool("initdb", [
                "-D", data.path, "-U", options.user, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
            ])
        }
        let running = (try? server.tool("pg_ctl", ["-D", data.path, "status"])) != nil
        if running {
            logger.info("reusing the PostgreSQL server already running on the cluster")
        } else {
            var settings = "-c listen_addresses='' -c unix_socket_directories='\(socket)' -c max_connections=200"
            if options.fastUnsafe {
                settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            }
            try server.tool("pg_ctl", [
                "-D", data.path, "-l", folder.appendingPathComponent("postgres.log").path,
                "-o", settings, "-w", "-t", "60", "start",
            ])
        }
        let started = EmbeddedPostgres(
            options: options, configuration: server.configuration, startedHere: !running,
            binaries: binaries, runAs: runAs, logger: logger
        )
        try started.createDatabase()
        return started
    }

    private init(options: Options, configuration: PostgresConfiguration, startedHere: Bool, binaries: URL, runAs: String?, logger: Logger) {
        self.options = options
        self.configuration = configuration
        self.startedHere = startedHere
        self.binaries = binaries
        self.runAs = runAs
        self.logger = logger
    }

    /// Stops the server (fast shutdown: open sessions are ended).
    public func stop() {
        let data = URL(fileURLWithPath: options.folder).appendingPathComponent("data").path
        do {
            try tool("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"])
        } catch {
            logger.error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
        }
    }

    /// Restarts the server (fast shutdown, then start): for tests of recovery.
    public func restart() throws {
        let folder = URL(fileURLWithPath: options.folder)
        // -l again: without it the new server would write to (and hold open) our output pipe.
        try tool("pg_ctl", [
            "-D", folder.appendingPathComponent("data").path, "-l", folder.appendingPathComponent("postgres.log").path,
            "-m", "fast", "-w", "-t", "60", "restart",
        ])
    }

    /// Creates the broker's database unless it exists (psql quotes the name as a literal and an identifier).
    private func createDatabase() throws {
        let psql = ["-h", socketPath, "-U", options.user, "-d", "postgres", "-tA", "-v", "ON_ERROR_STOP=1", "-v", "name=\(options.database)"]
        let found = try tool("psql", psql, input: "SELECT count(*) FROM pg_database WHERE datname = :'name';\n")
        if found.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            try tool("psql", psql, input: "CREATE DATABASE :\"name\";\n")
        }
    }

    private var socketPath: String {
        (try? Self.socketDirectory(for: URL(fileURLWithPath: options.folder).standardizedFileURL)) ?? options.folder
    }

    // MARK: Processes

    @discardableResult
    private func tool(_ name: String, _ arguments: [String], input: String? = nil) throws -> String {
        let executable = binaries.appendingPathComponent(name).path
        if let runAs {
            return try Self.run("/usr/sbin/runuser", ["-u", runAs, "--", executable] + arguments, input: input)
        }
        return try Self.run(executable, arguments, input: input)
    }

    @discardableResult
    private static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> String {
        do {
            return try ChildProcess.run(executable, arguments, input: input)
        } catch let failure as ChildProcess.Failure {
            throw Failure(description: failure.description)
        }
    }

    /// The folder holding `initdb`, `pg_ctl`, `postgres` and `psql`.
    static func findBinaries() throws -> URL {
        var candidates: [String] = []
        if let bindir = try? run("/usr/bin/env", ["pg_config", "--bindir"]).trimmingCharacters(in: .whitespacesAndNewlines) {
            candidates.append(bindir)
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for folder in candidates where ["initdb", "pg_ctl", "postgres", "psql"].allSatisfy({
            FileManager.default.isExecutableFile(atPath: folder + "/" + $0)
        }) {
            return URL(fileURLWithPath: folder)
        }
        throw Failure(description: """
            PostgreSQL server programs (initdb, pg_ctl, postgres, psql) were not found in pg_config --bindir, \
            /usr/lib/postgresql/*/bin or PATH. Install them with `apt-get install postgresql` \
            (Debian/Ubuntu), or set DATABASE_URL to use an existing server.
            """)
    }

    /// Unix socket paths are limited to 107 bytes: use `folder/run` when it fits, else a folder in /tmp.
    private static func socketDirectory(for folder: URL) throws -> String {
        let preferred = folder.appendingPathComponent("run").path
        if (preferred + "/.s.PGSQL.5432").utf8.count < 100 { return preferred }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in folder.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return "/tmp/credit-broker-pg-\(String(hash, radix: 16))"
    }

    private static func ensureReachable(_ folder: String, by user: String) throws {
        do {
            try run("/usr/sbin/runuser", ["-u", user, "--", "/usr/bin/test", "-w", folder])
        } catch {
            throw Failure(description: """
                the \(user) account cannot reach \(folder) (PostgreSQL runs as \(user) because this process is root): \
                choose a state folder whose parent folders others may enter (for example under /var/tmp or /srv)
                """)
        }
    }
}
