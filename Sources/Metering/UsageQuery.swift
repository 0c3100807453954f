import Foundation
import BrokerCore
import BrokerStore
import PostgresClient

/// A partner's usage, read from the meter ledger.
public struct UsageQuery: Sendable {
    /// The longest span one query may cover.
    public static let maximumDays = 366

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Per day from `from` to `to` (both inclusive, China time) on which the partner made calls:
    /// calls, and per item how often it was disclosed and withheld. Only this partner's events count.
    public func usage(partner: String, from: CivilDate, to: CivilDate) async throws -> [UsageDay] {
        try Self.checkSpan(partner: partner, from: from, to: to)
        let start = from.start()
        let end = to.adding(days: 1).start()
        let calls = try await pool.execute(Self.callsPerDay, [partner, start, end])
        let items = try await pool.execute(Self.itemsPerDay, [partner, start, end])
        var itemsByDay: [CivilDate: [UsageDay.Item]] = [:]
        for row in items {
            itemsByDay[try row.decode(CivilDate.self, at: 0), default: []].append(UsageDay.Item(
                item: try row.decode(String.self, at: 1),
                disclosed: try row.decode(Int.self, at: 2),
                withheld: try row.decode(Int.self, at: 3)
            ))
        }
        return try calls.map { row in
            let day = try row.decode(CivilDate.self, at: 0)
            return UsageDay(day: day, calls: try row.decode(Int.self, at: 1), items: itemsByDay[day] ?? [])
        }
    }

    /// Refuses a span the usage queries do not take.
    static func checkSpan(partner: String, from: CivilDate, to: CivilDate) throws(MeteringInputError) {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
        guard from <= to else { throw MeteringInputError(field: "from", reason: "must not be after to") }
        guard to.dayNumber - from.dayNumber < Self.maximumDays else {
            throw MeteringInputError(field: "to", reason: "is more than \(Self.maximumDays) days from from (both included); ask for at most \(Self.maximumDays)")
        }
    }

    /// The China-time day of `occurred_at`, a `date`.
    static let chinaDay = CivilDate.chinaDaySQL(of: "occurred_at")

    private static let callsPerDay = PostgresStatement(unsafeSQL: """
        SELECT \(chinaDay) AS day, count(*)
        FROM meter_events WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        GROUP BY day ORDER BY day
        """)

    private static let itemsPerDay = PostgresStatement(unsafeSQL: """
        WITH e AS (
            SELECT \(chinaDay) AS day, items_disclosed, items_withheld
            FROM meter_events WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3
        ), counted AS (
            SELECT day, d.item, 1 AS disclosed, 0 AS withheld FROM e, jsonb_array_elements_text(e.items_disclosed) AS d(item)
            UNION ALL
            SELECT day, w.entry ->> 'item', 0, 1 FROM e, jsonb_array_elements(e.items_withheld) AS w(entry)
        )
        SELECT day, item, sum(disclosed)::bigint, sum(withheld)::bigint FROM counted GROUP BY day, item ORDER BY day, item
        """)
}

extension UsageQuery {
    /// The partner's decided answers from `start` until `end` as the meter ledger recorded them,
    /// oldest first, for the admin API's what-if: answers that left (status below 400) with a purpose.
    public func decisions(partner: String, since start: Date, until end: Date) async throws -> [DecisionReplay.Recorded] {
        try await pool.query("""
            SELECT request_id, purpose, items_disclosed, items_withheld, consent_id IS NOT NULL
            FROM meter_events
            WHERE partner_id = \(partner) AND occurred_at >= \(start) AND occurred_at < \(end) AND purpose IS NOT NULL
              AND http_status < 400
            ORDER BY occurred_at, id
            """).map { row in
            let withheld = try row.decode(PostgresJSON<[MeterEvent.Withheld]>.self, at: 3).value
            return DecisionReplay.Recorded(
                requestID: try row.decode(at: 0), purpose: try row.decode(at: 1),
                disclosed: try row.decode(PostgresJSON<[String]>.self, at: 2).value,
                withheld: Dictionary(withheld.map { ($0.item, $0.reason) }, uniquingKeysWith: { first, _ in first }),
                consentNamed: try row.decode(at: 4)
            )
        }
    }
}
