import ChildProcesses
import Foundation
import Logging
import PostgresClient

/// A private PostgreSQL cluster in a folder, for development, the demo and the tests.
///
/// `start` creates the cluster with `initdb` on first use and starts it listening on a unix
/// socket only (no TCP port); a later start reuses the cluster (and a server already running on
/// it). PostgreSQL refuses to run as root, so when this process is root the server runs as the
/// unprivileged `postgres` account (created by the Debian package) and the folder is given to it.
///
/// Only this process's OS account (and the server's own) may connect, and only as the broker's
/// role: the socket's folder is mode 0700 and owned by the server's account, the socket itself
/// 0700, and every connection is authenticated by `peer` through an ident map naming those two
/// accounts (`pg_hba.conf` and `pg_ident.conf` are rewritten at every start, so a cluster made by
/// an older version with `trust` is closed too). Another local account can neither reach the
/// socket nor, if it could, pass authentication.
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
        /// The server's `max_connections`: a gateway opens its pool, the meter writer's and one
        /// listening connection; the test suite runs dozens of gateways on one cluster at once.
        public var maxConnections = 200
        /// Further server settings for this start (`-c name=value`; names of letters, digits, `_`
        /// and `.`, values without quotes or backslashes), for example a benchmark's
        /// `shared_preload_libraries`. A server already running keeps its own.
        public var settings: [String: String] = [:]

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

    /// As `start`, from a task: `initdb`, `pg_ctl` and `psql` are waited for on a thread of their own
    /// (`OwnThread`), not on one the process's tasks share.
    public static func start(_ options: Options, logger: Logger = Logger(label: "credit-broker.embedded-postgres")) async throws -> EmbeddedPostgres {
        try await OwnThread.run { try start(options, logger: logger) }
    }

    /// As `stop()`, from a task, on a thread of its own.
    public func stop() async {
        await OwnThread.run { self.stop() }
    }

    /// As `restart()`, from a task, on a thread of its own.
    public func restart() async throws {
        try await OwnThread.run { try self.restart() }
    }

    /// Creates (if needed) and starts the cluster, and creates the broker's database.
    @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
    public static func start(_ options: Options, logger: Logger = Logger(label: "credit-broker.embedded-postgres")) throws -> EmbeddedPostgres {
        var extraSettings = ""
        for (name, value) in options.settings.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") }),
                  // Scalar by scalar: a quote carrying a combining mark is one Character with it.
                  !value.unicodeScalars.contains(where: { "'\\\"".unicodeScalars.contains($0) || $0.properties.generalCategory == .control
                      || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator })
            else { throw Failure(description: "a server setting is a name of letters, digits, '_' and '.' and a value without quotes or backslashes: \(name)") }
            extraSettings += " -c \(name)='\(value)'"
        }
        let binaries = try findBinaries()
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        let folder = URL(fileURLWithPath: options.folder).standardizedFileURL
        // pg_ctl starts the server through /bin/sh with the data folder and the log in double quotes.
        if let character = folder.path.unicodeScalars.first(where: { "\"$`\\".unicodeScalars.contains($0) || $0.properties.generalCategory == .control }) {
            let named = character.properties.generalCategory == .control ? "a control character" : "the character \(character)"
            throw Failure(description: "the state folder's path holds \(named), which pg_ctl's shell would take as its own: choose a folder without \", $, `, \\ or control characters")
        }
        let data = folder.appendingPathComponent("data")
        let socket = try socketDirectory(for: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try makePrivate(folder.path)
        try prepareSocketDirectory(socket, serverAccount: runAs)
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
                "-D", data.path, "-U", options.user, "--auth=peer", "--encoding=UTF8", "--locale=C", "--no-sync",
            ])
        }
        try server.writeAccessRules(data: data)
        let running = (try? server.tool("pg_ctl", ["-D", data.path, "status"])) != nil
        if running {
            logger.info("reusing the PostgreSQL server already running on the cluster")
            // It may have been started with older rules: it reads the ones just written.
            try server.tool("pg_ctl", ["-D", data.path, "reload"])
        } else {
            // `terse`: an error's DETAIL and CONTEXT lines quote the values at fault (a unique
            // violation's key, which is a USCC; a COPY's line), and the log is no place for them.
            var settings = "-c listen_addresses='' -c unix_socket_directories='\(socket)' -c unix_socket_permissions=0700"
                + " -c max_connections=\(options.maxConnections) -c log_error_verbosity=terse"
            if options.fastUnsafe {
                settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            }
            settings += extraSettings
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

    /// Stops the server (fast shutdown: open sessions are ended) and returns once its postmaster
    /// has exited. `pg_ctl stop -w` returns when the postmaster removes its PID file, which it does
    /// just before it exits; on a loaded machine the process outlived `pg_ctl` (seen by
    /// `serveAnswersReadyAndStopsItsDatabaseOnInterrupt`), so its exit is awaited too (at most 10 s).
    @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
    public func stop() {
        let data = URL(fileURLWithPath: options.folder).appendingPathComponent("data").path
        let postmaster = (try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8))
            .flatMap { $0.split(separator: "\n").first }.flatMap { pid_t($0) }
        do {
            try tool("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"])
        } catch {
            logger.error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
            return
        }
        guard let postmaster, postmaster > 0 else { return }
        let deadline = ContinuousClock.now + .seconds(10)
        while kill(postmaster, 0) == 0, ContinuousClock.now < deadline {
            usleep(10_000)
        }
    }

    /// Restarts the server (fast shutdown, then start): for tests of recovery.
    @available(*, noasync, message: "it blocks one of the few threads every task shares; await the async variant")
    public func restart() throws {
        let folder = URL(fileURLWithPath: options.folder)
        // -l again: without it the new server would write to (and hold open) our output pipe.
        try tool("pg_ctl", [
            "-D", folder.appendingPathComponent("data").path, "-l", folder.appendingPathComponent("postgres.log").path,
            "-m", "fast", "-w", "-t", "60", "restart",
        ])
    }

    /// The OS accounts that may connect: this process's and the server's.
    var clientAccounts: [String] {
        Array(Set([Self.currentAccount, runAs].compactMap { $0 })).sorted()
    }

    /// Writes `pg_hba.conf` (unix socket only, `peer` through the map `broker`, nothing else) and
    /// `pg_ident.conf` (this process's and the server's accounts → the broker's role), mode 0600.
    private func writeAccessRules(data: URL) throws {
        let hba = """
            # Written by CreditBroker at every start of its embedded PostgreSQL; edits are replaced.
            # Unix socket only (listen_addresses is empty), and only the OS accounts in pg_ident.conf's
            # map "broker", as the broker's role, proven by the kernel (peer).
            local all \(options.user) peer map=broker

            """
        let ident = """
            # Written by CreditBroker at every start: the OS accounts that may connect as the broker's role.
            # MAPNAME  SYSTEM-USERNAME  PG-USERNAME

            """ + clientAccounts.map { "broker \($0) \(options.user)\n" }.joined()
        for (name, text) in [("pg_hba.conf", hba), ("pg_ident.conf", ident)] {
            let path = data.appendingPathComponent(name).path
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw Failure(description: "cannot write \(path)")
            }
            try Self.makePrivate(path, mode: 0o600)
            if let runAs { try Self.run("/bin/chown", ["\(runAs):", path]) }
        }
    }

    /// The name of the account this process runs as.
    public static var currentAccount: String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    /// Sets `path`'s mode (0700 for folders): what holds the cluster is the broker's alone.
    static func makePrivate(_ path: String, mode: Int = 0o700) throws {
        guard chmod(path, mode_t(mode)) == 0 else {
            throw Failure(description: "cannot make \(path) private (chmod \(String(mode, radix: 8))): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the socket's folder mode 0700, or checks the one found: a real folder (not a
    /// link), owned by this process's account or the server's, then made 0700. A folder in /tmp
    /// that another account made first (to watch or intercept the socket) is refused.
    static func prepareSocketDirectory(_ path: String, serverAccount: String?) throws {
        if mkdir(path, 0o700) != 0 {
            let created = errno
            guard created == EEXIST else {
                if created == ENOENT {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    return try makePrivate(path)
                }
                throw Failure(description: "cannot create the socket folder \(path): \(String(cString: strerror(created)))")
            }
            var status = stat()
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
                throw Failure(description: "the socket folder \(path) exists and is not a folder (a link or a file): remove it")
            }
            let owners = [geteuid()] + (serverAccount.flatMap { getpwnam($0)?.pointee.pw_uid }.map { [$0] } ?? [])
            guard owners.contains(status.st_uid) else {
                throw Failure(description: "the socket folder \(path) belongs to another account: remove it, or choose another state folder")
            }
        }
        try makePrivate(path)
    }

    /// Creates the broker's database unless it exists (psql quotes the name as a literal and an identifier).
    private func createDatabase() throws {
        let psql = ["-h", socketPath, "-U", options.user, "-d", "postgres", "-tA", "-v", "ON_ERROR_STOP=1", "-v", "name=\(options.database)"]
        let found = try tool("psql", psql, input: "SELECT count(*) FROM pg_database WHERE datname = :'name';\n")
        if found.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
            try tool("psql", psql, input: "CREATE DATABASE :\"name\";\n")
        }
    }

    /// The folder holding the server's unix socket (mode 0700).
    public var socketDirectory: String { socketPath }

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
    package static func findBinaries() throws -> URL {
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

    /// `run` in the state folder, unless its path is too long for a socket's address (107 bytes) or
    /// holds a quote (the folder is a server setting in single quotes on pg_ctl's shell command line):
    /// then a folder of its own under /tmp, named by a hash of the state folder's path.
    private static func socketDirectory(for folder: URL) throws -> String {
        let preferred = folder.appendingPathComponent("run").path
        if (preferred + "/.s.PGSQL.5432").utf8.count < 100, !preferred.unicodeScalars.contains("'") { return preferred }
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
