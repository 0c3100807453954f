import ChildProcesses
import Foundation
import TestSupport
import Testing

/// `credit-broker serve` refusing what an operator gave wrongly, by the option's name, before it serves.
@Suite(.runsGatewayProcesses) struct ServeOptionsTests {
    static let contracts = Repository.root.appending(path: "Contracts").path
    static let policyOptions = ContractsCommandTests.policyOptions

    /// `serve` on a fresh database with `extra` options; what it printed when it ended by itself,
    /// or `killed` when it was still running (serving) after `limit`.
    static func serve(_ extra: [String], conninfo: String, limit: Duration = .seconds(90)) async throws -> (status: Int32, output: String, killed: Bool) {
        var environment = QuotaAcrossProcessesTests.environment
        environment["CREDIT_BROKER_SEALING_KEYS"] = try TestSealingKeys.file()
        let arguments = [
            "serve", "--database-url", conninfo, "--state-dir", TestPostgres.temporaryFolder(), "--allow-owner-role",
        ] + (extra.contains("--contracts") ? [] : ["--contracts", contracts]) + policyOptions + extra
        return try await ChildProcess.start(CommandLineTests.binary, arguments, environment: environment).wait(killingAfter: limit)
    }

    /// A mistyped `--receipt-key` stops `serve`, naming the option, and makes nothing: before, the
    /// folders and a new key were created, and this gateway signed receipts with a key of its own.
    @Test func aReceiptKeyPathThatDoesNotExistIsRefused() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let folder = TestPostgres.temporaryFolder()
        let mistyped = folder + "/nonexistent/dir/key"
        let result = try await Self.serve(["--receipt-key", mistyped, "--port", "0"], conninfo: conninfo)
        #expect(!result.killed, "serve ran with a key it made itself: \(result.output.suffix(2_000))")
        #expect(result.status != 0)
        #expect(result.output.contains("\(mistyped): no such file (given by --receipt-key)"), "\(result.output.suffix(2_000))")
        #expect(!FileManager.default.fileExists(atPath: folder + "/nonexistent"))
    }
}
