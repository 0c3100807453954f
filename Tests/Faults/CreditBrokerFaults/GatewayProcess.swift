import ArgumentParser
import AsyncHTTPClient
import BrokerStore
import ChildProcesses
import Foundation
import NIOCore
import NIOSSL

/// One real `credit-broker serve` process over TLS from the topology's development PKI, its output
/// appended to a log file; killed, stopped or restarted on the same ports.
final class GatewayProcess: @unchecked Sendable {
    let binary: String
    let port: Int
    /// The operations listener (`/metrics`, plain HTTP on loopback).
    let opsPort: Int
    let pki: String
    let log: String
    let arguments: [String]
    let environment: [String: String]
    private(set) var running: ChildProcess.Running

    init(binary: String, port: Int, opsPort: Int, pki: String, log: String, arguments: [String], environment: [String: String]) throws {
        self.binary = binary
        self.port = port
        self.opsPort = opsPort
        self.pki = pki
        self.log = log
        self.arguments = arguments
        self.environment = environment
        running = try Self.launch(binary: binary, port: port, opsPort: opsPort, pki: pki, log: log, arguments: arguments, environment: environment)
    }

    private static func launch(
        binary: String, port: Int, opsPort: Int, pki: String, log: String, arguments: [String], environment: [String: String]
    ) throws -> ChildProcess.Running {
        // Through sh so that the gateway writes to its log rather than to a pipe nobody drains;
        // `exec` keeps the process id the gateway's, for kill -9.
        try ChildProcess.start(
            "/bin/sh",
            ["-c", #"exec "$0" "$@" >>"$GATEWAY_LOG" 2>&1"#, binary, "serve", "--host", "127.0.0.1", "--port", "\(port)",
             "--ops-port", "\(opsPort)", "--tls-dir", pki] + arguments,
            environment: environment.merging(["GATEWAY_LOG": log]) { $1 }
        )
    }

    var pid: pid_t { running.pid }

    /// Waits until the partner listener answers `/readyz` with 200 over TLS (at most `timeout`).
    func waitUntilReady(timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if kill(pid, 0) != 0 {
                throw ValidationError("the gateway on port \(port) exited while starting; see \(log):\n\(tail())")
            }
            if (try? await Probe.shared(pki: pki).status("https://127.0.0.1:\(port)/readyz")) == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the gateway on port \(port) was not ready within \(timeout); see \(log):\n\(tail())")
    }

    /// SIGKILL, then reaps it.
    func kill9() async {
        kill(pid, SIGKILL)
        _ = await waitForExit()
    }

    /// SIGTERM (graceful: in-flight requests finish, queued meter events commit); returns the exit status.
    @discardableResult
    func stop() async -> Int32 {
        kill(pid, SIGTERM)
        return await waitForExit()
    }

    /// Starts the same command again on the same ports and waits until it is ready.
    func restart() async throws {
        running = try Self.launch(binary: binary, port: port, opsPort: opsPort, pki: pki, log: log, arguments: arguments, environment: environment)
        try await waitUntilReady()
    }

    private func waitForExit() async -> Int32 {
        await running.wait().status
    }

    /// Waits until the reports' pool has started and warmed its `browsers` (`serve`'s default 2),
    /// at most `timeout`: until then they take CPU a timed run should not share.
    func waitUntilWarm(browsers: Int = 2, timeout: Duration = .seconds(60)) async {
        let deadline = ContinuousClock.now + timeout
        let line = #"credit_broker_report_browsers_started_total{reason="warm"} "#
        while ContinuousClock.now < deadline {
            let text = (try? await metrics()) ?? ""
            let warm = text.split(separator: "\n").first { $0.hasPrefix(line) }.flatMap { Double($0.dropFirst(line.count)) } ?? 0
            if warm >= Double(browsers) { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The operations listener's `/metrics` text.
    func metrics() async throws -> String {
        try await Probe.shared(pki: pki).text("http://127.0.0.1:\(opsPort)/metrics")
    }

    /// Resident memory (kB) and open descriptors of the process, from /proc.
    func resources() -> (rssKB: Int, descriptors: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return (rss, descriptors)
    }

    /// The log's last lines.
    func tail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// One shared HTTP client for probes: `/readyz`, `/metrics`, with the topology's CA as trust root.
final class Probe: Sendable {
    let client: HTTPClient

    private static let lock = NSLock()
    nonisolated(unsafe) private static var instances: [String: Probe] = [:]

    static func shared(pki: String) -> Probe {
        lock.lock()
        defer { lock.unlock() }
        if let probe = instances[pki] { return probe }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(pki + "/ca.pem")
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(5))
        let probe = Probe(client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration))
        instances[pki] = probe
        return probe
    }

    private init(client: HTTPClient) {
        self.client = client
    }

    func status(_ url: String) async throws -> Int {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    func text(_ url: String) async throws -> String {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 24)
        return String(decoding: body.readableBytesView, as: UTF8.self)
    }
}
