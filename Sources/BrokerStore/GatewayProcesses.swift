import Foundation
import PostgresClient

/// The gateway processes serving from this database, each with the contract ledger it has loaded
/// (`gateway_processes`): a process reports when it starts, after every reload and every few
/// seconds, so an admin change can wait until every live process serves it and say so.
public struct GatewayProcesses: Sendable {
    /// A process not heard from for this long is taken to be gone.
    public static let liveness: Duration = .seconds(15)

    /// How many live processes there are and how many serve a given ledger.
    public struct Serving: Sendable, Hashable {
        public let live: Int
        public let serving: Int

        public var all: Bool { serving == live }
    }

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// This machine as `gateway_processes.host` records it: the host name and the process-id
    /// namespace, so that two containers sharing a host name (host networking) never take each
    /// other's process ids for their own.
    public static let host: String = {
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? ""
        return namespace.isEmpty ? ProcessInfo.processInfo.hostName : "\(ProcessInfo.processInfo.hostName) \(namespace)"
    }()

    /// Records (or refreshes) this process with the ledger it serves; forgets processes gone a day.
    public func report(process: String, token: LedgerToken, startedAt: Date) async throws {
        try await pool.query("""
            INSERT INTO gateway_processes (process_id, host, pid, started_at, seen_at, version_id, status_id)
            VALUES (\(process), \(Self.host), \(Int(getpid())), \(startedAt), now(), \(token.versionID), \(token.statusID))
            ON CONFLICT (process_id) DO UPDATE SET seen_at = now(), version_id = excluded.version_id, status_id = excluded.status_id
            """)
    }

    /// The processes recorded on this machine (`host`), other than `process`, whose process id no
    /// longer runs: killed or crashed, they will never report again.
    public func goneFromThisHost(except process: String) async throws -> [String] {
        let rows = try await pool.query("SELECT process_id, pid FROM gateway_processes WHERE host = \(Self.host) AND process_id <> \(process)")
        return try rows.compactMap { row in
            let pid = pid_t(try row.decode(Int.self, at: 1))
            return kill(pid, 0) != 0 && errno == ESRCH ? try row.decode(String.self, at: 0) : nil
        }
    }

    /// Removes this process (on a clean shutdown).
    public func remove(process: String) async throws {
        try await pool.query("DELETE FROM gateway_processes WHERE process_id = \(process) OR seen_at < now() - interval '1 day'")
    }

    /// The live processes and how many of them serve `token` or later.
    public func serving(_ token: LedgerToken) async throws -> Serving {
        let row = try await pool.query("""
            SELECT count(*), count(*) FILTER (WHERE version_id >= \(token.versionID) AND status_id >= \(token.statusID))
            FROM gateway_processes WHERE seen_at > now() - \(Int(Self.liveness.components.seconds)) * interval '1 second'
            """)[0]
        return Serving(live: try row.decode(at: 0), serving: try row.decode(at: 1))
    }

    /// Waits until every live process serves `token` or `timeout` passes.
    public func waitUntilServed(_ token: LedgerToken, timeout: Duration = .seconds(2)) async throws -> Serving {
        let deadline = ContinuousClock.now + timeout
        while true {
            let serving = try await serving(token)
            if serving.all || ContinuousClock.now >= deadline { return serving }
            try await Task.sleep(for: .milliseconds(25))
        }
    }
}
