import BrokerStore
import ChildProcesses
import Foundation
import Gateway
import Testing

/// Both listeners speak TLS 1.2 only with AEAD suites and forward secrecy (the fault harness's
/// sslscan found the partner listener accepting ECDHE-ECDSA-AES128-SHA and -AES256-SHA, CBC with SHA-1).
@Suite struct ListenerTLSTests {
    /// curl's exit status and the HTTP status of a TLS 1.2 `GET path` offering only `cipher`.
    private func handshake(_ gateway: TestGateway, port: Int, cipher: String, admin: Bool = false) async throws -> String {
        let certificate = admin
            ? ["--cert", gateway.pki.adminCertificateURL(.audit).path, "--key", gateway.pki.adminKeyURL(.audit).path] : []
        let running = try ChildProcess.start("/usr/bin/curl", [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", cipher,
            "--cacert", gateway.pki.caURL.path, "https://localhost:\(port)\(admin ? "/admin/v1/partners" : "/healthz")",
        ] + certificate)
        let (status, output) = await running.wait()
        return "\(status) \(output)"
    }

    @Test func onlyAEADSuitesWithForwardSecrecyAreAccepted() async throws {
        try await TestGateway.run { gateway in
            let partner = try await handshake(gateway, port: gateway.port, cipher: "ECDHE-ECDSA-AES128-GCM-SHA256")
            let admin = try await handshake(gateway, port: gateway.adminPort, cipher: "ECDHE-ECDSA-AES128-GCM-SHA256", admin: true)
            #expect(partner == "0 200")
            #expect(admin == "0 200")
            for cipher in ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"] {
                // 35: the TLS handshake failed (no suite in common).
                let partner = try await handshake(gateway, port: gateway.port, cipher: cipher)
                let admin = try await handshake(gateway, port: gateway.adminPort, cipher: cipher, admin: true)
                #expect(partner.hasPrefix("35 "), "partner listener, \(cipher): \(partner)")
                #expect(admin.hasPrefix("35 "), "admin listener, \(cipher): \(admin)")
            }
        }
    }

    /// The admin listener requires a certificate in the handshake itself, in TLS 1.2 as in 1.3: no
    /// request without one reaches HTTP.
    @Test func theAdminListenerRequiresACertificateInTheHandshake() async throws {
        try await TestGateway.run { gateway in
            for version in ["1.2", "1.3"] {
                let running = try ChildProcess.start("/usr/bin/curl", [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--tlsv\(version)", "--tls-max", version,
                    "--cacert", gateway.pki.caURL.path, "https://localhost:\(gateway.adminPort)/admin/v1/partners",
                ])
                let (status, output) = await running.wait()
                // 35: the handshake failed; 55 or 56: the server ended the connection (in TLS 1.3 the
                // client's handshake is over before the server has read its missing certificate).
                #expect([35, 55, 56].contains(status) && output == "000", "TLS \(version): curl exit \(status), HTTP \(output)")
            }
        }
    }
}
