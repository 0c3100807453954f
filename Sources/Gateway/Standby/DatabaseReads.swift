import BrokerCore
import BrokerStore
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization

/// Where the gateway reads records and consents: a streaming standby while it is known to be
/// fresh, else the primary. Everything else (quotas, the meter ledger, idempotency, the audit chain,
/// the contract ledger, consent registration, revocation and uses) stays on the primary's pool.
///
/// A `Service`: without a standby it only waits for shutdown. With one it checks, every
/// `checkInterval`, the primary's flushed WAL position and the standby's replayed one on
/// connections of its own (`StandbyFreshness`): reads go to the standby only while it is
/// reachable, still in recovery, and has replayed every commit made on the primary more than
/// `maxLag` ago. Otherwise, and whenever a read on the standby fails (the standby gone, a query
/// cancelled by a recovery conflict), they go to the primary. A standby that is promoted leaves
/// recovery: reads then go to the primary's pool, whose connection string finds the new primary.
///
/// Staleness: a record read on the standby misses at most the commits of the last `maxLag`. A
/// consent is held to more: one that the standby does not know is looked up on the primary (a
/// consent registered a moment ago is never missed), and what the standby says about a known one
/// is confirmed by the primary before an answer relies on it (`QueryService.decide`).
public final class DatabaseReads: Service, Sendable {
    /// A standby to read from.
    public struct Standby: Sendable {
        /// Its libpq connection string, e.g. `host=db2 … target_session_attrs=standby`.
        public var connection: PostgresConfiguration
        /// Connections of its read pool.
        public var maxConnections: Int
        /// Reads go to the standby only while it has replayed every commit older than this.
        public var maxLag: Duration
        /// How often its position is compared with the primary's.
        public var checkInterval: Duration

        public init(connection: PostgresConfiguration, maxConnections: Int = 8, maxLag: Duration = .seconds(1), checkInterval: Duration = .milliseconds(200)) {
            self.connection = connection
            self.maxConnections = maxConnections
            self.maxLag = maxLag
            self.checkInterval = checkInterval
        }
    }

    /// The stores of one server.
    private struct Stores: Sendable {
        let records: RecordStore
        let consents: ConsentStore
    }

    /// The standby's pools and stores.
    private struct StandbyPools: Sendable {
        let settings: Standby
        let reads: PostgresPool
        let stores: Stores
        /// One connection each for the position checks, so that busy request pools never delay them.
        let primaryProbe: PostgresPool
        let standbyProbe: PostgresPool
    }

    private struct State {
        var freshness = StandbyFreshness()
        /// Whether reads went to the standby at the last check (`nil`: not checked yet).
        var serving: Bool?
    }

    private let primary: Stores
    private let standby: StandbyPools?
    private let state = Mutex(State())
    private let metrics: GatewayMetrics
    private let logger: Logger

    /// - Parameters:
    ///   - pool: the primary's pool (its connection string also reaches the primary for the checks).
    ///   - standby: `nil`: every read goes to the primary.
    ///   - keys: open the subject's statements kept beside confirmed records.
    public init(
        primary pool: PostgresPool, catalog: Catalog, keys: SealingKeys, standby: Standby?, metrics: GatewayMetrics, logger: Logger
    ) {
        primary = Stores(records: RecordStore(pool: pool, catalog: catalog, keys: keys), consents: ConsentStore(pool: pool))
        self.standby = standby.map { settings in
            let reads = PostgresPool(.init(connection: settings.connection, maxConnections: settings.maxConnections), logger: logger)
            return StandbyPools(
                settings: settings, reads: reads,
                stores: Stores(records: RecordStore(pool: reads, catalog: catalog, keys: keys), consents: ConsentStore(pool: reads)),
                primaryProbe: PostgresPool(.init(connection: pool.configuration.connection, maxConnections: 1), logger: logger),
                standbyProbe: PostgresPool(.init(connection: settings.connection, maxConnections: 1), logger: logger)
            )
        }
        self.metrics = metrics
        self.logger = logger
        metrics.standby(usable: false)
    }

    /// The primary's records: for what must see the latest commit.
    public var primaryRecords: RecordStore { primary.records }

    /// Runs `body` with the records of the standby if it is fresh, else of the primary. A read
    /// that fails on the standby is run again on the primary.
    public func records<T: Sendable>(_ body: (RecordStore) async throws -> T) async throws -> T {
        try await read { try await body($0.records) }
    }

    /// The partner's consent `id`, from the standby if it is fresh, else from the primary; one the
    /// standby does not hold (registered a moment ago) is looked up on the primary.
    /// - Returns: the consent (`nil`: the primary holds none either) and whether it came from the standby.
    func consent(id: String, partnerID: String) async throws -> (consent: StoredConsent?, fromStandby: Bool) {
        if let standby, readsFromStandby {
            do {
                if let found = try await standby.stores.consents.fetch(id: id, partnerID: partnerID) {
                    metrics.databaseRead(onStandby: true)
                    return (found, true)
                }
            } catch let error as PostgresError {
                standbyFailed(error)
            }
        }
        metrics.databaseRead(onStandby: false)
        return (try await primary.consents.fetch(id: id, partnerID: partnerID), false)
    }

    /// Whether reads go to the standby at this moment.
    public var readsFromStandby: Bool {
        guard let standby else { return false }
        return state.withLock { $0.freshness.allows(at: .now, maxLag: standby.settings.maxLag) }
    }

    /// `body` on the standby's stores when fresh (a failure there retried on the primary's), else
    /// on the primary's.
    private func read<T: Sendable>(_ body: (Stores) async throws -> T) async throws -> T {
        if let standby, readsFromStandby {
            do {
                let value = try await body(standby.stores)
                metrics.databaseRead(onStandby: true)
                return value
            } catch let error as PostgresError {
                standbyFailed(error)
            }
        }
        metrics.databaseRead(onStandby: false)
        return try await body(primary)
    }

    private func standbyFailed(_ error: PostgresError) {
        logger.warning("read on the standby failed; read on the primary instead", metadata: [
            "error": "\(error.kind.rawValue)", "sqlstate": "\(error.sqlState ?? "-")",
        ])
        // A broken connection means the standby went away: stop reading there until a check finds
        // it again. A query cancelled by a recovery conflict says nothing about the next one.
        if error.kind == .connection { unusable(because: "unreachable") }
    }

    // MARK: The checks

    public func run() async throws {
        guard let standby else {
            try? await gracefulShutdown()
            return
        }
        logger.info("reading records and consents from a standby", metadata: [
            "max_lag": "\(standby.settings.maxLag)", "check_every": "\(standby.settings.checkInterval)",
        ])
        while !Task.isShuttingDownGracefully {
            await check(standby)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: standby.settings.checkInterval) }
            } catch {
                break
            }
        }
        await close()
    }

    /// Closes the standby's pools (at the end of `run()`, or for a broker that never ran).
    func close() async {
        guard let standby else { return }
        await standby.primaryProbe.close()
        await standby.standbyProbe.close()
        await standby.reads.close()
    }

    /// One comparison: the primary's flushed position first (so that the standby, asked second,
    /// is compared with a position from before the question), then the standby's replayed one.
    private func check(_ standby: StandbyPools) async {
        let asked = ContinuousClock.now
        // The primary unreachable: no new sample, so the standby ages out of the bound and reads
        // go to the primary, which fails them; disclosures stop there (metering needs the primary).
        if let position = try? await standby.primaryProbe.query(Self.primaryPosition)[0].decode(Int64.self, at: 0) {
            state.withLock { $0.freshness.primary(flushed: position, askedAt: asked) }
        }
        do {
            let row = try await standby.standbyProbe.query(Self.standbyPosition)[0]
            guard try row.decode(Bool.self, at: 0), let replayed = try row.decode(Int64?.self, at: 1) else {
                unusable(because: "not in recovery (promoted, or not a standby)")
                return
            }
            let serving = state.withLock { state in
                state.freshness.standby(replayed: replayed)
                return state.freshness.allows(at: .now, maxLag: standby.settings.maxLag)
            }
            transition(to: serving, because: "not known to be within \(standby.settings.maxLag) of the primary")
        } catch {
            unusable(because: "unreachable")
        }
    }

    private func unusable(because reason: String) {
        state.withLock { $0.freshness.standbyUnusable() }
        transition(to: false, because: reason)
    }

    /// Logs a change of where reads go (never per read).
    private func transition(to serving: Bool, because reason: String) {
        let changed = state.withLock { state -> Bool in
            defer { state.serving = serving }
            return state.serving != serving
        }
        metrics.standby(usable: serving)
        guard changed else { return }
        if serving {
            logger.info("records and consents read from the standby")
        } else {
            logger.warning("records and consents read from the primary: the standby is \(reason)")
        }
    }

    private static let primaryPosition: PostgresQuery = "SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint"
    private static let standbyPosition: PostgresQuery = "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
}
