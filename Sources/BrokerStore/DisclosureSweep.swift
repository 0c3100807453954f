import BrokerCore
import PostgresClient

/// Sends to the change feed the records whose disclosure window opened or closed with the days.
///
/// A record stops (or starts) being disclosable when its publicity or disclosure period ends (or
/// begins), without any new line from its source. Once per day, `sweep` gives every such record
/// a new `change_seq` under the merge lock, so feed readers receive it again and see it
/// disclosed or removed.
public struct DisclosureSweep: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Moves to the end of the change feed every live record whose window opened or closed after
    /// the last day swept and on or before `day`; returns how many. Sweeping a day twice moves nothing.
    @discardableResult
    public func sweep(through day: CivilDate) async throws -> Int {
        try await pool.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(RecordWriter.mergeLock))")
            let last = try await connection.query("SELECT swept_through FROM disclosure_sweeps FOR UPDATE")[0].decode(CivilDate.self, at: 0)
            guard last < day else { return 0 }
            let (from, through) = (last, day)
            let moved = try await connection.query("""
                UPDATE records SET change_seq = nextval('record_change_seq'), changed_at = now()
                WHERE status IN ('active', 'disputed')
                  AND ((disclose_until > \(from)::date AND disclose_until <= \(through)::date)
                    OR (disclose_from > \(from)::date AND disclose_from <= \(through)::date))
                """).affectedRows
            try await connection.query("UPDATE disclosure_sweeps SET swept_through = \(through)::date, swept_at = now()")
            return moved
        }
    }
}
