import BrokerCore
import Synchronization
import Testing

@Suite struct BatchCoalescerTests {
    /// Records each run's lane and requests; the first run waits until the test opens the gate.
    private final class Runs: Sendable {
        let batches = Mutex<[(lane: String, requests: [Int])]>([])
        let gate = Mutex<CheckedContinuation<Void, Never>?>(nil)
        private let started = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

        func run(_ lane: String, _ requests: [Int]) async throws -> [String] {
            let isFirst = batches.withLock { batches in
                batches.append((lane, requests))
                return batches.count == 1
            }
            if isFirst {
                await withCheckedContinuation { continuation in
                    gate.withLock { $0 = continuation }
                    started.withLock { started in
                        started.done = true
                        defer { started.waiter = nil }
                        return started.waiter
                    }?.resume()
                }
            }
            if requests.contains(-1) { throw Failure() }
            return requests.map { "\(lane):\($0)" }
        }

        /// Returns once the first run is held at the gate.
        func untilFirstRunWaits() async {
            await withCheckedContinuation { continuation in
                let done = started.withLock { started in
                    if !started.done { started.waiter = continuation }
                    return started.done
                }
                if done { continuation.resume() }
            }
        }

        func open() { gate.withLock { $0?.resume(); $0 = nil } }
    }

    struct Failure: Error {}

    @Test func requestsArrivingDuringARunShareTheNextInArrivalOrder() async throws {
        let runs = Runs()
        let coalescer = BatchCoalescer<String, Int, String>(maxBatch: 3) { try await runs.run($0, $1) }
        let first = Task { try await coalescer.submit(0, in: "a") }
        await runs.untilFirstRunWaits()
        // While the first run is held, five more requests queue one after another.
        var followers: [Task<String, any Error>] = []
        for request in 1...5 {
            followers.append(Task { try await coalescer.submit(request, in: "a") })
            while coalescer.waiting(in: "a") < request { await Task.yield() }
        }
        runs.open()
        #expect(try await first.value == "a:0")
        for (index, follower) in followers.enumerated() {
            #expect(try await follower.value == "a:\(index + 1)")
        }
        let batches = runs.batches.withLock { $0.map(\.requests) }
        #expect(batches == [[0], [1, 2, 3], [4, 5]])
    }

    @Test func aFailedRunFailsItsBatchOnlyAndLanesRunApart() async throws {
        let runs = Runs()
        let coalescer = BatchCoalescer<String, Int, String>(maxBatch: 8) { try await runs.run($0, $1) }
        let first = Task { try await coalescer.submit(0, in: "a") }
        await runs.untilFirstRunWaits()
        // Another lane is not held up by the first lane's run.
        #expect(try await coalescer.submit(7, in: "b") == "b:7")
        let failing = Task { try await coalescer.submit(-1, in: "a") }
        while coalescer.waiting(in: "a") < 1 { await Task.yield() }
        let sharing = Task { try await coalescer.submit(2, in: "a") }
        while coalescer.waiting(in: "a") < 2 { await Task.yield() }
        runs.open()
        #expect(try await first.value == "a:0")
        await #expect(throws: Failure.self) { try await failing.value }
        await #expect(throws: Failure.self) { try await sharing.value }
        #expect(try await coalescer.submit(3, in: "a") == "a:3")
        let batches = runs.batches.withLock { $0.map { "\($0.lane)\($0.requests)" } }
        #expect(batches == ["a[0]", "b[7]", "a[-1, 2]", "a[3]"])
    }
}
