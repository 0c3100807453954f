import BrokerCore
import Testing

/// Tests that run gateway processes of their own (`credit-broker serve` or `demo`, each with its
/// contracts compiled, its pool and its TLS listener, in a debug build) take turns: at most two run
/// at once, across every suite of the test process.
///
/// Their waits leave the process's threads free (`ChildProcess`'s awaited forms), so the test
/// runner starts as many of them as there are suites ready; on two cores eight such servers at once
/// (load average 16) made the approval of `ContractsAcrossProcessesTests` take 10.6 s by curl's
/// own clock and `QuotaAcrossProcessesTests`' clients time out waiting for a connection. Apply
/// `.runsGatewayProcesses` to such a suite.
public struct GatewayProcessesTrait: SuiteTrait, TestTrait, TestScoping {
    /// The turns every such test in the process shares.
    static let turns = Turns(2)

    public var isRecursive: Bool { true }

    /// A turn per test case (a test function's body), none for the suite around them.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite || testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let turn = try await Self.turns.acquire()
        try await withCleanup(function) {
            await Self.turns.release(turn)
        }
    }
}

extension Trait where Self == GatewayProcessesTrait {
    /// The suite's tests run gateway processes of their own: at most two such tests run at once.
    public static var runsGatewayProcesses: Self { Self() }
}
