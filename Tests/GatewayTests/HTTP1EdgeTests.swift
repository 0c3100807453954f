import Foundation
import Gateway
import Logging
import Testing

/// HTTP/1.1 over a raw TLS socket, for what clients like AsyncHTTPClient never send: an oversized
/// header, a request without `Host`, a body the client stops sending halfway.
@Suite(.serialized) struct HTTP1EdgeTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// One request on its own HTTP/1.1 connection; the whole answer (the server closes after it).
    static func exchange(_ gateway: TestGateway, _ request: String, identity: TestGateway.ClientIdentity? = nil) async throws -> String {
        let connection = try await RawConnection.open(port: gateway.port, tls: RawConnection.tls(gateway, alpn: ["http/1.1"], identity: identity))
        let answer = try await connection.readUntilClosed(within: .seconds(10), sending: Array(request.utf8))
        return Self.text(try #require(answer).bytes)
    }

    @Test func anOversizedHeaderIsA431Problem() async throws {
        try await TestGateway.run { gateway in
            let big = String(repeating: "a", count: 100 * 1024)
            let answer = try await Self.exchange(gateway, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: \(big)\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 431 "), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("content-type: application/problem+json"))
            #expect(answer.contains(#""type":"https://credit-broker.example/problems/header-too-large""#))
            #expect(answer.contains(#""status":431"#))
            #expect(!answer.contains("aaaaaaaa"))

            let many = (0..<1_100).map { "X-Field-\($0): v\r\n" }.joined()
            let tooMany = try await Self.exchange(gateway, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\(many)\r\n")
            #expect(tooMany.hasPrefix("HTTP/1.1 431 "), "\(tooMany.prefix(200))")
        }
    }

    @Test func anHTTP11RequestWithoutHostIsA400Problem() async throws {
        try await TestGateway.run { gateway in
            let missing = try await Self.exchange(gateway, "GET /healthz HTTP/1.1\r\n\r\n")
            #expect(missing.hasPrefix("HTTP/1.1 400 "), "\(missing.prefix(200))")
            #expect(missing.lowercased().contains("content-type: application/problem+json"))
            #expect(missing.contains(#""type":"https://credit-broker.example/problems/host-missing""#))
            let twice = try await Self.exchange(gateway, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: example.com\r\n\r\n")
            #expect(twice.hasPrefix("HTTP/1.1 400 "), "\(twice.prefix(200))")
            // HTTP/1.0 has no Host requirement; with Host, 1.1 is answered.
            let old = try await Self.exchange(gateway, "GET /healthz HTTP/1.0\r\nConnection: close\r\n\r\n")
            #expect(old.hasPrefix("HTTP/1.0 200 ") || old.hasPrefix("HTTP/1.1 200 "), "\(old.prefix(200))")
            let good = try await Self.exchange(gateway, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            #expect(good.hasPrefix("HTTP/1.1 200 "), "\(good.prefix(200))")
        }
    }

    /// A client that closes its connection halfway through a body is the client's failure: no 500 in
    /// `/metrics`, nothing logged at error level.
    @Test func aClientThatAbortsMidBodyIsNoServerError() async throws {
        let log = RecordedLog()
        try await TestGateway.run(logger: log.logger) { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            for path in ["/v1/queries", "/v1/consents", "/v1/scores", "/v1/reports", "/v1/batch-reviews", "/v1/watchlist"] {
                for extra in ["", "Idempotency-Key: abort-1\r\n"] {
                    let connection = try await RawConnection.open(port: gateway.port, tls: RawConnection.tls(gateway, alpn: ["http/1.1"], identity: bank))
                    try await connection.sendThenClose(Array(
                        "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\(extra)Content-Length: 4000\r\n\r\n{\"subject\":\"9135".utf8
                    ))
                }
            }
            try await Task.sleep(for: .seconds(1))
            let metrics = String(decoding: try await gateway.request(.GET, "/metrics").body, as: UTF8.self)
            let serverErrors = metrics.split(separator: "\n").filter { $0.hasPrefix("credit_broker_requests_total") && $0.contains(#"status="5"#) }
            #expect(serverErrors.isEmpty, "\(serverErrors)")
            #expect(log.records(atLeast: .error).isEmpty, "\(log.records(atLeast: .error))")
        }
    }

    /// Two `Idempotency-Key` fields were read as one key "a1, a2" and refused for the space in it,
    /// a reason that named another fault than the one sent.
    @Test func twoIdempotencyKeysAreRefusedAsTwo() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let body = #"{"subject":"91350100M000100Y43","purpose":"credit_approval","items":["enterprise.registration"]}"#
            let request = "POST /v1/queries HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nIdempotency-Key: a1\r\n"
                + "Idempotency-Key: a2\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            let connection = try await RawConnection.open(port: gateway.port, tls: RawConnection.tls(gateway, alpn: ["http/1.1"], identity: bank))
            let answer = String(decoding: try #require(try await connection.readUntilClosed(within: .seconds(10), sending: Array(request.utf8))).bytes, as: UTF8.self)
            #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(answer.prefix(300))")
            #expect(answer.contains("Send one Idempotency-Key header, not several."), "\(answer.suffix(400))")
        }
    }
}
