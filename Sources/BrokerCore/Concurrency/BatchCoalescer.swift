import Synchronization

/// Turns concurrent requests into batches without waiting for a batch to fill: one round trip
/// serves many callers, and a lone caller is never delayed.
///
/// The first request of a lane runs at once, alone, and leads. Requests of the same lane that
/// arrive while a run is in flight wait in arrival order; when the run returns, the first of them
/// leads the next run with up to `maxBatch - 1` of the others. `run` answers a batch in its order.
/// If `run` throws, every request of that batch gets the error; later batches are unaffected.
public final class BatchCoalescer<Lane: Hashable & Sendable, Request: Sendable, Answer: Sendable>: Sendable {
    public typealias Run = @Sendable (Lane, [Request]) async throws -> [Answer]

    /// Most requests in one run.
    public let maxBatch: Int
    private let run: Run

    private enum Turn {
        case answered(Answer)
        case lead
    }

    private struct Waiter {
        let request: Request
        let continuation: CheckedContinuation<Turn, any Error>
    }

    /// A lane is present while a run of it is in flight; its value is who waits for the next.
    private let lanes = Mutex([Lane: [Waiter]]())

    public init(maxBatch: Int, run: @escaping Run) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.maxBatch = maxBatch
        self.run = run
    }

    /// Requests of `lane` waiting for the next run.
    public func waiting(in lane: Lane) -> Int {
        lanes.withLock { $0[lane]?.count ?? 0 }
    }

    /// Answers `request`, alone or in a batch with other requests of `lane`.
    public func submit(_ request: Request, in lane: Lane) async throws -> Answer {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let leads = lanes.withLock { lanes in
                guard lanes[lane] != nil else {
                    lanes[lane] = []
                    return true
                }
                lanes[lane]!.append(Waiter(request: request, continuation: continuation))
                return false
            }
            if leads { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .answered(let answer): return answer
        case .lead: return try await lead(request, in: lane)
        }
    }

    /// Runs the leader's request with those waiting, passes the lead on, then answers them all.
    private func lead(_ request: Request, in lane: Lane) async throws -> Answer {
        let followers = lanes.withLock { lanes in
            let batch = Array(lanes[lane, default: []].prefix(maxBatch - 1))
            lanes[lane]?.removeFirst(batch.count)
            return batch
        }
        let outcome: Result<[Answer], any Error>
        do {
            let answers = try await run(lane, [request] + followers.map(\.request))
            precondition(answers.count == 1 + followers.count, "a batch run must answer each of its requests")
            outcome = .success(answers)
        } catch {
            outcome = .failure(error)
        }
        let next = lanes.withLock { lanes -> Waiter? in
            guard let waiting = lanes[lane], !waiting.isEmpty else {
                lanes[lane] = nil
                return nil
            }
            return lanes[lane]!.removeFirst()
        }
        next?.continuation.resume(returning: .lead)
        switch outcome {
        case .success(let answers):
            for (follower, answer) in zip(followers, answers.dropFirst()) {
                follower.continuation.resume(returning: .answered(answer))
            }
            return answers[0]
        case .failure(let error):
            for follower in followers { follower.continuation.resume(throwing: error) }
            throw error
        }
    }
}
