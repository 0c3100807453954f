import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation

/// Scenario 6: TLS and certificate policy.
struct TLSScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tls",
        abstract: "sslscan of the partner and admin listeners, their client-certificate requests, and a matrix of client certificates.",
        discussion: """
            sslscan (Debian: apt-get install sslscan) lists the protocols and cipher suites each listener accepts: \
            only TLS 1.2 and 1.3, and only AEAD suites with forward secrecy, may be among them. openssl s_client \
            checks that the partner listener asks for a client certificate and the admin listener requires one. \
            Tests/Faults/certificate-matrix.sh makes a client certificate per field a CA can get wrong, for a bank \
            whose contract binds by subject; each must be accepted or refused as the matrix expects.
            """
    )

    @OptionGroup var topology: TopologyOptions

    static let bank = "bank.zijin_rcb"
    static let subject = "CN=faults-matrix,O=Faults Matrix Bank,C=CN"

    func run() async throws {
        var override = Topology.ContractOverride()
        override.authentication = "{ certificates: [ { subject: \"\(Self.subject)\", match: subject } ] }"
        try await Topology.run(topology, name: "tls", overrides: [Self.bank: override], scenario)
    }

    private func scenario(_ world: Topology) async throws -> (figure: String, passed: Bool) {
        // The bank binds by subject: no certificate of the PKI may pin it at seeding.
        for suffix in [".pem", "-key.pem"] { try? FileManager.default.removeItem(atPath: world.pki + "/clients/\(Self.bank)\(suffix)") }
        let adminPort = Topology.freePort()
        let gateway = try await world.startGateway(extraArguments: ["--admin-port", "\(adminPort)"])
        var failures: [String] = []
        var lines: [String] = []

        // Protocols and suites.
        var scanned = 0
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sslscan") {
            for (name, port) in [("partner", gateway.port), ("admin", adminPort)] {
                let output = try runShell("sslscan --no-colour --no-heartbleed 127.0.0.1:\(port) 2>&1")
                let scan = Self.sslscan(output)
                scanned += 1
                let line = "\(name) listener (sslscan): protocols \(scan.protocols.sorted().joined(separator: ", ")); suites \(scan.suites.sorted().joined(separator: ", "))"
                say(line)
                lines.append(line)
                if scan.protocols.isEmpty { failures.append("\(name): sslscan found no protocol: \(output.suffix(500))") }
                for protocolName in scan.protocols where !["TLSv1.2", "TLSv1.3"].contains(protocolName) {
                    failures.append("\(name) accepts \(protocolName)")
                }
                for suite in scan.suites where !Self.isAEADWithForwardSecrecy(suite) { failures.append("\(name) accepts \(suite)") }
            }
        } else {
            failures.append("sslscan is not installed (apt-get install sslscan): protocols and suites not scanned")
        }

        // Client certificates: asked for on the partner listener, required on the admin listener.
        let partnerNoCertificate = try runShell("openssl s_client -connect 127.0.0.1:\(gateway.port) -tls1_2 </dev/null 2>&1")
        let adminNoCertificate = try runShell("openssl s_client -connect 127.0.0.1:\(adminPort) -tls1_2 </dev/null 2>&1")
        // s_client prints the CertificateRequest it received (CA names, or that none were sent; the
        // signature algorithms asked for), and "Cipher is …" once the handshake is done.
        func requested(_ output: String) -> Bool {
            ["Acceptable client certificate CA names", "No client certificate CA names sent", "Requested Signature Algorithms", "Client Certificate Types"]
                .contains { output.contains($0) }
        }
        // Without a certificate: the partner listener answers (agencies have none); no request reaches
        // the admin listener's HTTP (curl exit 35: the handshake failed; 55/56: the server ended the
        // connection after TLS 1.3's handshake, on reading that no certificate came).
        func withoutCertificate(_ port: Int, _ version: String, _ path: String) throws -> (exit: String, status: String) {
            let output = try runShell("""
                curl -s -o /dev/null -w '%{http_code}' --tlsv\(version) --tls-max \(version) --cacert \(world.pki)/ca.pem \
                https://127.0.0.1:\(port)\(path); echo " $?"
                """).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
            return (output.last ?? "", output.first ?? "")
        }
        var partnerAnswers = true, adminRefuses = true
        for version in ["1.2", "1.3"] {
            let partner = try withoutCertificate(gateway.port, version, "/healthz")
            let admin = try withoutCertificate(adminPort, version, "/admin/v1/partners")
            say("without a client certificate, TLS \(version): partner listener HTTP \(partner.status) (curl \(partner.exit)), admin listener HTTP \(admin.status) (curl \(admin.exit))")
            partnerAnswers = partnerAnswers && partner.status == "200"
            adminRefuses = adminRefuses && ["35", "55", "56"].contains(admin.exit) && admin.status == "000"
        }
        let partnerAsks = requested(partnerNoCertificate) && partnerAnswers
        let adminRequires = requested(adminNoCertificate) && adminRefuses
        let requests = "partner listener \(partnerAsks ? "asks for" : "DOES NOT ask for") a client certificate and completes without one; admin listener \(adminRequires ? "requires one" : "DOES NOT require one")"
        say(requests)
        lines.append(requests)
        if !partnerAsks || !adminRequires {
            failures.append(requests)
            say("openssl s_client without a certificate, partner listener:\n\(partnerNoCertificate.suffix(1_500))\nadmin listener:\n\(adminNoCertificate.suffix(1_500))")
        }

        // The matrix.
        let folder = world.root.appending(path: "matrix").path
        let made = try runShell("bash Tests/Faults/certificate-matrix.sh \(folder) \(world.pki)/ca.pem \(world.pki)/ca-key.pem")
        var rows: [(name: String, expected: String, why: String, outcome: String)] = []
        for line in made.split(separator: "\n") where !line.hasPrefix("certificate-matrix:") {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { continue }
            rows.append((parts[0], parts[1], parts.count > 2 ? parts[2] : "", ""))
        }
        if let revoked = rows.first(where: { $0.name == "revoked" }) {
            let serial = try runShell("openssl x509 -in \(folder)/\(revoked.name).pem -noout -serial").split(separator: "=").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            _ = try await ChildProcess.run(world.binary, ["pki", "revoke", "--dir", world.pki, serial])
            try await Task.sleep(for: .seconds(2))  // the CRL is re-read when it changes
        }
        for index in rows.indices {
            let row = rows[index]
            // SECLEVEL=0: curl itself must be willing to present a weak certificate for the server to judge it.
            let status = try runShell("""
                curl -s -o /dev/null -w '%{http_code}' --ciphers 'DEFAULT:@SECLEVEL=0' --cacert \(world.pki)/ca.pem \
                --cert \(folder)/\(row.name).pem --key \(folder)/\(row.name)-key.pem https://127.0.0.1:\(gateway.port)/v1/partner
                """).trimmingCharacters(in: .whitespacesAndNewlines)
            let outcome = status == "200" ? "accepted" : status == "000" ? "refused in the handshake" : "refused with \(status)"
            rows[index].outcome = outcome
            if (row.expected == "accept") != (status == "200") {
                failures.append("\(row.name) (\(row.why.isEmpty ? "a good certificate" : row.why)): expected \(row.expected)ed, was \(outcome)")
            }
        }
        say("client certificate matrix (\(rows.count)):")
        for row in rows { say("  \(row.name): \(row.why.isEmpty ? "-" : row.why); expected \(row.expected); \(row.outcome)") }
        await gateway.stop()
        for line in failures { say("FAILED: \(line)") }
        let findings = try ClearTextScan.run(world, sent: [], metrics: [])
        let expected = rows.filter { ($0.expected == "accept") == ($0.outcome == "accepted") }.count
        let figure = "TLS: \(scanned) listeners scanned, \(failures.filter { $0.contains("accepts") }.count) weak protocols or suites; client certificate requested/required: \(partnerAsks && adminRequires ? "yes" : "NO"); certificate matrix \(expected)/\(rows.count) as expected; clear ID numbers \(findings.count); load average \(loadAverage())"
        return (figure, failures.isEmpty && findings.isEmpty && !rows.isEmpty)
    }

    /// The protocols enabled and the suites accepted in sslscan's report.
    static func sslscan(_ output: String) -> (protocols: Set<String>, suites: Set<String>) {
        var protocols = Set<String>(), suites = Set<String>()
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if words.count == 2, words[1] == "enabled", words[0].hasPrefix("SSLv") || words[0].hasPrefix("TLSv") { protocols.insert(words[0]) }
            if let first = words.first, first == "Accepted" || first == "Preferred", words.count >= 5 {
                suites.insert("\(words[1]) \(words[4])")
            }
        }
        return (protocols, suites)
    }

    /// A TLS 1.3 suite, or a TLS 1.2 suite with ephemeral key exchange and an AEAD cipher.
    static func isAEADWithForwardSecrecy(_ suite: String) -> Bool {
        let parts = suite.split(separator: " ")
        guard parts.count == 2 else { return false }
        if parts[0] == "TLSv1.3" { return true }
        let name = parts[1]
        return (name.hasPrefix("ECDHE-") || name.hasPrefix("DHE-")) && (name.contains("GCM") || name.contains("CHACHA20-POLY1305"))
    }
}
