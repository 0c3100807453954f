/// Runs `body`, then `cleanup`, whether `body` returned or threw: a test's `defer` for clean-up
/// that must be awaited. (A `defer` cannot await, and a blocking stop there would hold one of the
/// few threads every task of the test process shares, two on two cores, stalling the other tests
/// running beside it.)
public func withCleanup<Value>(_ body: () async throws -> Value, cleanup: () async -> Void) async throws -> Value {
    do {
        let value = try await body()
        await cleanup()
        return value
    } catch {
        await cleanup()
        throw error
    }
}
