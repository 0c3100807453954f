import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation

/// A `credit-broker serve` process with TLS from a development PKI, its output in a log file.
struct GatewayProcess {
    let port: Int
    let pki: String
    let partner: String
    private let running: ChildProcess.Running

    /// Starts the gateway and waits until `/readyz` answers 200 over mutual TLS.
    init(binary: String, arguments: [String], pki: String, partner: String, log: String, environment: [String: String]) throws {
        port = Int.random(in: 20_000...39_999)
        self.pki = pki
        self.partner = partner
        // Through sh so that the gateway writes to the log file rather than to a pipe nobody drains.
        running = try ChildProcess.start(
            "/bin/sh", ["-c", #"exec "$0" "$@" >"$GATEWAY_LOG" 2>&1"#, binary, "serve", "--host", "127.0.0.1", "--port", "\(port)", "--tls-dir", pki]
                + arguments,
            environment: environment.merging(["GATEWAY_LOG": log]) { $1 })
        for _ in 0..<240 {
            if (try? curl(["https://127.0.0.1:\(port)/readyz"])) == "200" { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
        stop()
        throw ValidationError("the gateway did not become ready on port \(port); see \(log)")
    }

    /// The partner's client certificate and key.
    var clientCertificate: String { pki + "/clients/\(partner).pem" }
    var clientKey: String { pki + "/clients/\(partner)-key.pem" }

    /// The status code of one request with the partner's certificate (`extra` adds curl options).
    func curl(_ extra: [String]) throws -> String {
        try ChildProcess.run("/usr/bin/curl", [
            "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki + "/ca.pem",
            "--cert", clientCertificate, "--key", clientKey,
        ] + extra)
    }

    /// Sends SIGTERM (graceful: in-flight requests finish, meter events are flushed) and waits.
    func stop() {
        running.signal(SIGTERM)
        _ = running.wait()
    }
}
