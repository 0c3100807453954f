import BrokerCore
import BrokerStore
import Metering
import PostgresClient

/// What `POST /v1/batch-reviews` and `GET /v1/batch-reviews/{id}` need, and the background worker
/// that processes the batches (add `worker` to the application's services).
public struct BatchReviewService: Sendable {
    let queries: QueryService
    let store: BatchReviewStore
    let quotas: QuotaLedger
    /// Processes queued batches; the routes wake it when they queue one.
    public let worker: BatchReviewWorker

    /// - Parameters:
    ///   - keys: seal each subject's result (it may carry a subject's kept statement) and open it.
    ///   - meter: where the worker records one meter event per processed subject.
    public init(
        queries: QueryService, pool: PostgresPool, keys: SealingKeys, meter: MeterWriter,
        configuration: BatchReviewWorker.Configuration = .init(), clock: any WallClock = SystemClock()
    ) {
        self.queries = queries
        store = BatchReviewStore(pool: pool, keys: keys)
        quotas = QuotaLedger(pool: pool)
        worker = BatchReviewWorker(
            queries: queries, store: store, quotas: quotas, meter: meter, configuration: configuration, clock: clock
        )
    }
}
