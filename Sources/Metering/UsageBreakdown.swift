import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// What the admin API's usage report adds to `UsageDay`: per day the answer time's median and 99th
/// percentile, and per day and item how often the item was withheld for each reason.
public struct UsageBreakdown: Sendable, Hashable {
    public struct Latency: Sendable, Hashable {
        public let day: CivilDate
        /// Milliseconds, interpolated between the recorded answers (`percentile_cont`).
        public let p50: Double
        public let p99: Double
    }

    public struct Withheld: Sendable, Hashable {
        public let day: CivilDate
        public let item: String
        public let reason: String
        public let count: Int
    }

    /// Days with calls, in order.
    public let latency: [Latency]
    /// By day, then item, then reason.
    public let withheld: [Withheld]
}

extension UsageQuery {
    /// The partner's answer times and withholding reasons per day from `from` to `to` (both
    /// inclusive, China time), under the same checks as `usage(partner:from:to:)`.
    public func breakdown(partner: String, from: CivilDate, to: CivilDate) async throws -> UsageBreakdown {
        try Self.checkSpan(partner: partner, from: from, to: to)
        let start = from.start()
        let end = to.adding(days: 1).start()
        let latency = try await pool.execute(Self.latencyPerDay, [partner, start, end]).map { row in
            UsageBreakdown.Latency(day: try row.decode(at: 0), p50: try row.decode(Double.self, at: 1), p99: try row.decode(Double.self, at: 2))
        }
        let withheld = try await pool.execute(Self.withheldPerDay, [partner, start, end]).map { row in
            UsageBreakdown.Withheld(
                day: try row.decode(at: 0), item: try row.decode(String.self, at: 1), reason: try row.decode(String.self, at: 2),
                count: try row.decode(Int.self, at: 3)
            )
        }
        return UsageBreakdown(latency: latency, withheld: withheld)
    }

    private static let latencyPerDay = PostgresStatement(unsafeSQL: """
        SELECT \(chinaDay) AS day,
               (percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_us) / 1000.0)::float8,
               (percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_us) / 1000.0)::float8
        FROM meter_events WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        GROUP BY day ORDER BY day
        """)

    private static let withheldPerDay = PostgresStatement(unsafeSQL: """
        SELECT \(chinaDay) AS day, w.entry ->> 'item' AS item, w.entry ->> 'reason' AS reason, count(*)::bigint
        FROM meter_events, jsonb_array_elements(items_withheld) AS w(entry)
        WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        GROUP BY day, item, reason ORDER BY day, item, reason
        """)
}
