import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient
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

extension ServeOptionsTests {
    /// A port another socket holds: `serve` says which listener and address, in words. Before, it
    /// said "bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)".
    @Test func aPortInUseIsNamedWithItsListener() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let port = TestPorts.consecutive(2)
        let holder = try Self.listen(on: port + 1)
        defer { close(holder) }
        let result = try await Self.serve(["--port", "\(port)", "--ops-port", "\(port + 1)"], conninfo: conninfo)
        #expect(!result.killed && result.status != 0, "\(result.output.suffix(2_000))")
        #expect(result.output.contains("cannot listen on 127.0.0.1:\(port + 1) (operations listener): address already in use"), "\(result.output.suffix(2_000))")
        #expect(!result.output.contains("bind(descriptor"), "\(result.output.suffix(2_000))")
    }

    /// `--contracts` naming nothing is refused by the option's name, even on a database whose
    /// ledger is seeded already (which reads no files): before, `serve` started without a word.
    @Test func aContractsFolderThatDoesNotExistIsRefused() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        try await Migrator(pool: pool).migrate()
        try await ContractStore(pool: pool).seedIfEmpty({ try Fixtures.contractFiles() }, by: .commandLine("test", partner: nil, status: 201, detail: "seeded"))
        await pool.close()
        let missing = TestPostgres.temporaryFolder() + "/Contracts"
        let result = try await Self.serve(["--contracts", missing, "--port", "0"], conninfo: conninfo, limit: .seconds(60))
        #expect(!result.killed, "serve started: \(result.output.suffix(2_000))")
        #expect(result.status != 0)
        #expect(result.output.contains("--contracts \(missing): no such file or directory"), "\(result.output.suffix(2_000))")
    }

    /// A socket listening on 127.0.0.1:`port`, as another program holding the port.
    static func listen(on port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, bound == 0, Glibc.listen(descriptor, 1) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot hold port \(port): errno \(errno)"])
        }
        return descriptor
    }
}
