import PostgresClient

/// One of a pool's connections, taken before `init` returns and held until `release()`: a pool
/// made busy for exactly as long as a test needs, however slowly the machine runs (a fixed sleep
/// in the database either ends too soon under load or makes the test wait for nothing).
public struct HeldConnection: Sendable {
    private let task: Task<Void, any Error>
    private let releasing: AsyncStream<Void>.Continuation

    public init(_ pool: PostgresPool) async throws {
        let (taken, signal) = AsyncStream<Void>.makeStream()
        let (released, releasing) = AsyncStream<Void>.makeStream()
        task = Task {
            defer { signal.finish() }
            try await pool.withConnection { connection in
                signal.yield()
                for await _ in released { break }
                _ = try await connection.query("SELECT 1")
            }
        }
        self.releasing = releasing
        var iterator = taken.makeAsyncIterator()
        if await iterator.next() == nil {
            // The holder ended without a connection: its error is this one's.
            try await task.value
            throw PostgresError(.poolClosed, "no connection was held")
        }
    }

    /// Gives the connection back to the pool, once it has answered one more query.
    public func release() async throws {
        releasing.finish()
        try await task.value
    }
}
