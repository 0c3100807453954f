import AsyncHTTPClient
import BrokerStore
import ChildProcesses
import Foundation
import NIOCore
import PostgresClient
import TestSupport
import Synchronization
import Testing

/// Two real `credit-broker serve` processes on one database share a partner's quota exactly, and
/// alert it once at 80 % and once at 100 % of it.
@Suite(.runsGatewayProcesses) struct QuotaAcrossProcessesTests {
    static let root = Repository.root
    static let agency = "agency.nj_anxin"

    /// The shipped contracts, with the agency's daily quota set to `perDay` and its rate limit out of the way.
    private func contracts(perDay: Int) throws -> String {
        let folder = URL(filePath: TestPostgres.temporaryFolder()).appending(path: "contracts")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.root.appending(path: "Contracts").path) where name.hasSuffix(".yaml") {
            var text = try String(contentsOf: Self.root.appending(path: "Contracts/" + name), encoding: .utf8)
            if name == Self.agency + ".yaml" {
                text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                    if line.hasPrefix("quotas:") { return "quotas: { per_day: \(perDay), per_month: \(perDay * 10) }" }
                    if line.hasPrefix("rate_limit:") { return "rate_limit: { per_second: 100000, burst: 100000 }" }
                    return String(line)
                }.joined(separator: "\n")
            }
            try text.write(to: folder.appending(path: name), atomically: true, encoding: .utf8)
        }
        return folder.path
    }

    /// The processes run on the system's clock, and a daily quota starts afresh at China midnight
    /// (16:00 UTC): a race that straddled it was granted 1,076 of 1,000 (two days' worth, each
    /// exact). A test that starts within `margin` of midnight waits until just after it.
    static func awayFromChinaMidnight(margin: TimeInterval = 300) async throws {
        let now = Date().timeIntervalSince1970 + 8 * 3_600
        let untilMidnight = 86_400 - now.truncatingRemainder(dividingBy: 86_400)
        if untilMidnight < margin { try await Task.sleep(for: .seconds(untilMidnight + 2)) }
    }

    @Test func twoGatewayProcessesWithFiftyClientsGrantExactlyTheQuota() async throws {
        let quota = 1_000, calls = 1_300, clients = 50
        try await Self.awayFromChinaMidnight()
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let contracts = try contracts(perDay: quota)
        var environment = Self.environment
        environment["CREDIT_BROKER_SEALING_KEYS"] = try TestSealingKeys.file()
        let token = try await Self.issueKey(contracts: contracts, conninfo: conninfo)

        let base = TestPorts.consecutive(2)
        let ports = [base, base + 1]
        let servers = try ports.map { port in
            try ChildProcess.start(CommandLineTests.binary, [
                "serve", "--database-url", conninfo, "--contracts", contracts, "--port", "\(port)",
                "--state-dir", TestPostgres.temporaryFolder(), "--allow-owner-role",
            ], environment: environment)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            for port in ports { try await Self.waitUntilReady(client, port: port) }
            let body = #"{"subject":"91350100M000100Y43","purpose":"credit_report","items":["enterprise.registration"]}"#
            let next = Counter()
            let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<clients {
                    group.addTask {
                        var statuses: [Int] = []
                        while let call = next.take(below: calls) {
                            let request = HTTPClientRequest.agencyQuery("http://127.0.0.1:\(ports[call % 2])", key: token, body: ByteBuffer(string: body))
                            let response = try await client.execute(request, timeout: .seconds(60))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            statuses.append(Int(response.status.code))
                        }
                        return statuses
                    }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(statuses.count == calls)
            #expect(statuses.count(where: { $0 == 200 }) == quota)
            #expect(statuses.count(where: { $0 == 429 }) == calls - quota)

            let pool = PostgresPool(.init(connection: database, maxConnections: 1))
            let metered = try await pool.query("""
                SELECT count(*) FILTER (WHERE http_status = 200), count(*) FROM meter_events WHERE partner_id = \(Self.agency)
                """)[0]
            #expect(try metered.decode(Int.self, at: 0) == quota)
            #expect(try metered.decode(Int.self, at: 1) == calls)
            let used = try await pool.query("""
                SELECT used FROM quota_counters WHERE partner_id = \(Self.agency) AND period_kind = 'day'
                """)[0].decode(Int.self, at: 0)
            #expect(used == quota)
            // Each process saw its share of the crossings; the agency was alerted once at 80 % and
            // once at 100 % of its daily quota (the month's 10,000 are a tenth used).
            let alerts = try await pool.query("""
                SELECT quota_period || ' ' || threshold || ' ' || quota_limit FROM partner_alerts
                WHERE partner_id = \(Self.agency) AND change = 'quota_threshold' ORDER BY change_seq
                """).map { try $0.decode(String.self, at: 0) }
            #expect(alerts == ["day 80 \(quota)", "day 100 \(quota)"])
            await pool.close()
        } catch {
            try await client.shutdown()
            for server in servers {
                server.signal(SIGTERM)
                _ = await server.wait()
            }
            throw error
        }
        try await client.shutdown()
        for server in servers {
            server.signal(SIGTERM)
            let (status, output) = await server.wait()
            #expect(status == 0, "\(output.suffix(2_000))")
        }
    }

    /// What `serve` needs besides its options: the person-key secret of an external database.
    static let environment = ["CREDIT_BROKER_PERSON_KEY_SECRET": String(repeating: "k", count: 32)]

    /// An API key for the agency through `credit-broker keys issue`, as an operator issues one.
    static func issueKey(contracts: String, conninfo: String) async throws -> String {
        let issued = try await ChildProcess.start(
            CommandLineTests.binary, ["keys", "issue", agency, "--contracts", contracts, "--database-url", conninfo]
        ).wait()
        guard issued.status == 0, let token = issued.output.split(separator: "\n").first(where: { $0.hasPrefix("ak_") }) else {
            throw IssueFailure(description: "keys issue failed: \(issued.output)")
        }
        return String(token)
    }

    struct IssueFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Waits (up to a minute) until a plain-HTTP `serve` on `port` answers `/readyz` with 200.
    static func waitUntilReady(_ client: HTTPClient, port: Int) async throws {
        for _ in 0..<240 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("the gateway on port \(port) never became ready")
    }

    /// Hands out call numbers to the clients.
    final class Counter: Sendable {
        private let next = Mutex(0)

        func take(below limit: Int) -> Int? {
            next.withLock { value in
                guard value < limit else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}
