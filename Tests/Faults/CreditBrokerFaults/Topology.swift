import ArgumentParser
import BrokerCore
import BrokerStore
import ChildProcesses
import EmbeddedPostgres
import Foundation
import Ingest
import Logging
import PostgresClient
import SyntheticProvince

/// What every scenario starts from: the `credit-broker` executable, the size of the province.
struct TopologyOptions: ParsableArguments {
    @Option(help: "The credit-broker executable (default: .build/debug/credit-broker, then .build/release/credit-broker).")
    var binary: String?

    @Option(help: "Organisations in the synthetic province loaded for the scenario.")
    var enterprises = 1_500

    @Option(help: "Persons in the synthetic province (their resident ID numbers are what the clear-text scan looks for).")
    var persons = 300

    @Flag(help: "Keep the scenario's folder (cluster, logs, PKI) instead of removing it; it holds no clear ID number.")
    var keep = false

    /// The executable: `--binary`, else the debug build, else the release build, of the repository in the working folder.
    func resolvedBinary() throws -> String {
        if let binary { return binary }
        for candidate in [".build/debug/credit-broker", ".build/release/credit-broker"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return FileManager.default.currentDirectoryPath + "/" + candidate
        }
        throw ValidationError("no credit-broker executable: run `swift build --product credit-broker` in the repository, or pass --binary")
    }
}

/// A scenario's world, all in one folder: a durable PostgreSQL cluster the harness owns (so that it
/// can stop it any way it likes), the broker's schema with a synthetic province loaded through the
/// broker's own ingest, copies of the shipped contracts with the limits a scenario needs, a
/// development PKI from `credit-broker pki init`, an API key per agency, and the logs of every
/// `credit-broker serve` it starts.
///
/// The resident ID numbers of the province's persons live only in this process's memory: the feed
/// files that carried them are removed once loaded, so the clear-text scan of the folder can look
/// for every one of them.
final class Topology: @unchecked Sendable {
    /// The partners the load mixes: banks by client certificate, agencies by API key.
    static let banks = ["bank.icbc_jiangsu", "bank.boc_jiangsu", "bank.ccb_jiangsu", "bank.jiangsu_bank"]
    static let agencies = ["agency.nj_anxin", "agency.cz_huixin", "agency.sz_weixin", "agency.wx_boxin"]

    let root: URL
    let binary: String
    let options: TopologyOptions
    private(set) var cluster: EmbeddedPostgres
    /// The harness's own connections (checks, counts); the gateways have theirs.
    private(set) var pool: PostgresPool
    let pki: String
    let contracts: String
    /// `CREDIT_BROKER_PERSON_KEY_SECRET` of every gateway of the topology.
    let personSecret: String
    let organisations: [String]
    let persons: [String]
    private(set) var agencyKeys: [String: String] = [:]
    /// Every gateway started, for the logs the clear-text scan reads.
    private(set) var gatewayLogs: [String] = []
    private(set) var gateways: [GatewayProcess] = []
    private var gatewayCount = 0
    let logger = Logger(label: "credit-broker.faults")

    /// The contract changes a scenario asks for, by partner id: lines replacing the contract's own
    /// `quotas:`, `rate_limit:` and `term:` (YAML flow mappings).
    struct ContractOverride {
        var quotas = "{ per_day: 50000000, per_month: 500000000 }"
        var rateLimit = "{ per_second: 100000, burst: 100000 }"
        var term: String?
        /// Replaces the whole `authentication:` block.
        var authentication: String?
    }

    /// Builds the world; `overrides` changes some partners' contracts (every other mixed partner
    /// gets the default override: limits that never throttle a scenario, still counted).
    static func start(_ options: TopologyOptions, name: String, overrides: [String: ContractOverride] = [:]) async throws -> Topology {
        let binary = try options.resolvedBinary()
        let root = URL(filePath: "/var/tmp/credit-broker-faults-\(name)-" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Run as root, the cluster belongs to postgres, which must pass through this folder.
        chmod(root.path, 0o711)
        say("scenario folder \(root.path)")
        let cluster = try await EmbeddedPostgres.start(.init(folder: root.appending(path: "postgres").path), logger: quiet)
        let pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 4), logger: quiet)
        try await Migrator(pool: pool, logger: quiet).migrate()

        var all = overrides
        for partner in banks + agencies where all[partner] == nil { all[partner] = ContractOverride() }
        let contracts = root.appending(path: "contracts").path
        try writeContracts(to: contracts, overrides: all)
        let pki = root.appending(path: "pki").path
        try await ChildProcess.run(binary, ["pki", "init", "--out", pki, "--contracts", contracts])

        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let (organisations, persons) = try await loadProvince(options, pool: pool, folder: root.appending(path: "province"), secret: secret)
        let topology = Topology(
            root: root, binary: binary, options: options, cluster: cluster, pool: pool, pki: pki, contracts: contracts,
            personSecret: secret, organisations: organisations, persons: persons
        )
        for agency in agencies + overrides.keys.filter({ $0.hasPrefix("agency.") }).sorted() where topology.agencyKeys[agency] == nil {
            topology.agencyKeys[agency] = try await ApiKeyStore(pool: pool).issue(partnerID: agency, expiresAt: nil).token
        }
        return topology
    }

    private init(
        root: URL, binary: String, options: TopologyOptions, cluster: EmbeddedPostgres, pool: PostgresPool, pki: String, contracts: String,
        personSecret: String, organisations: [String], persons: [String]
    ) {
        self.root = root
        self.binary = binary
        self.options = options
        self.cluster = cluster
        self.pool = pool
        self.pki = pki
        self.contracts = contracts
        self.personSecret = personSecret
        self.organisations = organisations
        self.persons = persons
    }

    /// The shipped contracts, each overridden partner's `quotas`, `rate_limit` and `term` replaced.
    private static func writeContracts(to folder: String, overrides: [String: ContractOverride]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: "Contracts") where name.hasSuffix(".yaml") {
            var text = try String(contentsOfFile: "Contracts/" + name, encoding: .utf8)
            if let override = overrides[String(name.dropLast(5))] {
                var lines: [String] = []
                var inAuthentication = false
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    if override.authentication != nil, line.hasPrefix("authentication:") {
                        inAuthentication = true
                        continue
                    }
                    if inAuthentication, line.hasPrefix(" ") || line.hasPrefix("-") { continue }
                    inAuthentication = false
                    if line.hasPrefix("quotas:") || line.hasPrefix("rate_limit:") || (override.term != nil && line.hasPrefix("term:")) { continue }
                    lines.append(String(line))
                }
                while lines.last == "" { lines.removeLast() }
                lines.append("quotas: \(override.quotas)")
                lines.append("rate_limit: \(override.rateLimit)")
                if let term = override.term { lines.append("term: \(term)") }
                if let authentication = override.authentication { lines.append("authentication: \(authentication)") }
                text = lines.joined(separator: "\n") + "\n"
            }
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// Generates the province, loads it with the broker's ingest, removes the feed files, and
    /// returns the organisations' codes that partners may name and the persons' ID numbers.
    private static func loadProvince(
        _ options: TopologyOptions, pool: PostgresPool, folder: URL, secret: String
    ) async throws -> (organisations: [String], persons: [String]) {
        let policies = try loadPolicies()
        let generator = ProvinceGenerator(ProvinceConfiguration(
            seed: 2026, organisations: options.enterprises, persons: options.persons, asOf: .today()
        ))
        let manifest = try ProvinceWriter(generator: generator).write(to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ingestor = FeedIngestor(
            writer: RecordWriter(pool: pool), catalog: policies.catalog, masking: policies.masking,
            hasher: try PersonKeyHasher(secret: Array(secret.utf8))
        )
        var lines = 0
        for (file, source) in manifest.files.sorted(by: { $0.key < $1.key }) {
            lines += try await ingestor.ingest(file: folder.appending(path: file).path, source: source, onReject: { _ in }).lines
        }
        say("loaded \(lines) feed lines: \(options.enterprises) organisations, \(options.persons) persons")
        let organisations = Array(generator.organisations.map(\.code.rawValue)).filter { (try? UnifiedSocialCreditCode($0)) != nil }
        let persons = Array(generator.persons.map(\.id.rawValue))
        // The clear-text scan's control: the feed files hold the persons' ID numbers in clear, and the
        // scan must find them there (if it found none, its clean verdicts later would mean nothing).
        let control = ClearTextScan(sent: Set(persons)).scan(folder: folder, dump: "", metrics: [])
        let found = control.map(\.sent).reduce(0, +)
        guard found > 0 else { throw ScenarioFailure("the clear-text scan found no ID number in the feed files that hold them") }
        say("clear-text scan control: the feed files hold \(found) clear ID numbers of the province's persons (counted per file), and the scan finds them")
        return (organisations, persons)
    }

    static func loadPolicies() throws -> PolicyBundle {
        func file(_ path: String) throws -> (file: String, text: String) { (path, try String(contentsOfFile: path, encoding: .utf8)) }
        return try PolicyBundle(
            catalog: file("Policies/catalog.yaml"), masking: file("Policies/masking.yaml"),
            purposes: file("Policies/purposes.yaml"), defaults: file("Policies/partner-defaults.yaml")
        )
    }

    /// The mixed partners in worker order (four banks, four agencies), and their clients with up to
    /// `connections` keep-alive connections each.
    func mixedClients(connections: Int) throws -> (partners: [String], clients: PartnerClients) {
        (Self.banks + Self.agencies, try PartnerClients(pki: pki, banks: Self.banks, agencyKeys: agencyKeys, connections: connections))
    }

    /// libpq connection arguments of the cluster, for `serve --database-url` and `pg_dump`.
    var conninfo: String { cluster.configuration.conninfo ?? cluster.configuration.connectionString }

    /// The cluster's data folder.
    var dataFolder: String { root.appending(path: "postgres/data").path }

    /// The key file (0600) every gateway of the topology seals disputes' words with, written once.
    private func sealingKeys() throws -> String {
        let path = root.appending(path: "sealing-keys").path
        if !FileManager.default.fileExists(atPath: path) {
            let text = try SealingKeyring.newKeyFileText(id: "faults")
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ScenarioFailure("cannot write \(path)")
            }
        }
        return path
    }

    /// Starts a `credit-broker serve` on the cluster; `port` reuses a port (a restart).
    func startGateway(
        port: Int? = nil, opsPort: Int? = nil, extraArguments: [String] = [], environment: [String: String] = [:]
    ) async throws -> GatewayProcess {
        gatewayCount += 1
        let log = root.appending(path: "gateway-\(gatewayCount).log").path
        gatewayLogs.append(log)
        let gateway = try GatewayProcess(
            binary: binary, port: port ?? Self.freePort(), opsPort: opsPort ?? Self.freePort(), pki: pki, log: log,
            arguments: [
                "--database-url", conninfo, "--contracts", contracts, "--seed-pki", pki, "--allow-owner-role",
                "--state-dir", root.appending(path: "gateway-state").path, "--db-pool-size", "8",
                "--sealing-keys", try sealingKeys(),
            ] + extraArguments,
            environment: ["CREDIT_BROKER_PERSON_KEY_SECRET": personSecret].merging(environment) { $1 }
        )
        gateways.append(gateway)
        try await gateway.waitUntilReady()
        return gateway
    }

    /// Replaces the harness's pool (after the cluster was stopped and started again).
    func reconnect() async {
        await pool.close()
        pool = PostgresPool(.init(connection: cluster.configuration, maxConnections: 4), logger: quiet)
    }

    /// Starts the cluster again after it was stopped (any way), waiting out a server whose
    /// children still hold its shared memory after the postmaster was killed.
    func restartCluster() throws {
        var lastError: (any Error)?
        for _ in 0..<100 {
            do {
                cluster = try EmbeddedPostgres.start(cluster.options, logger: quiet)
                return
            } catch {
                lastError = error
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        throw lastError!
    }

    /// The postmaster's process id, from `postmaster.pid`.
    func postmasterPID() throws -> pid_t {
        let text = try String(contentsOfFile: dataFolder + "/postmaster.pid", encoding: .utf8)
        guard let first = text.split(separator: "\n").first, let pid = pid_t(first) else {
            throw ValidationError("cannot read the postmaster's pid from \(dataFolder)/postmaster.pid")
        }
        return pid
    }

    /// Kills any gateway still running, stops the cluster, and removes the folder unless `--keep`
    /// or `keep` (a failed scenario's folder stays for inspection).
    func finish(keep: Bool = false) async {
        for gateway in gateways where kill(gateway.pid, 0) == 0 { await gateway.kill9() }
        await pool.close()
        await cluster.stop()
        if options.keep || keep {
            say("scenario folder kept: \(root.path)")
        } else {
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// Builds a topology, runs `body` in it, cleans up, prints the scenario's figure as the last
    /// line and exits non-zero when the scenario failed (or could not run).
    static func run(
        _ options: TopologyOptions, name: String, overrides: [String: ContractOverride] = [:],
        _ body: (Topology) async throws -> (figure: String, passed: Bool)
    ) async throws {
        let world = try await Topology.start(options, name: name, overrides: overrides)
        let outcome: (figure: String, passed: Bool)
        do {
            outcome = try await body(world)
        } catch {
            await world.finish(keep: true)
            say("\(name): the scenario could not finish: \(error)")
            throw ExitCode.failure
        }
        await world.finish(keep: !outcome.passed)
        say(outcome.figure)
        if !outcome.passed { throw ExitCode.failure }
    }

    /// A TCP port nobody listens on now.
    static func freePort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The harness's own logger for the broker's libraries: warnings and worse only.
let quiet: Logger = {
    var logger = Logger(label: "credit-broker.faults")
    logger.logLevel = .warning
    return logger
}()

/// A line on standard output at once (the scenario's progress; its figure is the last line).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The 1-minute load average, quoted beside every figure.
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
}
