import BrokerCore
import Foundation
import PostgresClient
import Synchronization

/// What the clients were told, kept while a scenario runs and compared with the database after it.
final class ClientRecord: Sendable {
    struct Keyed: Sendable {
        var request: PlannedRequest
        /// The first success (2xx) the key got, if any: what the gateway keeps for it.
        var answer: Answer?
        /// Every request id answered for the key (a replay carries the first one's).
        var requestIDs: Set<String> = []
    }

    private struct State {
        /// Request id → partner, of every 200 answer.
        var answered: [String: String] = [:]
        var disclosing = 0
        var keyed: [String: Keyed] = [:]
        var statuses: [Int: Int] = [:]
        var unanswered = 0
    }

    private let state = Mutex(State())

    /// Notes one exchange.
    func note(_ request: PlannedRequest, _ answer: Answer) {
        let requestID = answer.status == 200 ? answer.requestID : nil
        let disclosing = answer.disclosedCount > 0
        state.withLock { state in
            if let status = answer.status { state.statuses[status, default: 0] += 1 } else { state.unanswered += 1 }
            if let requestID {
                state.answered[requestID] = request.partner
                if disclosing { state.disclosing += 1 }
            }
            guard let key = request.idempotencyKey else { return }
            var keyed = state.keyed[key] ?? Keyed(request: request)
            // The gateway keeps a key's first success only (`IdempotencyMiddleware`).
            if let status = answer.status, (200..<300).contains(status), keyed.answer == nil { keyed.answer = answer }
            if let requestID { keyed.requestIDs.insert(requestID) }
            state.keyed[key] = keyed
        }
    }

    var answered: [String: String] { state.withLock { $0.answered } }
    var disclosing: Int { state.withLock { $0.disclosing } }
    var keyed: [String: Keyed] { state.withLock { $0.keyed } }
    var unanswered: Int { state.withLock { $0.unanswered } }
    var statuses: [Int: Int] { state.withLock { $0.statuses } }

    /// `200×812 429×3 503×1 none×5`.
    var statusSummary: String {
        let (statuses, unanswered) = state.withLock { ($0.statuses, $0.unanswered) }
        return (statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" } + (unanswered > 0 ? ["none×\(unanswered)"] : []))
            .joined(separator: " ")
    }
}

/// The database's side: meter events and quota counters.
struct LedgerCheck {
    let pool: PostgresPool

    /// The billable routes: each admitted request takes one unit of its partner's quotas.
    static let billable = ["POST /v1/queries", "POST /v1/scores"]

    struct Verdict {
        /// 200 answers a client received whose request id has no meter event.
        var lost: [String] = []
        /// Meter events of a received request id beyond its first (the ledger's unique index makes it 0) and
        /// idempotency keys answered under more than one request id (a request run, and metered, twice).
        var doubled: [String] = []
        /// Quota counter rows that differ from the count of their committed billable events.
        var quotaMismatches: [String] = []
        var meterEvents = 0

        var clean: Bool { lost.isEmpty && doubled.isEmpty && quotaMismatches.isEmpty }
    }

    /// Compares what the clients received with the committed meter events and the quota counters.
    func check(_ record: ClientRecord) async throws -> Verdict {
        var verdict = Verdict()
        var events: [String: Int] = [:]
        for row in try await pool.query("SELECT request_id, count(*) FROM meter_events GROUP BY request_id") {
            events[try row.decode(String.self, at: 0)] = try row.decode(Int.self, at: 1)
        }
        verdict.meterEvents = events.values.reduce(0, +)
        for (requestID, _) in record.answered {
            switch events[requestID] ?? 0 {
            case 0: verdict.lost.append(requestID)
            case 1: break
            default: verdict.doubled.append("request \(requestID): \(events[requestID]!) meter events")
            }
        }
        for (_, keyed) in record.keyed where keyed.requestIDs.count > 1 {
            verdict.doubled.append("one Idempotency-Key of \(keyed.request.partner) answered by \(keyed.requestIDs.count) requests")
        }
        verdict.quotaMismatches = try await quotaMismatches()
        return verdict
    }

    /// Every quota counter (day and month, China time) against the billable events with a status
    /// below 400 (an answer that did not leave gives its unit back) in the same period.
    func quotaMismatches() async throws -> [String] {
        let offset = CivilDate.chinaUTCOffset
        let rows = try await pool.query("""
            WITH metered AS (
                SELECT partner_id, ((occurred_at AT TIME ZONE 'UTC') + \(offset) * interval '1 second')::date AS day
                FROM meter_events WHERE endpoint = ANY(string_to_array(\(Self.billable.joined(separator: ",")), ',')) AND http_status < 400
            ), counted AS (
                SELECT partner_id, 'day' AS period_kind, day AS period_start, count(*) AS n FROM metered GROUP BY 1, 3
                UNION ALL
                SELECT partner_id, 'month', date_trunc('month', day)::date, count(*) FROM metered GROUP BY 1, 3
            )
            SELECT partner_id, period_kind, period_start::text, coalesce(q.used, 0), coalesce(c.n, 0)
            FROM quota_counters q FULL JOIN counted c USING (partner_id, period_kind, period_start)
            WHERE coalesce(q.used, 0) <> coalesce(c.n, 0)
            ORDER BY 1, 2, 3
            """)
        return try rows.map { row in
            "\(try row.decode(String.self, at: 0)) \(try row.decode(String.self, at: 1)) \(try row.decode(String.self, at: 2)): "
                + "counter \(try row.decode(Int.self, at: 3)), committed billable events \(try row.decode(Int.self, at: 4))"
        }
    }
}
