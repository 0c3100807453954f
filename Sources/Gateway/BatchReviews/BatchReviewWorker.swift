import BrokerCore
import BrokerStore
import Foundation
import Logging
import Metering
import ServiceLifecycle

/// Processes batch reviews in the background of a gateway process, as a swift-service-lifecycle
/// `Service` that runs as long as the application.
///
/// It claims one unfinished batch at a time (any process's: the store leases batches, so several
/// gateways share the queue and a batch left by a stopped or crashed process is taken over), and
/// works through it in chunks: one query fetches the records of every subject of the chunk, each
/// subject's answer is masked with the batch's profile, one meter event per subject is committed
/// (group commit) and only then are the chunk's results stored. A chunk done twice (after a crash
/// between the two) is metered and counted once. A batch whose attempts keep failing is marked
/// failed and the quota units of its unprocessed subjects are released. On graceful shutdown it
/// finishes the chunk in hand and gives up its lease.
public struct BatchReviewWorker: Service {
    public struct Configuration: Sendable {
        /// Subjects fetched, metered and stored together.
        public var chunkSize: Int
        /// How long a claimed batch stays with this worker without progress.
        public var lease: Duration
        /// How often the worker looks for batches queued by other processes or left behind.
        public var pollInterval: Duration
        /// Failed attempts after which a batch is marked failed.
        public var maximumFailures: Int

        public init(chunkSize: Int = 500, lease: Duration = .seconds(60), pollInterval: Duration = .seconds(2), maximumFailures: Int = 3) {
            precondition(chunkSize > 0 && maximumFailures > 0, "need a positive chunk size and failure limit")
            self.chunkSize = chunkSize
            self.lease = lease
            self.pollInterval = pollInterval
            self.maximumFailures = maximumFailures
        }
    }

    /// The meter ledger's endpoint for a processed subject.
    static let endpoint = "/v1/batch-reviews/{id}"

    let queries: QueryService
    let store: BatchReviewStore
    let quotas: QuotaLedger
    let meter: MeterWriter
    let configuration: Configuration
    /// The broker's clock: a subject's records are those disclosable on its day, and its meter event is stamped with it.
    let clock: any WallClock
    let logger = Logger(label: "credit-broker.batch-reviews")
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation

    init(queries: QueryService, store: BatchReviewStore, quotas: QuotaLedger, meter: MeterWriter, configuration: Configuration, clock: any WallClock) {
        self.queries = queries
        self.clock = clock
        self.store = store
        self.quotas = quotas
        self.meter = meter
        self.configuration = configuration
        (wakeups, wakeup) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Makes the worker look for batches now (a batch was just queued).
    func wake() {
        wakeup.yield()
    }

    /// Runs until the application shuts down or the task is cancelled. Call once.
    public func run() async {
        await withTaskCancellationOrGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [wakeup, configuration] in
                    while (try? await Task.sleep(for: configuration.pollInterval)) != nil {
                        wakeup.yield()
                    }
                }
                for await _ in wakeups {
                    await drain()
                }
                group.cancelAll()
            }
        } onCancelOrGracefulShutdown: { [wakeup] in
            wakeup.finish()
        }
    }

    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    /// Processes batches until none is waiting.
    private func drain() async {
        while !stopping {
            let claimed: BatchReview?
            do {
                claimed = try await store.claim(lease: configuration.lease)
            } catch {
                logger.error("cannot claim a batch review", metadata: ["error": "\(error)"])
                return
            }
            guard let review = claimed else { return }
            guard await process(review) else { return }
        }
    }

    /// Works through one claimed batch; `false` if it stopped on an error (try again later).
    private func process(_ review: BatchReview) async -> Bool {
        guard let decision = try? JSONDecoder().decode(BatchDecision.self, from: Data(review.decision.utf8)),
              let masker = queries.maskers[decision.maskingProfile]
        else {
            await fail(review, reason: "the batch's decision or masking profile is no longer readable")
            return true
        }
        var current = review
        do {
            while current.status == .running {
                if stopping {
                    try await store.release(current)
                    return true
                }
                let chunk = try await store.pending(current, limit: configuration.chunkSize)
                guard !chunk.isEmpty else {
                    await fail(current, reason: "the batch has no unprocessed subjects left but is not complete")
                    return true
                }
                current = try await processChunk(chunk, of: current, decision: decision, masker: masker)
            }
            return true
        } catch where Task.isCancelled {
            // Stopped without a graceful shutdown: the lease lapses and another worker resumes the batch.
            return false
        } catch {
            logger.error("batch review attempt failed", metadata: ["batch": "\(review.id)", "error": "\(error)"])
            do {
                if try await store.recordFailure(current) >= configuration.maximumFailures {
                    await fail(current, reason: "processing failed \(configuration.maximumFailures) times")
                }
            } catch {
                logger.error("cannot record a batch review failure", metadata: ["batch": "\(review.id)", "error": "\(error)"])
            }
            return false
        }
    }

    /// Fetches, masks, meters and stores one chunk; returns the batch afterwards.
    private func processChunk(
        _ chunk: [BatchReviewSubject], of review: BatchReview, decision: BatchDecision, masker: Masker
    ) async throws -> BatchReview {
        let elapsed = ContinuousClock()
        let start = elapsed.now
        let now = clock.now()
        let subjectKeys = Array(Set(chunk.map(\.subjectKey)))
        let records = decision.disclosed.isEmpty ? [] : try await queries.reads.records {
            try await $0.disclosableRecords(of: subjectKeys, items: decision.disclosed, on: CivilDate(now))
        }
        let recordsBySubject = Dictionary(grouping: records, by: \.subjectKey)
        let disclosedByKind = Dictionary(grouping: decision.disclosed) { queries.catalog.item($0)?.subject }
        let withheld = decision.withheld.map(\.meterEntry)
        var results: [BatchReviewResult] = []
        var events: [MeterEvent] = []
        for subject in chunk {
            let items = disclosedByKind[subject.kind] ?? []
            let disclosed = queries.disclosedItems(items, records: recordsBySubject[subject.subjectKey] ?? [], masker: masker)
            let indicators = BatchIndicator.shown(by: disclosed).map(\.rawValue)
            let json = try JSONResponse.encode(BatchSubjectResult(
                index: subject.position, subject: subject.label, kind: subject.kind, indicators: indicators, disclosed: disclosed
            ))
            results.append(BatchReviewResult(position: subject.position, json: String(decoding: json, as: UTF8.self), indicators: indicators))
            events.append(MeterEvent(
                partnerID: review.partnerID, requestID: "\(review.id)/\(subject.position)", endpoint: Self.endpoint,
                purpose: decision.purpose, disclosed: items, withheld: withheld, consentID: nil,
                contractLabel: decision.contractVersion.label, contractDigest: decision.contractVersion.digest,
                status: 200, latency: elapsed.now - start, responseBytes: json.count,
                subjectHash: queries.hasher.meterHash(ofSubjectKey: subject.subjectKey), occurredAt: now
            ))
        }
        try await withThrowingDiscardingTaskGroup { group in
            for event in events {
                group.addTask { [meter] in
                    do {
                        try await meter.record(event)
                    } catch MeterError.duplicateRequestID {
                        // Metered by an earlier attempt at this chunk whose results were not stored.
                    }
                }
            }
        }
        return try await store.complete(review, results: results, lease: configuration.lease)
    }

    /// Marks the batch failed and gives back the quota units of its unprocessed subjects, in one
    /// transaction: a process that dies in between leaves neither (the next attempt fails it again).
    private func fail(_ review: BatchReview, reason: String) async {
        logger.error("batch review failed", metadata: ["batch": "\(review.id)", "reason": "\(reason)"])
        do {
            try await store.pool.transaction { connection in
                guard let failed = try await store.fail(review, reason: reason, on: connection), failed.remaining > 0 else { return }
                try await quotas.release(
                    partner: failed.partnerID, units: failed.remaining, day: failed.quotaDay, month: failed.quotaMonth, on: connection
                )
            }
        } catch {
            logger.error("cannot mark a batch review failed", metadata: ["batch": "\(review.id)", "error": "\(error)"])
        }
    }
}
