import ArgumentParser
import BrokerCore
import BrokerStore
import ChildProcesses
import Crypto
import Foundation
import Gateway
import GMCrypto

/// Receipt signing per second in each suite, as an answer's receipt is made (the body's digest in
/// the suite's hash, the payload's JSON, the signature, base64url), on one core, beside `openssl speed` for SM2 and
/// Ed25519 on this machine in the same run. Both are per second of the thread's own CPU time (what
/// `openssl speed` divides by unless given `-elapsed`), so other work on a shared machine slows
/// neither figure; the wall-clock rate is printed beside ours.
struct ReceiptsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "Receipt tokens signed per second, Ed25519 and SM2 with SM3, beside `openssl speed ed25519 sm2` in the same run."
    )

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 5

    @Option(help: "Seconds per timed run (and per openssl speed measurement).")
    var seconds = 2.0

    func run() async throws {
        let signer = try ReceiptSigner(ed25519: Curve25519.Signing.PrivateKey(), sm2: SM2PrivateKey())
        // An answer's receipt: three items, a consent, a 2 KB body named by the suite's hash
        // (SHA-256 for Ed25519, SM3 for SM2), digest and signature both timed.
        let body = Data(repeating: 0x7b, count: 2_048)
        func receipt(_ suite: ReceiptSuite) throws -> Receipt {
            try Receipt(
                requestID: "0f4f6a8e-1c2d-4e5f-9a0b-1c2d3e4f5a6b", partnerID: "bank.icbc_jiangsu", issuedAt: Date(),
                itemsDisclosed: ["enterprise.registration", "enterprise.penalty", "enterprise.customs_credit_level"],
                contractVersion: "bank.icbc_jiangsu@2026-11-01.1#d43494479d38", consentID: "cs_0123456789abcdef", body: body, suite: suite
            )
        }
        let verifier = try ReceiptVerifier(publicKeyPEM: signer.publicKeysPEM)
        var rates: [ReceiptSuite: Double] = [:]
        for suite in ReceiptSuite.allCases {
            let token = try signer.token(for: receipt(suite))
            _ = try verifier.verify(token: token, body: body)
            // Interleaved with nothing else: one suite at a time, `runs` timed runs each.
            let measured = try (0..<runs).map { _ in try rate { _ = try signer.token(for: receipt(suite)) } }
            let median = BenchmarkTimer.median(measured.map(\.cpu))
            rates[suite] = median
            print(String(
                format: "%@ receipt tokens: %.0f/s per CPU second (%.1f µs of CPU each; %.0f/s by the wall clock; median of %d runs of %.0f s; load average %@)",
                suite.rawValue, median, 1e6 / median, BenchmarkTimer.median(measured.map(\.wall)), runs, seconds, BenchmarkTimer.loadAverage()
            ))
        }

        let speed = try openSSLSpeed()
        for (name, signs) in speed.sorted(by: { $0.key < $1.key }) {
            print(String(format: "openssl speed %@: %.0f signs/s per CPU second (load average %@)", name, signs, BenchmarkTimer.loadAverage()))
        }
        if let ed25519 = rates[.ed25519], let sm2 = rates[.sm2SM3] {
            print(String(
                format: "an sm2-sm3 receipt costs %.0f µs more CPU than an Ed25519 one (%.1fx); openssl's own ratio: %.1fx",
                1e6 / sm2 - 1e6 / ed25519, ed25519 / sm2, (speed["ed25519"] ?? .nan) / (speed["sm2"] ?? .nan)
            ))
        }
    }

    /// Calls of `body` per second of this thread's CPU time and per second of the wall clock, over
    /// `seconds` of CPU time (the loop never suspends, so it stays on one thread).
    private func rate(_ body: () throws -> Void) rethrows -> (cpu: Double, wall: Double) {
        func threadCPU() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
        }
        let clock = ContinuousClock()
        let (startCPU, startWall) = (threadCPU(), clock.now)
        var calls = 0
        while true {
            for _ in 0..<16 { try body() }
            calls += 16
            let cpu = threadCPU() - startCPU
            if cpu >= seconds {
                let wall = clock.now - startWall
                return (Double(calls) / cpu, Double(calls) / (Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18))
            }
        }
    }

    /// `openssl speed -seconds N ed25519 sm2`: signs per second of each, parsed from its table
    /// (`… sign/s verify/s` rows, the second to last column).
    private func openSSLSpeed() throws -> [String: Double] {
        let output = try ChildProcess.run("/usr/bin/openssl", ["speed", "-seconds", "\(max(1, Int(seconds)))", "ed25519", "sm2"])
        var signs: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            let columns = line.split(separator: " ")
            guard columns.count >= 2, let value = Double(columns[columns.count - 2]) else { continue }
            if line.contains("Ed25519") { signs["ed25519"] = value }
            if line.contains("SM2") { signs["sm2"] = value }
        }
        guard signs.count == 2 else { throw ValidationError("openssl speed printed no sign/s for ed25519 and sm2:\n\(output)") }
        return signs
    }
}
