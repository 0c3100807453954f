/// Whether a task's cancellation stops its statements on the server.
///
/// By default a statement runs to its end even if its task is cancelled: work that must finish
/// (a meter batch drained at shutdown, a `ROLLBACK` after an error) keeps its statements. Work
/// that is only worth its answer in time (a readiness check or a metrics scrape under a
/// `TimeLimit`, which waits for its loser) runs in `stoppingStatements`: a cancelled caller's
/// statement is then stopped by the server at once (SQLSTATE 57014), so the limit, not the
/// statement, bounds the wait. Statements too large for one write and COPY (the thread pool's
/// blocking calls) run to their end either way.
public enum PostgresCancellation {
    @TaskLocal static var stopsStatements = false

    /// Runs `body` with the statements it sends stopped by the server when its task is cancelled.
    public static func stoppingStatements<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await $stopsStatements.withValue(true) { try await body() }
    }
}
