/// A fixed number of turns, numbered from 0 (a counting semaphore for tasks): `acquire` hands out
/// a free turn, waiting while every turn is taken, in order of arrival, and gives up when its task
/// is cancelled. The PDF renderer's pool takes one per render (a turn is a browser); the tests that
/// run gateway processes of their own take one each (`GatewayProcessesTrait`).
package actor Turns {
    private var free: [Int]
    private var waiting: [(id: UInt64, continuation: CheckedContinuation<Int, any Error>)] = []
    private var nextID: UInt64 = 0

    package init(_ count: Int) {
        free = Array((0..<count).reversed())
    }

    package func acquire() async throws -> Int {
        if let turn = free.popLast() {
            return turn
        }
        let id = nextID
        nextID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiting.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Passes the turn to the first waiting, or frees it.
    package func release(_ turn: Int) {
        if waiting.isEmpty {
            free.append(turn)
        } else {
            waiting.removeFirst().continuation.resume(returning: turn)
        }
    }

    private func cancel(_ id: UInt64) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
