import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// Exact daily and monthly quotas, counted in PostgreSQL (`quota_counters`).
///
/// A reservation takes its units from both periods at once, or from neither, in one statement
/// (the `quota_reserve` function) whose row locks serialise concurrent callers: however many
/// gateway processes share the database, a limit is never exceeded by one unit.
public struct QuotaLedger: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Takes `units` from the partner's quotas for the periods that hold `instant` (China time).
    ///
    /// The reservation commits asynchronously: it is durable once any later synchronous commit on
    /// the database is (the gateway's meter event, committed before the answer leaves).
    public func reserve(partner: String, units: Int = 1, limits: QuotaLimits, at instant: Date) async throws -> QuotaDecision {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
        guard units > 0 else { throw MeteringInputError(field: "units", reason: "must be positive, not \(units)") }
        let day = QuotaPeriod.day.start(at: instant)
        let month = QuotaPeriod.month.start(at: instant)
        let row = try await pool.execute(Self.reserveStatement, [
            partner, day, month, units, limits.perDay, limits.perMonth,
        ])[0]
        guard let exhausted = try row.decode(String?.self, at: 0) else {
            let usage = QuotaUsage(today: try row.decode(Int.self, at: 1) - units, thisMonth: try row.decode(Int.self, at: 2) - units)
            return .reserved(QuotaReservation(partnerID: partner, units: units, day: day, month: month, usageBefore: usage))
        }
        return .exhausted(try Self.exhaustion(named: exhausted, limits: limits, at: instant))
    }

    /// Takes as many of `units` as both periods still allow, possibly none, in one statement that
    /// serialises with every other reservation: the units of requests admitted together, in order
    /// (`QuotaCoalescer`).
    public func reserve(upTo units: Int, partner: String, limits: QuotaLimits, at instant: Date) async throws -> QuotaGrant {
        guard units > 0 else { throw MeteringInputError(field: "units", reason: "must be positive, not \(units)") }
        return try await reserve(units: units, holding: nil, partner: partner, limits: limits, at: instant)
    }

    /// Takes one unit for each of `requestIDs`, in order, as `reserve(upTo:…)` does, and counts the
    /// granted units as in flight for the gateway process `holder` (`quota_inflight`). A request's
    /// meter event spends its unit (`MeterWriter.record(_:completing:spending:)`), `release` gives it
    /// back; if the process dies first, `QuotaHoldSweep` gives back what it still had in flight.
    ///
    /// With `leasing` > 0 and every request granted, it also takes up to that many units for
    /// `holder`'s lease (`QuotaLeaseBook`, in the grant's count and reservation; `leased` says how
    /// many): as many as leave at least `margin` units of each limit unreserved, so that the last
    /// units of a period are reserved request by request. The grant's `usageAfter` leaves the leased
    /// units out (what the requests took); `returnLease` gives back those never handed out.
    public func reserve(
        holding requestIDs: [String], for holder: String, partner: String, limits: QuotaLimits, at instant: Date,
        leasing extra: Int = 0, margin: Int = 0
    ) async throws -> QuotaGrant {
        guard !requestIDs.isEmpty else { throw MeteringInputError(field: "requestIDs", reason: "must name at least one request") }
        guard extra >= 0 else { throw MeteringInputError(field: "extra", reason: "must not be negative, not \(extra)") }
        guard margin >= 0 else { throw MeteringInputError(field: "margin", reason: "must not be negative, not \(margin)") }
        try MeteringInputError.checkText(holder, "holder", maximum: 200)
        for requestID in requestIDs { try MeteringInputError.checkText(requestID, "requestID", maximum: 200) }
        return try await reserve(
            units: requestIDs.count, holding: (requestIDs, holder, extra, margin), partner: partner, limits: limits, at: instant
        )
    }

    private func reserve(
        units: Int, holding: (requestIDs: [String], holder: String, extra: Int, margin: Int)?,
        partner: String, limits: QuotaLimits, at instant: Date
    ) async throws -> QuotaGrant {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
        let day = QuotaPeriod.day.start(at: instant)
        let month = QuotaPeriod.month.start(at: instant)
        let row: PostgresRow
        var leased = 0
        if let holding, holding.extra > 0 {
            row = try await pool.execute(Self.reserveLeaseStatement, [
                partner, day, month, units, limits.perDay, limits.perMonth, holding.holder, holding.extra, holding.margin,
            ])[0]
            leased = try row.decode(Int.self, at: 7)
            guard (0...holding.extra).contains(leased) else {
                throw StoreInconsistency("quota_reserve_lease leased \(leased) units of \(holding.extra) asked")
            }
        } else if let holding {
            row = try await pool.execute(Self.reserveInflightStatement, [
                partner, day, month, units, limits.perDay, limits.perMonth, holding.holder,
            ])[0]
        } else {
            row = try await pool.execute(Self.reserveUpToStatement, [
                partner, day, month, units, limits.perDay, limits.perMonth,
            ])[0]
        }
        let granted = try row.decode(Int.self, at: 0)
        let exhaustion = try row.decode(String?.self, at: 1).map { try Self.exhaustion(named: $0, limits: limits, at: instant) }
        guard (0...units).contains(granted), (granted < units) == (exhaustion != nil), leased == 0 || granted == units else {
            throw StoreInconsistency("quota_reserve_up_to granted \(granted) of \(units) units, exhausted: \(exhaustion?.period.rawValue ?? "none")")
        }
        return QuotaGrant(
            partnerID: partner, requested: units, granted: granted, day: day, month: month,
            usageAfter: QuotaUsage(today: try row.decode(Int.self, at: 2) - leased, thisMonth: try row.decode(Int.self, at: 3) - leased),
            exhaustion: exhaustion, requestIDs: holding?.requestIDs ?? [],
            count: try holding.flatMap { holding in
                guard granted > 0 else { return nil }
                return .init(holder: holding.holder, generation: try row.decode(Int.self, at: 4),
                             serverStarted: try row.decode(Int.self, at: 5), reservation: try row.decode(Int.self, at: 6))
            },
            leased: leased
        )
    }

    /// Gives back `units` of a lease that were never handed out to a request: at most what the
    /// lease's count still has in flight, and none once the sweep has ended that count or if a
    /// crash lost the lease's reservation. Returns how many came back.
    @discardableResult
    public func returnLease(_ lease: QuotaLeaseBook.Lease, units: Int) async throws -> Int {
        guard units > 0 else { return 0 }
        return try await pool.execute(Self.returnLeaseStatement, [
            lease.count.holder, lease.partnerID, lease.day, lease.month,
            lease.count.serverStarted, lease.count.generation, lease.count.reservation, units,
        ])[0].decode(Int.self, at: 0)
    }

    private static func exhaustion(named name: String, limits: QuotaLimits, at instant: Date) throws -> QuotaDecision.Exhaustion {
        guard let period = QuotaPeriod(rawValue: name) else {
            throw StoreInconsistency("the quota functions named an unknown period \"\(name)\"")
        }
        let limit = (period == .day ? limits.perDay : limits.perMonth) ?? 0
        return .init(period: period, limit: limit, nextPeriodStarts: period.nextStart(at: instant))
    }

    /// Gives a reservation's units back (the request failed before anything was disclosed). A unit
    /// in flight for a request (`reserve(holding:…)`) comes back once, whoever releases it, and not
    /// at all once the request's meter event has spent it (`releaseInFlight`).
    public func release(_ reservation: QuotaReservation) async throws {
        if reservation.inFlight != nil {
            try await releaseInFlight(reservation)
        } else {
            try await release(partner: reservation.partnerID, units: reservation.units, day: reservation.day, month: reservation.month)
        }
    }

    /// Gives back the unit in flight of `reservation` unless it was spent by its request's meter
    /// event or given back before, at most as many as its count still has in flight, and none once
    /// the sweep has ended that count or if a crash lost the reservation. Returns how many came
    /// back (0 for a reservation without a unit in flight).
    @discardableResult
    public func releaseInFlight(_ reservation: QuotaReservation) async throws -> Int {
        guard let unit = reservation.inFlight else { return 0 }
        return try await pool.execute(Self.releaseInFlightStatement, [
            unit.count.holder, reservation.partnerID, reservation.day, reservation.month,
            unit.count.serverStarted, unit.count.generation, unit.count.reservation, TextArrayParameter([unit.requestID]),
        ])[0].decode(Int.self, at: 0)
    }

    /// Gives back `units` of a reservation made in the day and month periods starting on `day` and
    /// `month` (e.g. part of a stored batch's reservation, after a restart).
    public func release(partner: String, units: Int, day: CivilDate, month: CivilDate) async throws {
        try await pool.withConnection { try await release(partner: partner, units: units, day: day, month: month, on: $0) }
    }

    /// `release(partner:units:day:month:)` on `connection`, in the caller's transaction.
    public func release(partner: String, units: Int, day: CivilDate, month: CivilDate, on connection: PostgresConnection) async throws {
        guard units > 0 else { throw MeteringInputError(field: "units", reason: "must be positive, not \(units)") }
        try await connection.execute(Self.releaseStatement, [partner, day, month, units])
    }

    /// The partner's counters in the periods that hold `instant`: every unit taken, including those
    /// still in flight for a request under way or leased ahead by a process (`spentUsage` leaves
    /// those out).
    public func usage(partner: String, at instant: Date) async throws -> QuotaUsage {
        let row = try await pool.execute(Self.usageStatement, [
            partner, QuotaPeriod.day.start(at: instant), QuotaPeriod.month.start(at: instant),
        ])[0]
        return QuotaUsage(today: try row.decode(Int.self, at: 0), thisMonth: try row.decode(Int.self, at: 1))
    }

    /// The partner's units spent by answers in the periods that hold `instant`: the counters less
    /// the units in flight (for requests under way, or leased ahead by a gateway process and not
    /// yet handed out). What the partner and the admin console are shown as used.
    public func spentUsage(partner: String, at instant: Date) async throws -> QuotaUsage {
        try MeteringInputError.checkText(partner, "partner", maximum: 200)
        return try await spent(partner: partner, at: instant)[partner] ?? QuotaUsage(today: 0, thisMonth: 0)
    }

    /// `spentUsage(partner:at:)` of every partner with a counter (a partner with none is absent).
    public func spentUsageOfAll(at instant: Date) async throws -> [String: QuotaUsage] {
        try await spent(partner: nil, at: instant)
    }

    private func spent(partner: String?, at instant: Date) async throws -> [String: QuotaUsage] {
        var usage: [String: QuotaUsage] = [:]
        for row in try await pool.execute(Self.spentUsageStatement, [
            partner, QuotaPeriod.day.start(at: instant), QuotaPeriod.month.start(at: instant),
        ]) {
            usage[try row.decode(String.self, at: 0)] = QuotaUsage(today: try row.decode(Int.self, at: 1), thisMonth: try row.decode(Int.self, at: 2))
        }
        return usage
    }

    /// Commits without waiting for its WAL flush (`synchronous_commit` off for this transaction only).
    ///
    /// The row locks serialise a partner's reservations, so a synchronous commit would hold every
    /// other caller for one WAL flush each (about 500 reservations/s on the 2-core machine). Durability
    /// is not lost: an answer leaves only after its meter event's synchronous commit, whose flush
    /// covers all earlier WAL, this reservation included; a crash before that flush loses only
    /// units whose requests never answered.
    private static let reserveStatement = PostgresStatement("""
        SELECT exhausted, day_used, month_used
        FROM set_config('synchronous_commit', 'off', true), quota_reserve($1, $2::date, $3::date, $4::bigint, $5::bigint, $6::bigint)
        """)

    /// Commits asynchronously for the same reason as `reserveStatement`.
    private static let reserveUpToStatement = PostgresStatement("""
        SELECT granted, exhausted, day_used, month_used
        FROM set_config('synchronous_commit', 'off', true),
             quota_reserve_up_to($1, $2::date, $3::date, $4::bigint, $5::bigint, $6::bigint)
        """)

    /// Commits asynchronously for the same reason as `reserveStatement`: the count in flight commits
    /// with its units, and a crash of the database before a flush loses both together.
    private static let reserveInflightStatement = PostgresStatement("""
        SELECT granted, exhausted, day_used, month_used, generation, started, reservation
        FROM set_config('synchronous_commit', 'off', true),
             quota_reserve_inflight($1, $2::date, $3::date, $4::bigint, $5::bigint, $6::bigint, $7)
        """)

    /// Commits asynchronously for the same reason as `reserveStatement`.
    private static let reserveLeaseStatement = PostgresStatement("""
        SELECT granted, exhausted, day_used, month_used, generation, started, reservation, leased
        FROM set_config('synchronous_commit', 'off', true),
             quota_reserve_lease($1, $2::date, $3::date, $4::bigint, $5::bigint, $6::bigint, $7, $8::bigint, $9::bigint)
        """)

    /// Commits asynchronously: a crash that loses the return leaves the units in the lease's count,
    /// which the sweep gives back once this process is gone or the count has not moved for ten minutes.
    private static let returnLeaseStatement = PostgresStatement("""
        SELECT returned
        FROM set_config('synchronous_commit', 'off', true),
             quota_return_lease($1, $2, $3::date, $4::date, $5::bigint, $6::bigint, $7::bigint, $8::bigint)
        """)

    private static let releaseInFlightStatement = PostgresStatement("""
        SELECT released FROM quota_release_inflight($1, $2, $3::date, $4::date, $5::bigint, $6::bigint, $7::bigint, $8::text[])
        """)

    /// Locks the day row before the month row, the order every reservation takes them in, so a
    /// release never deadlocks with a reservation (one UPDATE alone would lock them in scan order).
    private static let releaseStatement = PostgresStatement("""
        WITH locked AS (
            SELECT partner_id, period_kind, period_start FROM quota_counters
            WHERE partner_id = $1 AND used >= $4::bigint
              AND ((period_kind = 'day' AND period_start = $2::date) OR (period_kind = 'month' AND period_start = $3::date))
            ORDER BY period_kind
            FOR UPDATE
        )
        UPDATE quota_counters AS c SET used = c.used - $4::bigint
        FROM locked
        WHERE c.partner_id = locked.partner_id AND c.period_kind = locked.period_kind AND c.period_start = locked.period_start
        """)

    private static let usageStatement = PostgresStatement("""
        SELECT coalesce(sum(used) FILTER (WHERE period_kind = 'day'), 0)::bigint,
               coalesce(sum(used) FILTER (WHERE period_kind = 'month'), 0)::bigint
        FROM quota_counters
        WHERE partner_id = $1 AND ((period_kind = 'day' AND period_start = $2::date) OR (period_kind = 'month' AND period_start = $3::date))
        """)

    /// The counters less the units in flight (`quota_inflight`: taken − settled of every count),
    /// so that units a process leased ahead, or holds for a request still under way, are not shown
    /// as used before an answer spends them; of partner `$1`, or of every partner when it is NULL.
    private static let spentUsageStatement = PostgresStatement("""
        WITH counted AS (
            SELECT partner_id, period_kind, used FROM quota_counters
            WHERE (period_kind = 'day' AND period_start = $2::date) OR (period_kind = 'month' AND period_start = $3::date)
            UNION ALL
            SELECT partner_id, kind, CASE side WHEN 'taken' THEN -units ELSE units END
            FROM quota_inflight, LATERAL (VALUES ('day', day = $2::date), ('month', month = $3::date)) AS k(kind, holds)
            WHERE holds
        )
        SELECT partner_id,
               greatest(0, coalesce(sum(used) FILTER (WHERE period_kind = 'day'), 0))::bigint,
               greatest(0, coalesce(sum(used) FILTER (WHERE period_kind = 'month'), 0))::bigint
        FROM counted
        WHERE $1::text IS NULL OR partner_id = $1
        GROUP BY partner_id
        """)
}
