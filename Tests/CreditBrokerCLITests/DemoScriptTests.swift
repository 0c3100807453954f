import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `./demo`, the README's first command, on a machine as `.ci/prerequisites` sees it: with the
/// PostgreSQL server programs hidden from its search it would install `postgresql` before running
/// the demo; with them found it installs nothing. The commands are recorded, not run.
@Suite struct DemoScriptTests {
    static let root = Repository.root

    /// Runs `./demo ARGUMENTS` with `environment`; what it would have run, one command a line.
    static func dryRun(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, commands: [String], output: String) {
        let record = TestPostgres.temporaryFolder() + "/commands"
        let running = try ChildProcess.start(
            root.appending(path: "demo").path, arguments, environment: environment.merging(["CREDIT_BROKER_DRY_RUN": record]) { $1 }
        )
        let (status, output) = await running.wait()
        let commands = (try? String(contentsOfFile: record, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        return (status, commands, output)
    }

    @Test func itInstallsAMissingPostgreSQLServerThenRunsTheDemo() async throws {
        let empty = TestPostgres.temporaryFolder()
        let run = try await Self.dryRun(["--port", "9443"], environment: ["CREDIT_BROKER_POSTGRES_DIRS": empty])
        #expect(run.status == 0, "\(run.output)")
        let sudo = getuid() == 0 ? "" : "sudo "
        #expect(run.commands == [
            "\(sudo)apt-get update -q", "\(sudo)apt-get install -y -q postgresql", "swift run credit-broker demo --port 9443",
        ], "\(run.output)")
        #expect(run.output.contains("installing: postgresql"))
    }

    /// The server programs where the broker looks for them (this machine runs the tests against
    /// them): nothing to install.
    @Test func withEverythingInPlaceItOnlyRunsTheDemo() async throws {
        let run = try await Self.dryRun([], environment: [:])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.commands == ["swift run credit-broker demo"], "\(run.output)")
    }
}
