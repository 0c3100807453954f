import BrokerStore
import ChildProcesses
import Foundation
import TestSupport
import Testing

/// SIGHUP to a real `credit-broker serve` (what `systemctl reload` sends through the unit's
/// `ExecReload`): a newly revoked bank certificate refused, a replaced server certificate served
/// to new connections, a broken key file refused with the served pair kept, the process alive and
/// each part's outcome in its log. (`ReloadTests` covers what the reload does in detail.)
@Suite(.runsGatewayProcesses) struct ReloadSignalTests {
    static let root = Repository.root
    static let bank = "bank.icbc_jiangsu"

    @Test func aSIGHUPReloadsTheCRLAndTheServerCertificateOfARunningServe() async throws {
        let database = try await TestPostgres.freshDatabase()
        let conninfo = try #require(database.conninfo)
        let folder = TestPostgres.temporaryFolder()
        let (pki, other) = (folder + "/pki", folder + "/other")
        let contracts = Self.root.appending(path: "Contracts").path
        let policies = ["--policies", Self.root.appending(path: "Policies").path, "--catalog", Self.root.appending(path: "Policies/catalog.yaml").path]
        for out in [pki, other] {
            let made = try await ChildProcess.start(CommandLineTests.binary, ["pki", "init", "--out", out, "--contracts", contracts] + policies).wait()
            try #require(made.status == 0, "\(made.output)")
        }
        let port = TestPorts.consecutive(1)
        let sealingKeys = try TestSealingKeys.file()
        let server = try ChildProcess.start(CommandLineTests.binary, [
            "serve", "--database-url", conninfo, "--contracts", contracts, "--allow-owner-role", "--port", "\(port)", "--tls-dir", pki,
            "--seed-pki", pki, "--state-dir", TestPostgres.temporaryFolder(),
        ] + policies, environment: ["CREDIT_BROKER_PERSON_KEY_SECRET": String(repeating: "k", count: 32), "CREDIT_BROKER_SEALING_KEYS": sealingKeys])
        var stopped = false
        defer { if !stopped { server.killAndReap() } }

        /// The status of `path` over a new connection that trusts `ca` ("000": no TLS session), with
        /// the bank's certificate for `/v1/…` (`/readyz` and `/healthz` need none).
        func status(_ path: String, trusting ca: String) async -> String {
            let bank = path.hasPrefix("/v1/") ? ["--cert", "\(pki)/clients/\(Self.bank).pem", "--key", "\(pki)/clients/\(Self.bank)-key.pem"] : []
            // curl exits non-zero when the handshake fails, and still prints the status ("000").
            return (try? await ChildProcess.start("/usr/bin/curl", [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", ca, "https://localhost:\(port)\(path)",
            ] + bank).wait().output) ?? "curl not started"
        }
        func waitUntil(_ condition: () async -> Bool) async throws {
            for _ in 0..<80 {
                if await condition() { return }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        try await waitUntil { await status("/readyz", trusting: pki + "/ca.pem") == "200" }
        #expect(await status("/v1/partner", trusting: pki + "/ca.pem") == "200")

        // A revoked certificate: refused after the signal (the CRL's change is also seen by itself;
        // the log shows the signal read it).
        _ = try await ChildProcess.run(CommandLineTests.binary, ["pki", "revoke", "--dir", pki, Self.bank])
        server.signal(SIGHUP)
        try await waitUntil { await status("/v1/partner", trusting: pki + "/ca.pem") != "200" }
        #expect(await status("/v1/partner", trusting: pki + "/ca.pem") == "000", "the handshake refused")

        // Another server certificate and key, from another CA: served to new connections after the signal only.
        for file in ["server.pem", "server-key.pem"] {
            try Data(contentsOf: URL(filePath: "\(other)/\(file)")).write(to: URL(filePath: "\(pki)/\(file)"), options: .atomic)
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(await status("/healthz", trusting: other + "/ca.pem") == "000", "no reload without the signal")
        server.signal(SIGHUP)
        try await waitUntil { await status("/healthz", trusting: other + "/ca.pem") == "200" }
        #expect(await status("/healthz", trusting: other + "/ca.pem") == "200")
        #expect(await status("/healthz", trusting: pki + "/ca.pem") == "000")

        // A broken key file: refused, the pair served stays, the process lives on.
        try Data("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8).write(to: URL(filePath: pki + "/server-key.pem"))
        server.signal(SIGHUP)
        try await Task.sleep(for: .seconds(1))
        #expect(await status("/healthz", trusting: other + "/ca.pem") == "200")
        #expect(kill(server.pid, 0) == 0)

        server.signal(SIGTERM)
        let (exit, output) = await server.wait()
        stopped = true
        #expect(exit == 0, "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.contains("reload: partner CRL") && $0.contains("1 certificates revoked") }, "\(output)")
        #expect(lines.contains { $0.contains("reload: server certificate") && $0.contains("new connections get server.pem") }, "\(output)")
        #expect(lines.contains { $0.contains("server certificate not reloaded") && $0.contains("holds no unencrypted PEM private key") }, "\(output)")
        #expect(lines.contains { $0.contains("reload: sealing keys") && $0.contains("1 key(s) from \(sealingKeys) (k1), 'k1' seals") }, "\(output)")
        #expect(lines.contains { $0.contains("reload: contracts") && $0.contains("unchanged") }, "\(output)")
    }
}
