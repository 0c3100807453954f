import BrokerCore
import PostgresClient

extension TimeLimit {
    /// What `work`'s database statements answer within `limit`, or nil once it has passed: they are
    /// stopped at the server then (`PostgresCancellation.stoppingStatements`). `run` waits for its
    /// loser, so a statement left to run to its end (behind a lock, on a slow server) would bound
    /// the wait instead of the limit. For checks that are only worth their answer in time.
    static func databaseAnswer<Value: Sendable>(
        within limit: Duration, _ work: @escaping @Sendable () async throws -> Value
    ) async throws -> Value? {
        try await run(limit) { try await PostgresCancellation.stoppingStatements(work) }
    }
}
