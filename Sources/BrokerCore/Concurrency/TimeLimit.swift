/// Work given a time limit: the first of the work's end and the limit's decides.
public enum TimeLimit {
    /// What `work` returns within `limit`, or nil once `limit` has passed first (an error `work`
    /// throws in time is rethrown). The loser is cancelled and waited for before this returns, so
    /// what the work holds (a browser, a pool connection it was waiting for) is let go by then.
    /// A database statement inside runs to its end unless the work is wrapped in
    /// `PostgresCancellation.stoppingStatements`, so the limit bounds it.
    public static func run<Value: Sendable>(
        _ limit: Duration, _ work: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}
