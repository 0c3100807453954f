import BrokerStore
import ChildProcesses
import Foundation
import PostgresClient
import TestSupport
import Testing

/// Runs the real `credit-broker` binary, as an operator would.
@Suite struct CommandLineTests {
    /// The binary SwiftPM built next to the test bundle (`TestSupport.CommandLineBinary`).
    static let binary = CommandLineBinary.path

    @Test func twoProcessesMigratingAtOnceLeaveOneAppliedSet() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let runs = try (0..<2).map { _ in try ChildProcess.start(Self.binary, ["migrate", "--database-url", conninfo]) }
        let results = await withTaskGroup(of: (status: Int32, output: String).self) { group in
            for run in runs { group.addTask { await run.wait() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for result in results {
            #expect(result.status == 0, "\(result.output)")
        }
        let pool = PostgresPool(.init(connection: database, maxConnections: 1))
        let row = try await pool.query("SELECT count(*), count(DISTINCT version) FROM schema_migrations")[0]
        #expect(try row.decode(Int.self, at: 0) == Migration.all.count)
        #expect(try row.decode(Int.self, at: 1) == Migration.all.count)
        await pool.close()
    }

    /// A malformed number in the environment was ignored: the default was used without a word.
    @Test func aMalformedNumberInTheEnvironmentIsRefusedByName() async throws {
        let unreachable = ["--database-url", "postgresql://nobody@/none?host=/nonexistent&connect_timeout=1"]
        let pool = try await ChildProcess.start(Self.binary, ["migrate"] + unreachable, environment: ["CREDIT_BROKER_DB_POOL_SIZE": "sixteen"]).wait()
        #expect(pool.status != 0)
        #expect(pool.output.contains("CREDIT_BROKER_DB_POOL_SIZE must be a whole number of at least 1, not 'sixteen'"), "\(pool.output)")
        let port = try await ChildProcess.start(Self.binary, ["serve"] + unreachable, environment: ["CREDIT_BROKER_PORT": "84x3"]).wait()
        #expect(port.status != 0)
        #expect(port.output.contains("CREDIT_BROKER_PORT must be a port number from 0 to 65535, not '84x3'"), "\(port.output)")
    }

    @Test func serveHelpNamesEveryEndpointOfTheAPIDescription() async throws {
        let root = Repository.root
        let description = try String(contentsOf: root.appending(path: "Contracts/api/openapi.yaml"), encoding: .utf8)
        // The paths under `paths:`, two spaces in, without a trailing `/{parameter}`.
        let endpoints = Set(description.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  /"), line.hasSuffix(":") else { return nil }
            return String(line.dropFirst(2).dropLast().split(separator: "/{").first ?? "")
        })
        #expect(endpoints.count > 10)
        let help = try await ChildProcess.start(Self.binary, ["serve", "--help"]).wait().output
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for endpoint in endpoints.sorted() {
            #expect(help.contains(endpoint + " ") || help.contains(endpoint + ",") || help.contains(endpoint + "."), "serve --help does not name \(endpoint)")
        }
    }

    @Test func serveAnswersReadyAndStopsItsDatabaseOnInterrupt() async throws {
        let state = TestPostgres.temporaryFolder()
        let port = TestPorts.consecutive(1)
        let server = try ChildProcess.start(
            Self.binary, ["serve", "--state-dir", state, "--port", "\(port)"], environment: ["DATABASE_URL": ""]
        )
        var ready = false
        for _ in 0..<120 where !ready {
            try await Task.sleep(for: .milliseconds(250))
            ready = (try? await ChildProcess.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/readyz"])) == "ready\n"
        }
        server.signal(SIGINT)
        let (status, output) = await server.wait()
        #expect(ready, "readyz never answered 200: \(output)")
        #expect(status == 0, "\(output)")
        let leftovers = try await ChildProcess.run("/bin/sh", ["-c", "ps -eo args | grep -c '[p]ostgres -D \(state)' || true"])
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }
}
