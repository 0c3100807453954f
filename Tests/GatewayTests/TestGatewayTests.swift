import Testing

/// The harness itself: a test whose gateway cannot start must fail, not pass without running.
@Suite struct TestGatewayTests {
    @Test func aGatewayThatCannotStartFailsItsTestAndNeverRunsTheBody() async throws {
        try await TestGateway.run { first in
            var bodyRan = false
            await #expect(throws: (any Error).self, "the partner port is the first gateway's: the second cannot listen") {
                try await TestGateway.run(adjusting: { $0.port = first.port }) { _ in bodyRan = true }
            }
            #expect(!bodyRan)
        }
    }
}
