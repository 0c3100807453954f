import BrokerCore
import BrokerStore
import Foundation
import Logging
import PostgresClient
import ServiceLifecycle
import Synchronization

/// Writes meter events durably, many callers per transaction (group commit).
///
/// `record` returns only once its event is committed (with `synchronous_commit` on). Events that
/// arrive while a batch commits wait in a bounded queue and go together into the next
/// transaction, a single multi-row INSERT; when it commits, all their callers resume, and when it
/// fails, all of them get the error. Callers beyond `queueCapacity` are held back, in arrival
/// order, until the queue has room (back-pressure: nothing is dropped, nothing overtakes).
///
/// If the connection breaks while COMMIT is in flight, the outcome is unknown and the callers get
/// an error: such an event may be in the ledger although its response was never sent (metered,
/// not served), never the other way round.
///
/// A `Service`: it writes while `run()` runs, in the application's service group. On graceful
/// shutdown (or `close()`) it commits everything queued, then refuses new events; the group shuts it
/// down after the listeners have drained, so every answer that left has its event committed.
public final class MeterWriter: Service, Sendable {
    public struct Configuration: Sendable {
        /// Most events in one transaction.
        public var maxBatchSize: Int
        /// Most events queued for the next batches; later callers wait for room.
        public var queueCapacity: Int

        public init(maxBatchSize: Int = 1_000, queueCapacity: Int = 10_000) {
            precondition(maxBatchSize > 0 && queueCapacity >= maxBatchSize, "need 0 < maxBatchSize <= queueCapacity")
            self.maxBatchSize = maxBatchSize
            self.queueCapacity = queueCapacity
        }
    }

    /// Counters since the writer started.
    public struct Statistics: Sendable, Hashable {
        /// Events accepted by `record` (queued, held back, or already written).
        public var accepted = 0
        public var committedEvents = 0
        public var committedBatches = 0
        public var failedEvents = 0
        public var failedBatches = 0
        public var largestBatch = 0
        /// Total time spent in batch transactions (from BEGIN to COMMIT's reply).
        public var commitTime = Duration.zero

        /// Mean events per committed batch.
        public var meanBatchSize: Double {
            committedBatches == 0 ? 0 : Double(committedEvents) / Double(committedBatches)
        }
    }

    /// One batch transaction, as reported to the metrics hook.
    public struct BatchReport: Sendable, Hashable {
        public var size: Int
        public var duration: Duration
        public var committed: Bool
    }

    private struct Entry {
        let event: MeterEvent
        let completion: IdempotencyCompletion?
        /// The quota unit in flight for the event's request, spent when the event is inserted.
        let unit: QuotaReservation?
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var queue: [Entry] = []
        /// Callers that found the queue full, in arrival order.
        var heldBack: [Entry] = []
        var closed = false
        var writerWakeup: CheckedContinuation<Void, Never>?
        var statistics = Statistics()
        /// Whether `run()` is writing.
        var running = false
        /// `close()` callers waiting for `run()` to finish.
        var closers: [CheckedContinuation<Void, Never>] = []
        var finished = false
    }

    public let configuration: Configuration
    private let pool: PostgresPool
    private let onBatch: @Sendable (BatchReport) -> Void
    private let logger: Logger
    private let state = Mutex(State())

    /// A writer; it writes once `run()` runs (in the application's service group, or `running(_:)`).
    /// - Parameters:
    ///   - pool: the writer holds one of its connections while a batch commits; give it a pool of its
    ///     own (one or two connections) so that busy request handlers never delay the meter.
    ///   - onBatch: called after every batch transaction (e.g. to feed swift-metrics); keep it quick.
    public init(
        pool: PostgresPool,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "credit-broker.meter"),
        onBatch: @escaping @Sendable (BatchReport) -> Void = { _ in }
    ) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.onBatch = onBatch
    }

    /// Records `event` and returns once it is committed; if `completing` is given, the idempotency
    /// key's response is stored in the same transaction. `spending`: the quota unit in flight for
    /// the event's request (`QuotaLedger.reserve(holding:…)`), spent in the statement that inserts
    /// the event (if the event is new), so that a process that dies leaves both or neither.
    public func record(_ event: MeterEvent, completing: IdempotencyCompletion? = nil, spending unit: QuotaReservation? = nil) async throws {
        try event.validate()
        if let unit {
            guard unit.partnerID == event.partnerID, unit.requestID == event.requestID else {
                throw MeteringInputError(field: "spending", reason: "must be the unit in flight for the event's partner and request")
            }
        }
        if let completing {
            try IdempotencyStore.checkPartner(completing.partnerID)
            guard completing.partnerID == event.partnerID else {
                throw MeteringInputError(field: "completing.partnerID", reason: "must be the event's partner")
            }
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let entry = Entry(event: event, completion: completing, unit: unit, continuation: continuation)
            let admitted = state.withLock { state -> (accepted: Bool, wakeup: CheckedContinuation<Void, Never>?) in
                guard !state.closed else { return (false, nil) }
                state.statistics.accepted += 1
                if state.queue.count < configuration.queueCapacity, state.heldBack.isEmpty {
                    state.queue.append(entry)
                } else {
                    state.heldBack.append(entry)
                }
                defer { state.writerWakeup = nil }
                return (true, state.writerWakeup)
            }
            guard admitted.accepted else { return continuation.resume(throwing: MeterError.closed) }
            admitted.wakeup?.resume()
        }
    }

    /// Refuses further events and returns once `run()` has committed what is queued (at once if it
    /// is not running).
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (wakeup, done) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
                state.closed = true
                defer { state.writerWakeup = nil }
                if state.finished || !state.running { return (state.writerWakeup, true) }
                state.closers.append(continuation)
                return (state.writerWakeup, false)
            }
            wakeup?.resume()
            if done { continuation.resume() }
        }
    }

    /// Runs the writer while `body` runs, then closes it (committing what is queued): for tools and
    /// tests that have no service group.
    public func running<T>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            do {
                let value = try await body()
                await close()
                try await group.waitForAll()
                return value
            } catch {
                await close()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// A snapshot of the counters.
    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Whether `run()` is writing.
    public var isRunning: Bool { state.withLock { $0.running } }

    /// Events accepted and not yet committed or failed.
    public var backlog: Int {
        state.withLock { $0.queue.count + $0.heldBack.count }
    }

    // MARK: The service

    /// Writes batches until the group shuts down gracefully (or `close()`), then commits what is
    /// queued and returns. Events already queued when it is cancelled are still written.
    public func run() async throws {
        state.withLock { $0.running = true }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                while let batch = await nextBatch() {
                    await write(batch)
                }
            } onCancel: {
                self.stopAccepting()
            }
        } onGracefulShutdown: {
            self.stopAccepting()
        }
        let closers = state.withLock { state in
            state.finished = true
            state.running = false
            defer { state.closers.removeAll() }
            return state.closers
        }
        for closer in closers { closer.resume() }
    }

    /// Refuses new events and wakes the writer to drain the queue.
    private func stopAccepting() {
        let wakeup = state.withLock { state in
            state.closed = true
            defer { state.writerWakeup = nil }
            return state.writerWakeup
        }
        wakeup?.resume()
    }

    /// The next batch, waiting for one; `nil` once closed and drained.
    private func nextBatch() async -> [Entry]? {
        enum Next { case batch([Entry]), done, wait }
        while true {
            let next = state.withLock { state -> Next in
                if state.queue.isEmpty {
                    return state.closed ? .done : .wait
                }
                let batch = Array(state.queue.prefix(configuration.maxBatchSize))
                state.queue.removeFirst(batch.count)
                let room = min(configuration.queueCapacity - state.queue.count, state.heldBack.count)
                state.queue.append(contentsOf: state.heldBack.prefix(room))
                state.heldBack.removeFirst(room)
                return .batch(batch)
            }
            switch next {
            case .batch(let batch): return batch
            case .done: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if !state.queue.isEmpty || state.closed { return true }
                        state.writerWakeup = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    /// Writes one batch in one transaction and resumes its callers.
    private func write(_ batch: [Entry]) async {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: Result<[Bool], any Error>
        do {
            outcome = .success(try await insert(batch))
        } catch {
            outcome = .failure(error)
        }
        let duration = clock.now - start
        let committed = (try? outcome.get()) != nil
        state.withLock { state in
            if committed {
                state.statistics.committedBatches += 1
                state.statistics.committedEvents += batch.count
            } else {
                state.statistics.failedBatches += 1
                state.statistics.failedEvents += batch.count
            }
            state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            state.statistics.commitTime += duration
        }
        onBatch(BatchReport(size: batch.count, duration: duration, committed: committed))
        switch outcome {
        case .success(let inserted):
            for (entry, isNew) in zip(batch, inserted) {
                if isNew {
                    entry.continuation.resume()
                } else if entry.unit?.inFlight != nil {
                    // Not inserted: its unit is no longer counted (or, unlikely, the request id is taken).
                    entry.continuation.resume(throwing: MeterError.quotaUnitNotCounted)
                } else {
                    entry.continuation.resume(throwing: MeterError.duplicateRequestID)
                }
            }
        case .failure(let error):
            // A driver error's text never holds a value; any other error is named by its type only.
            let described = error is PostgresError ? "\(error)" : String(reflecting: type(of: error))
            logger.error("meter batch failed", metadata: ["events": "\(batch.count)", "error": "\(described)"])
            for entry in batch {
                entry.continuation.resume(throwing: MeterError.commitFailed(batchSize: batch.count, error))
            }
        }
    }

    /// Inserts the batch and stores the idempotent responses of the events that were new, in one
    /// durable transaction; returns for each entry whether its event was new.
    private func insert(_ batch: [Entry]) async throws -> [Bool] {
        let json = String(decoding: AnswerValue.array(batch.map(\.event.row)).json, as: UTF8.self)
        // The units to spend, named apart so that the server parses the events' JSON once, for the INSERT.
        let units = batch.compactMap { entry in entry.unit.flatMap { unit in unit.inFlight.map { (reservation: unit, inFlight: $0) } } }
        func column(_ value: ((reservation: QuotaReservation, inFlight: QuotaReservation.InFlight)) -> String) -> TextArrayParameter {
            TextArrayParameter(units.map(value))
        }
        let parameters: PostgresBindings = [
            json,
            column { $0.inFlight.requestID }, column { $0.inFlight.count.holder }, column { $0.reservation.partnerID },
            column { $0.reservation.day.description }, column { $0.reservation.month.description },
            column { String($0.inFlight.count.generation) }, column { String($0.inFlight.count.serverStarted) },
            column { String($0.inFlight.count.reservation) },
        ]
        guard batch.contains(where: { $0.completion != nil }) else {
            // The INSERT alone is its own durable transaction: one round trip.
            return try Self.isNew(batch, inserted: try await pool.execute(Self.insertEvents, parameters))
        }
        return try await pool.transaction { connection in
            let isNew = try Self.isNew(batch, inserted: try await connection.execute(Self.insertEvents, parameters))
            let completions = zip(batch, isNew).compactMap { entry, isNew in isNew ? entry.completion : nil }
            if !completions.isEmpty {
                try await IdempotencyStore.complete(completions, on: connection)
            }
            return isNew
        }
    }

    /// For each entry, whether `inserted` (the request ids the INSERT returned) has its event; of two
    /// events with one request id, the first is the one inserted.
    private static func isNew(_ batch: [Entry], inserted: PostgresResult) throws -> [Bool] {
        var ids = Set(try inserted.map { try $0.decode(String.self, at: 0) })
        return batch.map { ids.remove($0.event.requestID) != nil }
    }

    /// Commits synchronously whatever the session's default (`set_config` is local to the statement's
    /// transaction, whether it is the INSERT alone or the batch's transaction). Spends the quota units
    /// in flight for the events' requests (`quota_inflight`, $2–$9: request, process, partner, day,
    /// month, the count's generation and server start, and the reservation's number in the count) in
    /// the same statement, so a process that dies leaves either both or neither. An event whose unit
    /// is no longer counted (the sweep ended its count, or a crash lost its reservation: the count
    /// never reached its number) is not inserted: its answer is withheld rather than billed without a unit.
    /// The units are spent first (the one-time condition on `spent` runs it before any event is
    /// inserted): the 'settled' rows are then locked before the events exist, so a release of one of
    /// them waits for this commit and sees the event. The rows are the process's own, which no
    /// reservation locks.
    private static let insertEvents = PostgresStatement("""
        WITH units AS (
            SELECT u.*,
                   EXISTS (SELECT 1 FROM quota_inflight t
                           WHERE t.process_id = u.process_id AND t.partner_id = u.partner_id AND t.day = u.day AND t.month = u.month
                             AND t.server_started = u.server_started AND t.side = 'taken' AND t.generation = u.generation
                             AND t.reservations >= u.reservation) AS counted
            FROM unnest($2::text[], $3::text[], $4::text[], $5::date[], $6::date[], $7::bigint[], $8::bigint[], $9::bigint[])
                 AS u(request_id, process_id, partner_id, day, month, generation, server_started, reservation)
        ),
        spent AS (
            INSERT INTO quota_inflight AS q (process_id, partner_id, day, month, server_started, side, units, generation)
            SELECT process_id, partner_id, day, month, server_started, 'settled', count(DISTINCT request_id), generation
            FROM units WHERE counted
            GROUP BY process_id, partner_id, day, month, server_started, generation
            ON CONFLICT (process_id, partner_id, day, month, server_started, side)
            DO UPDATE SET units = q.units + excluded.units, touched_at = now()
            RETURNING 1
        )
        INSERT INTO meter_events (partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, consent_id,
                                  contract_label, contract_digest, http_status, latency_us, response_bytes, subject_hash, occurred_at)
        SELECT partner_id, request_id, endpoint, purpose, items_disclosed, items_withheld, consent_id,
               contract_label, contract_digest, http_status, latency_us, response_bytes, subject_hash,
               timestamptz 'epoch' + occurred_us * interval '1 microsecond'
        FROM set_config('synchronous_commit', 'on', true), jsonb_to_recordset($1::jsonb) AS e(
            partner_id text, request_id text, endpoint text, purpose text, items_disclosed jsonb, items_withheld jsonb,
            consent_id text, contract_label text, contract_digest text, http_status smallint, latency_us bigint,
            response_bytes bigint, subject_hash text, occurred_us bigint)
        WHERE (SELECT count(*) FROM spent) >= 0
          AND NOT EXISTS (SELECT 1 FROM units WHERE units.request_id = e.request_id AND NOT units.counted)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING request_id
        """)
}
