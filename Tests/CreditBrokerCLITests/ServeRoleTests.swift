import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `serve` on an external database refuses a role that could rewrite the meter ledger or the audit
/// chain (here the test cluster's superuser, which also owns the schema) unless told to; the
/// allowed path is `--allow-owner-role` in QuotaAcrossProcessesTests.
@Suite struct ServeRoleTests {
    @Test func serveRefusesTheSuperuserOfAnExternalDatabase() async throws {
        let conninfo = try #require(try await TestPostgres.freshDatabase().conninfo)
        let result = try await ChildProcess.start(CommandLineTests.binary, [
            "serve", "--database-url", conninfo, "--port", "0", "--state-dir", TestPostgres.temporaryFolder(),
        ], environment: ["CREDIT_BROKER_PERSON_KEY_SECRET": String(repeating: "k", count: 32), "CREDIT_BROKER_SEALING_KEYS": try TestSealingKeys.file()]).wait()
        #expect(result.status != 0)
        #expect(result.output.contains("refusing to serve: the database role is a superuser"), "\(result.output)")
        #expect(result.output.contains("--allow-owner-role"), "\(result.output)")
    }

    /// The fault harness moves the clock of a test topology's processes to cross midnight; a
    /// production `serve` (no development PKI to seed from) refuses the option before it starts.
    @Test func serveRefusesAMovedClockOutsideATestTopology() async throws {
        let result = try await ChildProcess.start(CommandLineTests.binary, [
            "serve", "--port", "0", "--state-dir", TestPostgres.temporaryFolder(), "--test-clock-offset", "3600",
        ]).wait()
        #expect(result.status != 0)
        #expect(result.output.contains("--test-clock-offset is for test topologies only"), "\(result.output)")
    }
}
