/// Whether `condition` came to hold within `limit`, asked every `interval`: for a test that waits
/// for something another party does (a server's session to show or go, a check to turn ready) and
/// then asserts on the answer.
public func eventually(
    within limit: Duration, every interval: Duration = .milliseconds(10), _ condition: () async throws -> Bool
) async throws -> Bool {
    let end = ContinuousClock.now + limit
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= end { return false }
        try await Task.sleep(for: interval)
    }
}
