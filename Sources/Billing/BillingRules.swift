import BrokerCore

/// What is billed: the one rule, which the statements (in SQL), the usage export's `billed`
/// column and the tests' recounts all apply.
///
/// A metered call is billed when it answered 2xx on a priced route and disclosed at least one
/// item: a query, a score or a report per call (by the month's volume band) and per disclosed
/// item; a batch review per subject processed and per disclosed item. Never billed: failures (an
/// error status), withheld-only answers (nothing disclosed), the routes no plan prices, and
/// idempotent replays (answered from the first answer's copy, they are not metered again).
public enum BillingRules {
    /// The routes billed per call, as the meter ledger names them.
    public static let callRoutes = ["POST /v1/queries", "POST /v1/scores", "POST /v1/reports"]
    /// The meter ledger's route for a processed batch-review subject (`BatchReviewWorker.endpoint`).
    public static let batchRoute = "/v1/batch-reviews/{id}"

    /// Why a call is not billed, or `nil` when it is.
    public static func unbilled(route: String, status: Int, disclosed: Int) -> Statement.Unbilled? {
        if !(200...299).contains(status) { return .failed }
        if !callRoutes.contains(route) && route != batchRoute { return .notBillable }
        if disclosed == 0 { return .withheldOnly }
        return nil
    }

    /// `unbilled` in SQL over a `meter_events` row, with the call routes as `$callRoutes` (text[])
    /// and the batch route as `$batchRoute` (text): NULL when billed.
    static func unbilledSQL(callRoutes: Int, batchRoute: Int) -> String {
        """
        CASE WHEN http_status NOT BETWEEN 200 AND 299 THEN 'failed'
             WHEN NOT (endpoint = ANY($\(callRoutes)::text[]) OR endpoint = $\(batchRoute)::text) THEN 'not_billable'
             WHEN items_disclosed = '[]'::jsonb THEN 'withheld_only' END
        """
    }
}
