import ArgumentParser
import BrokerStore
import ChildProcesses
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOSSL
import Synchronization

/// The hostile clients of scenario 5, each run in its own process (`CreditBrokerFaults attack KIND`,
/// started under `nice` by the hostile scenario, as an attacker on another machine would not take
/// the gateway's CPU). Each prints one `ATTACK key=value …` line when its time is up.
struct Attack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack", abstract: "One hostile client against a gateway (used by the hostile scenario).", shouldDisplay: false
    )

    enum Kind: String, CaseIterable, ExpressibleByArgument {
        case slowloris, idle, headers, deepJSON = "deep-json", utf8, rapidReset = "rapid-reset", streamFlood = "stream-flood"
        case renegotiation, garbage
    }

    /// The hostile partner: a bank with a valid certificate (another bank than the one measured, whose
    /// rate limit and quota it does not share).
    static let attacker = "bank.boc_jiangsu"

    @Argument var kind: Kind
    @Option var port: Int
    @Option var pki: String
    @Option var seconds = 10.0
    @Option(help: "Connections (idle: how many to hold open).") var connections = 0

    func run() async throws {
        raiseDescriptorLimit()
        let (port, pki, kind, connections) = (self.port, self.pki, self.kind, self.connections)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let stats = Locked([String: Int]())
        @Sendable func count(_ key: String, _ value: Int = 1) { stats.withLock { $0[key, default: 0] += value } }
        let bank = (pki + "/clients/\(Attack.attacker).pem", pki + "/clients/\(Attack.attacker)-key.pem")
        let h1 = try RawConnection.tls(certificate: bank.0, key: bank.1)
        switch kind {
        case .slowloris:
            // Half trickle their headers a byte at a time, half send a head and trickle the body.
            try await parallel(connections == 0 ? 200 : connections) { index in
                guard let connection = try? await RawConnection.open(port: port, tls: h1) else { return count("refused") }
                count("opened")
                let head = Array("POST /v1/queries HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n".utf8)
                var sent = index % 2 == 0 ? 0 : head.count
                if sent > 0 { await connection.write(head + Array("\r\n".utf8)) }
                while ContinuousClock.now < deadline, !connection.isClosed {
                    await connection.write([sent < head.count ? head[sent] : UInt8(ascii: "[")])
                    sent += 1
                    try? await Task.sleep(for: .milliseconds(500))
                }
                count(connection.isClosed ? "closed by the server" : "still open at the end")
                await connection.close()
            }
        case .idle:
            // Plain TCP connections that never say anything (not even a ClientHello).
            var sockets: [Int32] = []
            for _ in 0..<(connections == 0 ? 10_000 : connections) {
                let descriptor = tcpConnect(port: port)
                if descriptor >= 0 { sockets.append(descriptor) } else { count("refused") }
            }
            count("opened", sockets.count)
            try await Task.sleep(until: deadline)
            var closed = 0
            for descriptor in sockets {
                var byte: UInt8 = 0
                if recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT)) == 0 { closed += 1 }
                Glibc.close(descriptor)
            }
            count("closed by the server", closed)
        case .headers:
            let huge = String(repeating: "a", count: 100 * 1024)
            try await requests(workers: 8, until: deadline, count: count) { _ in
                Array("GET /v1/partner HTTP/1.1\r\nHost: localhost\r\nX-Padding: \(huge)\r\n\r\n".utf8)
            }
        case .deepJSON:
            // 100,000 levels: as a whole body, and as the subjects of the two routes that take bodies of 1 MB
            // (the queries route refuses any body over 64 KB before reading it as JSON).
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let bodies = [
                ("/v1/batch-reviews", #"{"purpose":"batch_review","items":["enterprise.registration"],"subjects":"# + deep + "}"),
                ("/v1/watchlist", #"{"purpose":"post_loan_monitoring","subjects":"# + deep + "}"),
                ("/v1/batch-reviews", String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)),
                ("/v1/queries", deep),
            ]
            try await requests(workers: 4, until: deadline, count: count) { n in
                let (path, body) = bodies[n % bodies.count]
                return Array("POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
            }
        case .utf8:
            try await requests(workers: 4, until: deadline, count: count) { n in
                let body: [UInt8] = Array(#"{"subject":""#.utf8) + [0xff, 0xfe, 0xc3, 0x28] + Array(#"","purpose":"credit_approval","items":["enterprise.registration"]}"#.utf8)
                let header: [UInt8] = n % 2 == 0 ? Array("X-Note: ".utf8) + [0xff, 0xc0, 0x80] + Array("\r\n".utf8) : []
                return Array("POST /v1/queries HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n".utf8)
                    + header + Array("\r\n".utf8) + body
            }
        case .rapidReset, .streamFlood:
            let h2 = try RawConnection.tls(alpn: ["h2"], certificate: bank.0, key: bank.1)
            try await parallel(connections == 0 ? (kind == .rapidReset ? 4 : 10) : connections) { _ in
                while ContinuousClock.now < deadline {
                    guard let connection = try? await RawConnection.open(port: port, tls: h2) else {
                        count("refused")
                        try? await Task.sleep(for: .milliseconds(100))
                        continue
                    }
                    count("connections")
                    await connection.write(HTTP2Frames.preface + HTTP2Frames.settings)
                    await connection.waitForBytes(9, timeout: .seconds(2))
                    await connection.write(HTTP2Frames.settingsAck)
                    var stream: UInt32 = 1
                    if kind == .rapidReset {
                        while ContinuousClock.now < deadline, !connection.isClosed, stream < 2_000_000_000 {
                            var batch: [UInt8] = []
                            for _ in 0..<100 {
                                batch += HTTP2Frames.headers(stream: stream) + HTTP2Frames.reset(stream: stream)
                                stream += 2
                            }
                            if !(await connection.write(batch)) { break }
                            count("streams reset", 100)
                        }
                    } else {
                        var batch: [UInt8] = []
                        for _ in 0..<1_000 {
                            batch += HTTP2Frames.headers(stream: stream, method: "POST", path: "/v1/queries", endStream: false)
                            stream += 2
                        }
                        await connection.write(batch)
                        count("streams opened", 1_000)
                        while ContinuousClock.now < deadline, !connection.isClosed { try? await Task.sleep(for: .milliseconds(100)) }
                    }
                    if HTTP2Frames.containsGoAway(connection.receivedBytes) { count("GOAWAY from the server") }
                    if connection.isClosed { count("closed by the server") }
                    await connection.close()
                }
            }
        case .renegotiation:
            try await parallel(2) { _ in
                while ContinuousClock.now < deadline {
                    // openssl s_client renegotiates when it reads "R" on a line of its own (TLS 1.2: TLS 1.3 has no renegotiation).
                    let output = (try? runShell("(printf 'R\\n'; sleep 1) | timeout 10 openssl s_client -connect 127.0.0.1:\(port) -tls1_2 -cert \(bank.0) -key \(bank.1) 2>&1")) ?? ""
                    count("attempts")
                    if output.contains("RENEGOTIATING") { count("renegotiation requested") }
                    if output.lowercased().contains("no renegotiation") || output.contains("alert") || output.contains("errno") || output.contains(":error:") {
                        count("refused by the server")
                    }
                }
            }
        case .garbage:
            try await parallel(8) { _ in
                var random = SystemRandomNumberGenerator()
                while ContinuousClock.now < deadline {
                    guard let connection = try? await RawConnection.open(port: port) else { count("refused"); continue }
                    let junk: [UInt8] = (0..<512).map { _ in UInt8.random(in: 0...255, using: &random) }
                    await connection.write(Int.random(in: 0..<2, using: &random) == 0 ? junk : Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                    await connection.waitForBytes(Int.max, timeout: .seconds(5))
                    count(connection.isClosed ? "closed by the server" : "left open")
                    await connection.close()
                }
            }
        }
        let line = stats.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key.replacingOccurrences(of: " ", with: "_"))=\($0.value)" }
        say("ATTACK \(kind.rawValue) " + line.joined(separator: " "))
    }

    /// Workers each open a TLS connection, send `request(n)`, read until the server closes or
    /// answers, count the status line, and go again.
    private func requests(
        workers: Int, until deadline: ContinuousClock.Instant, count: @escaping @Sendable (String, Int) -> Void,
        _ request: @escaping @Sendable (Int) -> [UInt8]
    ) async throws {
        let (port, pki) = (self.port, self.pki)
        let bank = (pki + "/clients/\(Attack.attacker).pem", pki + "/clients/\(Attack.attacker)-key.pem")
        let tls = try RawConnection.tls(certificate: bank.0, key: bank.1)
        let sent = Locked(0)
        try await parallel(workers) { _ in
            while ContinuousClock.now < deadline {
                guard let connection = try? await RawConnection.open(port: port, tls: tls) else {
                    count("refused", 1)
                    continue
                }
                await connection.write(request(sent.withLock { value in
                    value += 1
                    return value
                }))
                await connection.waitForBytes(12, timeout: .seconds(10))
                // Give the answer a moment to arrive whole.
                try? await Task.sleep(for: .milliseconds(5))
                let head = String(decoding: connection.receivedBytes.prefix(12), as: UTF8.self)
                count(head.hasPrefix("HTTP/1.1 ") ? "answered \(head.dropFirst(9).prefix(3))" : "no answer", 1)
                await connection.close()
            }
        }
    }
}

/// Runs `body(0..<count)` concurrently and waits for all.
func parallel(_ count: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<count { group.addTask { try await body(index) } }
        try await group.waitForAll()
    }
}

/// The attacker's own address: another host than the measured bank's (127.0.0.1), as it would be
/// in life, so that the gateway's refusal of an abusive address (`ConnectionGate`) does not fall on
/// the bank. (The renegotiation attack runs `openssl s_client`, which cannot choose its address; it
/// earns no strikes.)
let attackerAddress = "127.0.0.2"

/// A blocking TCP connection from `attackerAddress` to 127.0.0.1:`port`; the descriptor, or -1.
func tcpConnect(port: Int) -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return -1 }
    var source = sockaddr_in()
    source.sin_family = sa_family_t(AF_INET)
    source.sin_addr.s_addr = inet_addr(attackerAddress)
    let bound = withUnsafePointer(to: &source) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else {
        close(descriptor)
        return -1
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(descriptor)
        return -1
    }
    return descriptor
}

/// Raises this process's open-file limit to its hard limit (children inherit it).
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Runs a shell command line and returns what it printed.
func runShell(_ line: String) throws -> String {
    let running = try ChildProcess.start("/bin/sh", ["-c", line])
    return running.wait().output
}
