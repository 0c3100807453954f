import BrokerCore
import BrokerStore
import Crypto
import Foundation
import PostgresClient

/// Monthly statements from the meter ledger (`billing_months`, `billing_statements`,
/// `billing_adjustments`).
///
/// Closing a month (China time) prices every partner's committed meter events of the month by the
/// rate plan of the contract version each was answered under (the digest its meter event records,
/// looked up in `contract_versions`), adds the approved adjustments not yet carried, and stores one
/// statement per partner: its canonical JSON, the SHA-256 of it, the partner's previous statement's
/// SHA-256 and the digest of the events it covers. A month closes once, after it has ended and
/// `grace` has passed, and months close in order; what is closed is never rewritten.
public struct BillingStore: Sendable {
    /// How long after a month ends it may be closed: a call in flight at midnight, or a batch-review
    /// chunk started before it, commits its meter event within seconds; this leaves minutes.
    public static let grace: Duration = .seconds(600)

    /// Serialises closings and the adjustments they carry ("CRBILL").
    private static let lockKey: Int64 = 0x4352_4249_4C4C

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// One stored statement, as lists show it.
    public struct Summary: Sendable, Hashable, Codable {
        public let partner: String
        public let month: CivilMonth
        public let sha256: String
        public let total: Money
        public let events: Int

        enum CodingKeys: String, CodingKey { case partner, month, sha256, total, events }
    }

    /// What `close` did.
    public struct Closing: Sendable, Hashable {
        public let month: CivilMonth
        /// The month was closed before: nothing was written, `statements` are the stored ones.
        public let alreadyClosed: Bool
        public let statements: [Summary]
        /// Meter events the month's statements cover.
        public let events: Int
    }

    // MARK: Closing

    /// Closes `month` on the caller's transaction (an admin request's audit transaction, or the
    /// command line's), or returns the month as closed before.
    /// - Throws: `BillingError` (`month-not-over`, `later-month-closed`, `unpriceable`).
    public static func close(_ month: CivilMonth, by actor: ChangeActor, at now: Date, on connection: PostgresConnection) async throws -> Closing {
        try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))")
        if try await connection.query("SELECT 1 FROM billing_months WHERE month = \(month.firstDay)::date").first != nil {
            let stored = try await summaries(partner: nil, month: month, on: connection)
            return Closing(month: month, alreadyClosed: true, statements: stored, events: stored.reduce(0) { $0 + $1.events })
        }
        let closable = month.end.addingTimeInterval(TimeInterval(grace.components.seconds))
        guard now >= closable else {
            throw BillingError(
                .monthNotOver, field: "month",
                "\(month) can be closed from \(closable.chinaRFC3339), once it has ended and its last calls' meter events have committed."
            )
        }
        let latest = try await connection.query("SELECT max(month) FROM billing_months")[0].decode(CivilDate?.self, at: 0).map(CivilMonth.init)
        if let latest, latest > month {
            throw BillingError(.laterMonthClosed, field: "month", "\(latest) is closed already: months close in order, so \(month) can no longer be.")
        }

        let contracts = try await Self.contracts(on: connection)
        let ledgerPartners = Set(contracts.values.map(\.partnerID))
        // Closing this month closes every month before it for good: none of them may hold calls
        // not yet billed (a month closed far ahead, 1999-01 or next year's, locked out every month
        // between with one request).
        let openSince = latest?.end ?? Date(timeIntervalSince1970: 0)
        if openSince < month.start, let first = try await connection.execute(
            Self.firstOpenEventStatement, [TextArrayParameter(ledgerPartners.sorted()), openSince, month.start]
        )[0].decode(Date?.self, at: 0) {
            let open = CivilMonth(containing: first)
            throw BillingError(
                .earlierMonthOpen, field: "month",
                "\(open) holds metered calls and is not closed: months close in order, so close \(open) first."
            )
        }
        // The month's events are numbered and digested in order: sorts of a million rows, which the
        // default 4 MB of work memory would spill to disk. For this transaction only.
        try await connection.query("SELECT set_config('work_mem', '256MB', true)")
        let usage = try await Self.usage(partners: ledgerPartners.sorted(), month: month, contracts: contracts, on: connection)
        let pending = Dictionary(grouping: try await connection.query("""
            SELECT \(unsafeRaw: adjustmentColumns) FROM billing_adjustments a
            WHERE status = 'approved' AND statement_id IS NULL AND decided_at < \(now)
            ORDER BY id
            """).map(adjustment), by: \.partnerID)
        var previous: [String: String] = [:]
        for row in try await connection.query("""
            SELECT DISTINCT ON (partner_id) partner_id, sha256 FROM billing_statements ORDER BY partner_id, month DESC
            """) {
            previous[try row.decode(at: 0)] = try row.decode(String.self, at: 1)
        }
        // Every partner under contract in the month gets a statement, with calls or without.
        let inTerm = contracts.values.filter { contract in
            contract.term.from <= month.lastDay && month.firstDay <= contract.term.to
        }.map(\.partnerID)
        let partners = Set(inTerm).union(usage.keys).union(pending.keys).sorted()

        var statements: [(statement: Statement, document: Data, sha256: String)] = []
        for partner in partners {
            let statement: Statement
            do {
                statement = try StatementPricing.statement(
                    partner: partner, month: month, usage: usage[partner] ?? MonthUsage(), contracts: contracts,
                    adjustments: pending[partner] ?? [], previous: previous[partner], closedAt: now
                )
            } catch {
                throw BillingError(.unpriceable, "\(month) cannot be closed: \(error)")
            }
            let document = statement.document
            statements.append((statement, document, Statement.sha256(of: document)))
        }
        let events = statements.reduce(0) { $0 + $1.statement.events.count }
        try await connection.query("""
            INSERT INTO billing_months (month, closed_at, closed_by, closed_via, statements, events)
            VALUES (\(month.firstDay)::date, \(now), \(actor.subject), \(actor.via), \(statements.count), \(events))
            """)
        for (statement, document, sha256) in statements {
            let id = try await connection.query("""
                INSERT INTO billing_statements (partner_id, month, document, sha256, previous_sha256, events, events_sha256, total_fen)
                VALUES (\(statement.partner), \(month.firstDay)::date, \(String(decoding: document, as: UTF8.self)), \(sha256),
                        \(statement.previousStatement), \(statement.events.count), \(statement.events.sha256), \(statement.total.fen))
                RETURNING id
                """)[0].decode(Int64.self, at: 0)
            let carried = (pending[statement.partner] ?? []).map(\.id)
            if !carried.isEmpty {
                try await connection.query("""
                    UPDATE billing_adjustments SET statement_id = \(id) WHERE id = ANY(\(TextArrayParameter(carried.map { String($0) }))::bigint[])
                    """)
            }
        }
        return Closing(
            month: month, alreadyClosed: false,
            statements: statements.map {
                Summary(partner: $0.statement.partner, month: month, sha256: $0.sha256, total: $0.statement.total, events: $0.statement.events.count)
            },
            events: events
        )
    }

    /// Closes `month` in a transaction of its own (for tools and tests; the admin API and the
    /// command line close in their audit transaction).
    public func close(_ month: CivilMonth, by actor: ChangeActor, at now: Date) async throws -> Closing {
        try await pool.transaction { try await Self.close(month, by: actor, at: now, on: $0) }
    }

    /// Every contract version of the ledger by digest: the digest `contract_versions` stores and the
    /// one the decoded contract yields (the meter events name the latter, which is the former for
    /// every version written by this code).
    static func contracts(on connection: PostgresConnection) async throws -> [String: Contract] {
        var contracts: [String: Contract] = [:]
        for row in try await connection.query("SELECT digest, body FROM contract_versions ORDER BY id") {
            let contract = try row.decode(PostgresJSON<Contract>.self, at: 1).value
            contracts[try row.decode(String.self, at: 0)] = contract
            contracts[contract.version.digest] = contract
        }
        return contracts
    }

    // MARK: Counting the ledger

    /// The month's meter events of `partners`, counted as statements price them (partners without
    /// events are absent).
    ///
    /// One pass groups the month's events by partner, China-time day, route, version, billing class
    /// and items disclosed. A partner's billable calls are numbered through the month in the order
    /// answered (time, then ledger id) to find each call's band; a day whose calls all fall in one
    /// band of every plan they were answered under needs no numbering, so only the few days a band
    /// boundary falls in are read call by call.
    public static func usage(
        partners: [String], month: CivilMonth, contracts: [String: Contract], on connection: PostgresConnection
    ) async throws -> [String: MonthUsage] {
        struct CallKey: Hashable {
            let route: String, digest: String, band: Int
        }
        struct ItemKey: Hashable {
            let route: String, digest: String, item: String
        }
        struct DayCalls {
            var groups: [(route: String, digest: String, count: Int)] = []
            var total = 0
        }
        var first: [String: [String: Date]] = [:]
        var unbilled: [String: [String: [Statement.Unbilled: Int]]] = [:]
        var items: [String: [ItemKey: Int]] = [:]
        var subjects: [String: [String: [String: Int]]] = [:]
        var days: [String: [CivilDate: DayCalls]] = [:]
        for row in try await connection.execute(groupsStatement, [
            TextArrayParameter(partners), month.start, month.end, TextArrayParameter(BillingRules.callRoutes), BillingRules.batchRoute,
        ]) {
            let partner = try row.decode(String.self, at: 0)
            let day = try row.decode(CivilDate.self, at: 1)
            let (route, digest) = (try row.decode(String.self, at: 2), try row.decode(String.self, at: 3))
            let count = try row.decode(Int.self, at: 6)
            let earliest = try row.decode(Date.self, at: 7)
            first[partner, default: [:]][digest] = min(first[partner]?[digest] ?? earliest, earliest)
            if let reason = try row.decode(Statement.Unbilled?.self, at: 4) {
                unbilled[partner, default: [:]][route, default: [:]][reason, default: 0] += count
                continue
            }
            for item in try row.decode(PostgresJSON<[String]>.self, at: 5).value {
                items[partner, default: [:]][ItemKey(route: route, digest: digest, item: item), default: 0] += count
            }
            if route == BillingRules.batchRoute {
                subjects[partner, default: [:]][route, default: [:]][digest, default: 0] += count
            } else {
                days[partner, default: [:]][day, default: DayCalls()].groups.append((route, digest, count))
                days[partner]![day]!.total += count
            }
        }

        var usage: [String: MonthUsage] = [:]
        for (partner, digests) in first {
            var partnerUsage = MonthUsage()
            partnerUsage.digests = digests.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
            partnerUsage.unbilled = (unbilled[partner] ?? [:]).flatMap { route, reasons in
                reasons.map { MonthUsage.Unbilled(route: route, reason: $0.key, count: $0.value) }
            }
            partnerUsage.items = (items[partner] ?? [:]).map { MonthUsage.Items(route: $0.key.route, digest: $0.key.digest, item: $0.key.item, count: $0.value) }
            partnerUsage.batchSubjects = (subjects[partner] ?? [:]).flatMap { route, byDigest in
                byDigest.map { MonthUsage.Subjects(route: route, digest: $0.key, count: $0.value) }
            }
            usage[partner] = partnerUsage
        }
        let bands = contracts.mapValues(\.prices.callBands)
        func band(_ call: Int, _ digest: String) -> Int { bands[digest]?.firstIndex { $0.contains(call) } ?? 0 }
        for (partner, byDay) in days {
            var calls: [CallKey: Int] = [:]
            var next = 1
            for (day, dayCalls) in byDay.sorted(by: { $0.key < $1.key }) {
                let last = next + dayCalls.total - 1
                if Set(dayCalls.groups.map(\.digest)).allSatisfy({ band(next, $0) == band(last, $0) }) {
                    for group in dayCalls.groups { calls[CallKey(route: group.route, digest: group.digest, band: band(next, group.digest)), default: 0] += group.count }
                } else {
                    var number = next
                    for row in try await connection.execute(dayCallsStatement, [
                        partner, max(day.start(), month.start), min(day.adding(days: 1).start(), month.end), TextArrayParameter(BillingRules.callRoutes),
                        BillingRules.batchRoute,
                    ]) {
                        let (route, digest) = (try row.decode(String.self, at: 0), try row.decode(String.self, at: 1))
                        calls[CallKey(route: route, digest: digest, band: band(number, digest)), default: 0] += 1
                        number += 1
                    }
                    guard number == last + 1 else {
                        throw StoreInconsistency("\(partner)'s billable calls of \(day) changed while they were counted")
                    }
                }
                next = last + 1
            }
            usage[partner, default: MonthUsage()].calls = calls.map { MonthUsage.Calls(route: $0.key.route, digest: $0.key.digest, band: $0.key.band, count: $0.value) }
        }
        for (partner, events) in try await eventDigests(partners: partners, month: month, on: connection) {
            usage[partner, default: MonthUsage()].events = events
        }
        return usage
    }

    /// The count and digest (`eventsDigest`) of each partner's meter events of the month, what a
    /// statement cites (partners without events are absent): one pass over the month's events.
    static func eventDigests(partners: [String], month: CivilMonth, on connection: PostgresConnection) async throws -> [String: Statement.Events] {
        var digests: [String: [(day: String, count: Int, sha256: String)]] = [:]
        for row in try await connection.execute(daysStatement, [TextArrayParameter(partners), month.start, month.end]) {
            digests[try row.decode(String.self, at: 0), default: []].append(
                (try row.decode(CivilDate.self, at: 1).description, try row.decode(at: 2), try row.decode(at: 3))
            )
        }
        return digests.mapValues { days in Statement.Events(count: days.reduce(0) { $0 + $1.count }, sha256: eventsDigest(days: days)) }
    }

    /// The digest of a statement's meter events: SHA-256 of one line per China-time day with events,
    /// in order, `YYYY-MM-DD <count> <day digest>\n`, where the day digest is the SHA-256 of the
    /// day's events, one line each in the order of their time then request id, joined by `\n`:
    /// `request_id \t occurred_at (UTC, microseconds) \t route \t status \t contract digest \t items disclosed (JSON)`.
    public static func eventsDigest(days: [(day: String, count: Int, sha256: String)]) -> String {
        var hash = SHA256()
        for day in days { hash.update(data: Array("\(day.day) \(day.count) \(day.sha256)\n".utf8)) }
        return hash.finalize().lowercaseHex
    }

    /// The month's events of `$1` (text[]) from `$2` until `$3`.
    private static let inMonth = "partner_id = ANY($1::text[]) AND occurred_at >= $2 AND occurred_at < $3"

    /// The month's events in groups (`$4`: the call routes, `$5`: the batch route): partner, day
    /// (China time), route, contract digest, why not billed (NULL: billed), items disclosed, how
    /// many, the first one's time.
    private static let groupsStatement = PostgresStatement(unsafeSQL: """
        SELECT partner_id, day, endpoint, contract_digest, unbilled, items_disclosed, count(*)::bigint, min(occurred_at)
        FROM (SELECT partner_id, \(chinaDay) AS day, endpoint, contract_digest, items_disclosed,
                     occurred_at, \(BillingRules.unbilledSQL(callRoutes: 4, batchRoute: 5)) AS unbilled
              FROM meter_events WHERE \(inMonth)) AS e
        GROUP BY partner_id, day, endpoint, contract_digest, unbilled, items_disclosed
        """)

    /// One partner's billed calls (`$4`: the call routes, `$5`: the batch route) from `$2` until
    /// `$3` (a day), in the order answered: the call routes' events the one rule bills.
    private static let dayCallsStatement = PostgresStatement(unsafeSQL: """
        SELECT endpoint, contract_digest FROM meter_events
        WHERE partner_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND endpoint = ANY($4::text[])
          AND (\(BillingRules.unbilledSQL(callRoutes: 4, batchRoute: 5))) IS NULL
        ORDER BY occurred_at, id
        """)

    private static let daysStatement = PostgresStatement(unsafeSQL: """
        SELECT partner_id, \(chinaDay) AS day, count(*)::bigint,
               encode(sha256(convert_to(string_agg(
                   request_id || E'\\t' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\t' || endpoint
                   || E'\\t' || http_status || E'\\t' || contract_digest || E'\\t' || items_disclosed::text,
                   E'\\n' ORDER BY occurred_at, request_id), 'UTF8')), 'hex')
        FROM meter_events WHERE \(inMonth)
        GROUP BY 1, 2 ORDER BY 1, 2
        """)

    /// The first meter event of any of the partners (`$1`) from `$2` until `$3`: one index probe
    /// per partner (`meter_events_partner_time`), not a scan of the ledger.
    private static let firstOpenEventStatement = PostgresStatement(unsafeSQL: """
        SELECT min(first) FROM unnest($1::text[]) AS p(partner),
        LATERAL (SELECT min(occurred_at) AS first FROM meter_events WHERE partner_id = p.partner AND occurred_at >= $2 AND occurred_at < $3) AS e
        """)

    /// The China-time day of `occurred_at`, a `date` (as `UsageQuery` counts days).
    static let chinaDay = CivilDate.chinaDaySQL(of: "occurred_at")

    // MARK: Reading

    /// The stored statements of `partner` (all when `nil`) and `month` (all when `nil`), by month then partner.
    public func statements(partner: String?, month: CivilMonth?) async throws -> [Summary] {
        try await pool.withConnection { try await Self.summaries(partner: partner, month: month, on: $0) }
    }

    static func summaries(partner: String?, month: CivilMonth?, on connection: PostgresConnection) async throws -> [Summary] {
        try await connection.query("""
            SELECT partner_id, month, sha256, total_fen, events FROM billing_statements
            WHERE (\(partner)::text IS NULL OR partner_id = \(partner)) AND (\(month?.firstDay)::date IS NULL OR month = \(month?.firstDay)::date)
            ORDER BY month, partner_id
            """).map { row in
            Summary(
                partner: try row.decode(at: 0), month: CivilMonth(try row.decode(CivilDate.self, at: 1)), sha256: try row.decode(at: 2), total: Money(fen: try row.decode(at: 3)),
                events: try row.decode(at: 4)
            )
        }
    }

    /// The stored statement of `partner` for `month`: its document, byte for byte, and its SHA-256.
    public func statement(partner: String, month: CivilMonth) async throws -> (document: Data, sha256: String)? {
        try await pool.query("""
            SELECT document, sha256 FROM billing_statements WHERE partner_id = \(partner) AND month = \(month.firstDay)::date
            """).first.map { row in (Data(try row.decode(String.self, at: 0).utf8), try row.decode(String.self, at: 1)) }
    }

    /// The closed months, newest first.
    public func closedMonths() async throws -> [CivilMonth] {
        try await pool.query("SELECT month FROM billing_months ORDER BY month DESC").map { row in
            CivilMonth(try row.decode(CivilDate.self, at: 0))
        }
    }

    // MARK: Verifying

    /// How one stored statement compares with the ledger today.
    public struct Verification: Sendable, Hashable {
        public let partner: String
        /// Its stored SHA-256 is that of its stored document.
        public let documentIntact: Bool
        /// It cites the partner's previous statement's SHA-256.
        public let chainIntact: Bool
        /// The meter events of the month today: their count and digest, as the statement states them.
        public let eventsNow: Statement.Events
        public var eventsMatch: Bool { eventsNow == stated }
        let stated: Statement.Events

        public var intact: Bool { documentIntact && chainIntact && eventsMatch }
    }

    /// Recomputes each of `month`'s statements' document digest, chain link and events digest.
    public func verify(_ month: CivilMonth) async throws -> [Verification] {
        try await pool.withConnection { connection in
            let rows = try await connection.query("""
                SELECT s.partner_id, s.document, s.sha256, s.previous_sha256,
                       (SELECT p.sha256 FROM billing_statements p WHERE p.partner_id = s.partner_id AND p.month < s.month ORDER BY p.month DESC LIMIT 1)
                FROM billing_statements s WHERE s.month = \(month.firstDay)::date ORDER BY s.partner_id
                """)
            let partners = try rows.map { try $0.decode(String.self, at: 0) }
            // Only the events' counts and digests are compared: the month is not priced again.
            let events = try await Self.eventDigests(partners: partners, month: month, on: connection)
            return try rows.map { row in
                let document = Data(try row.decode(String.self, at: 1).utf8)
                let partner = try row.decode(String.self, at: 0)
                let stated = try Statement(document: document)
                let (sha256, cited, previous) = (try row.decode(String.self, at: 2), try row.decode(String?.self, at: 3), try row.decode(String?.self, at: 4))
                return Verification(
                    partner: partner, documentIntact: Statement.sha256(of: document) == sha256,
                    chainIntact: cited == previous && stated.previousStatement == cited,
                    eventsNow: events[partner] ?? MonthUsage.noEvents, stated: stated.events
                )
            }
        }
    }
}
