import BrokerCore
import Foundation
import PostgresClient

/// Quota alerts (`quota_threshold` in `partner_alerts`): a partner's daily or monthly quota use
/// crossed 80 % or 100 % of its limit. Each is raised once per partner, period and threshold,
/// however many gateway processes see the crossing (the unique index of migration 100), and takes
/// its place in the partner's alerts feed (`WatchlistStore.alerts`) like every alert: its position
/// is drawn from `record_change_seq` under the merge lock.
public struct QuotaAlertStore: Sendable {
    /// One quota alert.
    public struct Alert: Sendable, Hashable {
        public let changeSeq: Int64
        public let partnerID: String
        /// `day` or `month`.
        public let period: String
        public let periodStart: CivilDate
        /// 80 or 100 (percent of the limit).
        public let threshold: Int
        public let limit: Int
        /// The use that crossed it.
        public let used: Int
        public let recordedOn: CivilDate
    }

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Raises the alert unless it was raised before; `false` if it was. Waits at most
    /// `lockWaitMilliseconds` for the merge lock (an ingest holds it while it merges a batch): past
    /// it, throws, and the next request that sees the crossing raises the alert instead.
    @discardableResult
    public func raise(
        partner: String, period: String, periodStart: CivilDate, threshold: Int, limit: Int, used: Int, on day: CivilDate,
        lockWaitMilliseconds: Int = 1_000
    ) async throws -> Bool {
        try await pool.transaction { connection in
            try await connection.query("SELECT set_config('lock_timeout', \(String(lockWaitMilliseconds)), true)")
            if try await connection.query("""
                SELECT 1 FROM partner_alerts WHERE change = 'quota_threshold' AND partner_id = \(partner) AND quota_period = \(period)
                  AND period_start = \(periodStart)::date AND threshold = \(threshold)
                """).first != nil {
                return false
            }
            try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
            return try await connection.query("""
                INSERT INTO partner_alerts (partner_id, change_seq, change, recorded_on, quota_period, period_start, threshold, quota_limit, quota_used)
                VALUES (\(partner), nextval('record_change_seq'), 'quota_threshold', \(day)::date, \(period),
                        \(periodStart)::date, \(threshold), \(limit), \(used))
                ON CONFLICT (partner_id, quota_period, period_start, threshold) WHERE change = 'quota_threshold' DO NOTHING
                """).affectedRows == 1
        }
    }

    /// Quota alerts of `partner` (every partner's when `nil`) after position `since`, oldest first.
    public func alerts(partner: String?, since: Int64, limit: Int) async throws -> [Alert] {
        try await pool.query("""
            SELECT change_seq, partner_id, quota_period, period_start, threshold, quota_limit, quota_used, recorded_on
            FROM partner_alerts
            WHERE change = 'quota_threshold' AND change_seq > \(since) AND (\(partner)::text IS NULL OR partner_id = \(partner))
            ORDER BY change_seq LIMIT \(limit)
            """).map { row in
            Alert(
                changeSeq: try row.decode(at: 0), partnerID: try row.decode(at: 1), period: try row.decode(at: 2), periodStart: try row.decode(at: 3),
                threshold: try row.decode(at: 4), limit: try row.decode(at: 5), used: try row.decode(at: 6), recordedOn: try row.decode(at: 7)
            )
        }
    }
}
