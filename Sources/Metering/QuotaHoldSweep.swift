import BrokerStore
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization

/// Gives back what requests that will never answer left behind: their quota units in flight
/// (`quota_inflight`; and `quota_holds`, the holds of gateway processes older than it) and their
/// unfinished `Idempotency-Key` claims.
///
/// - Releases this process could not make (the database was unreachable when an answer was
///   withheld) are retried until they succeed.
/// - A gateway process that died (kill -9, a crash) never meters or releases what it had in flight:
///   its units and claims are released once it is known to be gone. On this machine that is at once:
///   its `gateway_processes` row names a process id that no longer runs (checked at start, so a
///   restarted gateway cleans up after its predecessor before it has served for long). Elsewhere, a
///   holder that has no `gateway_processes` row and whose counts have not moved for a minute is gone;
///   and no request lives ten minutes, so units in flight that long are released whoever holds them.
///
/// It also gives back this process's quota leases (`QuotaCoalescer`) that have not been drawn on
/// for `leaseIdle`, checked every `leaseIdle`, and all of them at shutdown.
///
/// A `Service` of the broker's group: one pass at start, one every `interval`, one at shutdown
/// (after the server, which stops before it in the group: no request is admitted any more).
public final class QuotaHoldSweep: Service, Sendable {
    public let holder: String
    let ledger: QuotaLedger
    let processes: GatewayProcesses
    let interval: Duration
    /// The coalescer whose leases are given back, if it leases.
    let admissions: QuotaCoalescer?
    let leaseIdle: Duration
    private let logger: Logger
    private let pending = Mutex(Pending())

    private struct Pending {
        var releases = Set<QuotaReservation>()
        var abandons = [(partner: String, key: IdempotencyKey)]()
    }

    public init(
        ledger: QuotaLedger, holder: String, interval: Duration = .seconds(5), admissions: QuotaCoalescer? = nil,
        leaseIdle: Duration = .seconds(1), logger: Logger
    ) {
        self.ledger = ledger
        self.holder = holder
        self.processes = GatewayProcesses(pool: ledger.pool)
        self.interval = interval
        self.admissions = admissions.flatMap { $0.leaseUnits > 0 ? $0 : nil }
        self.leaseIdle = leaseIdle
        self.logger = logger
    }

    /// Releases a reservation's unit now, or (a unit in flight for its request) at a later pass if
    /// the database cannot be reached.
    public func release(_ reservation: QuotaReservation) async {
        do {
            try await ledger.release(reservation)
        } catch {
            guard reservation.inFlight != nil else {
                logger.error("quota unit not given back", metadata: ["partner": "\(reservation.partnerID)", "error": "\(error)"])
                return
            }
            pending.withLock { _ = $0.releases.insert(reservation) }
        }
    }

    /// Abandons a claim now, or at a later pass if the database cannot be reached.
    public func abandon(partner: String, key: IdempotencyKey) async {
        do {
            try await IdempotencyStore.abandon(partner: partner, key: key, pool: ledger.pool)
        } catch {
            pending.withLock { $0.abandons.append((partner, key)) }
        }
    }

    public func run() async throws {
        await sweep()
        let period = admissions == nil ? interval : min(interval, leaseIdle)
        var sinceSweep = Duration.zero
        // A pause that graceful shutdown (or cancellation) cuts short ends the passes.
        while (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: period) })) != nil {
            await returnLeases(closing: false)
            sinceSweep += period
            if sinceSweep >= interval {
                sinceSweep = .zero
                await sweep()
            }
        }
        await returnLeases(closing: true)
        await sweep()
    }

    /// Gives back the units of idle or retired leases, or (`closing`) of every lease.
    func returnLeases(closing: Bool) async {
        guard let admissions else { return }
        do {
            if closing {
                try await admissions.closeLeases()
            } else {
                try await admissions.returnLeases(idleFor: leaseIdle)
            }
        } catch {
            logger.warning("leased quota units not given back yet", metadata: [
                "units": "\(admissions.leasedUnitsOnHand)", "error": "\(String(reflecting: type(of: error)))",
            ])
        }
    }

    /// One pass; returns the units given back.
    @discardableResult
    public func sweep() async -> Int {
        var released = 0
        let (releases, abandons) = pending.withLock { pending in
            defer { pending = Pending() }
            return (Array(pending.releases), pending.abandons)
        }
        for (index, reservation) in releases.enumerated() {
            do {
                released += try await ledger.releaseInFlight(reservation)
            } catch {
                pending.withLock { $0.releases.formUnion(releases[index...]) }
                break
            }
        }
        for (index, abandon) in abandons.enumerated() {
            do {
                try await IdempotencyStore.abandon(partner: abandon.partner, key: abandon.key, pool: ledger.pool)
            } catch {
                pending.withLock { $0.abandons += abandons[index...] }
                break
            }
        }
        do {
            let gone = try await processes.goneFromThisHost(except: holder)
            let row = try await ledger.pool.execute(Self.orphans, [TextArrayParameter(gone), holder])[0]
            let units = try row.decode(Int.self, at: 0), claims = try row.decode(Int.self, at: 1)
            released += units
            if units > 0 || claims > 0 || !gone.isEmpty {
                logger.notice("gave back what gone gateway processes held", metadata: [
                    "processes": "\(gone.count)", "quota_units": "\(units)", "idempotency_claims": "\(claims)",
                ])
            }
        } catch {
            logger.warning("orphaned quota units not swept", metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
        return released
    }

    /// The units in flight and unfinished claims of processes gone from this machine ($1), of holders
    /// that never reported or stopped a minute ago, and any units in flight for ten minutes (the
    /// holds of older processes likewise); `$2` is this process.
    static let orphans = PostgresStatement("""
        WITH gone AS (SELECT unnest($1::text[]) AS process_id),
        dropped AS (DELETE FROM gateway_processes WHERE process_id IN (SELECT process_id FROM gone) OR seen_at < now() - interval '1 day'),
        claims AS (
            DELETE FROM idempotency_keys k
            WHERE k.status = 'in_progress' AND k.process_id IS NOT NULL AND k.process_id <> $2
              AND (k.process_id IN (SELECT process_id FROM gone)
                   OR (k.created_at < now() - interval '1 minute'
                       AND NOT EXISTS (SELECT 1 FROM gateway_processes p WHERE p.process_id = k.process_id)))
            RETURNING 1
        )
        SELECT quota_release_holds(ARRAY(
                   SELECT h.request_id FROM quota_holds h
                   WHERE h.process_id IN (SELECT process_id FROM gone)
                      OR (h.process_id <> $2 AND h.created_at < now() - interval '1 minute'
                          AND NOT EXISTS (SELECT 1 FROM gateway_processes p WHERE p.process_id = h.process_id))
                      OR h.created_at < now() - interval '10 minutes'))
               + quota_sweep_inflight($1::text[], $2),
               (SELECT count(*) FROM claims)
        """)
}
