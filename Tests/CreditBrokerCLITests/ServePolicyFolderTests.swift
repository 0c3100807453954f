import AsyncHTTPClient
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `serve` finds every policy file, the scorecard included, through `--policies` and `--catalog`,
/// whatever its working directory: an operator's unit file starts it from `/`, not the repository.
@Suite(.runsGatewayProcesses) struct ServePolicyFolderTests {
    static let root = Repository.root

    /// The options that point `serve` at the repository's policies and contracts from elsewhere.
    static let policyOptions = [
        "--catalog", root.appending(path: "Policies/catalog.yaml").path,
        "--policies", root.appending(path: "Policies").path,
        "--contracts", root.appending(path: "Contracts").path,
    ]

    /// `serve` with `arguments`, its working directory `folder` (through the shell: `ChildProcess`
    /// starts in this process's).
    static func serve(in folder: String, _ arguments: [String], environment: [String: String]) throws -> ChildProcess.Running {
        try ChildProcess.start("/bin/sh", ["-c", #"cd "$0" && exec "$@""#, folder, CommandLineTests.binary, "serve"] + arguments, environment: environment)
    }

    @Test func serveStartedFromAnotherFolderFindsTheScorecardInThePoliciesFolder() async throws {
        let conninfo = try #require(try await TestPostgres.freshDatabase().conninfo)
        var environment = QuotaAcrossProcessesTests.environment
        environment["CREDIT_BROKER_SEALING_KEYS"] = try TestSealingKeys.file()
        let port = TestPorts.consecutive(1)
        let server = try Self.serve(in: TestPostgres.temporaryFolder(), [
            "--database-url", conninfo, "--port", "\(port)", "--state-dir", TestPostgres.temporaryFolder(), "--allow-owner-role",
        ] + Self.policyOptions, environment: environment)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let ready = try await Self.answersReady(client, port: port, while: server)
        try await client.shutdown()
        server.signal(SIGTERM)
        let (status, output) = await server.wait()
        #expect(ready, "\(output.suffix(2_000))")
        #expect(status == 0, "\(output.suffix(2_000))")
    }

    @Test func aScorecardThatCannotBeReadIsNamedWithTheOptionsThatChooseItBeforeTheDatabaseIsTouched() async throws {
        let conninfo = try #require(try await TestPostgres.freshDatabase().conninfo)
        var environment = QuotaAcrossProcessesTests.environment
        environment["CREDIT_BROKER_SEALING_KEYS"] = try TestSealingKeys.file()
        let missing = TestPostgres.temporaryFolder() + "/no-such-card.yaml"
        let server = try Self.serve(in: TestPostgres.temporaryFolder(), [
            "--database-url", conninfo, "--port", "0", "--state-dir", TestPostgres.temporaryFolder(), "--allow-owner-role",
            "--scorecard", missing,
        ] + Self.policyOptions, environment: environment)
        let result = await server.wait(killingAfter: .seconds(60))
        #expect(!result.killed, "serve did not stop on an unreadable scorecard")
        #expect(result.status != 0)
        #expect(result.output.contains("cannot read the scorecard \(missing)"), "\(result.output)")
        #expect(result.output.contains("--scorecard"), "\(result.output)")
        // Refused before the database is touched: nothing migrated.
        #expect(!result.output.contains("applied migration"), "\(result.output)")
    }

    /// Whether `/readyz` on `port` answers 200 within a minute, giving up early if `server` exits.
    static func answersReady(_ client: HTTPClient, port: Int, while server: ChildProcess.Running) async throws -> Bool {
        var ready = false
        _ = try await eventually(within: .seconds(60), every: .milliseconds(250)) {
            let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(2))
            ready = response?.status == .ok
            return ready || hasExited(server.pid)
        }
        return ready
    }

    /// Whether the child `pid` has exited (a zombie until it is reaped, so `kill(pid, 0)` still succeeds).
    static func hasExited(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
