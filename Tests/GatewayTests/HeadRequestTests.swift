import AsyncHTTPClient
import BrokerCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `HEAD` over HTTP/2, on one connection beside other requests: answered as `GET` without its body
/// wherever `GET` is served, with the problem's status elsewhere, and never the end of the
/// connection. Before, every `HEAD` over HTTP/2 got a 405 whose problem body swift-nio-http2 took
/// for a protocol error: the connection closed and the requests in flight on it were lost.
@Suite(.serialized) struct HeadRequestTests {
    @Test func aHeadIsAGetWithoutItsBodyAndTheConnectionLivesOn() async throws {
        try await TestGateway.run { gateway in
            let client = try Self.client(gateway, gateway.identity(of: TestGateway.bank))
            do {
                try await check(client, gateway)
                try await client.shutdown()
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    /// The admin listener speaks HTTP/2 too (Hummingbird's channel offers it whatever it is given):
    /// a `HEAD` there was a 405 whose body ended the connection as well.
    @Test func anAdminHeadOverHTTP2IsAnsweredWithoutABody() async throws {
        try await TestGateway.run { gateway in
            let client = try Self.client(gateway, gateway.identity(of: AdminRole.audit))
            do {
                for (method, expected) in [(HTTPMethod.HEAD, 405), (.HEAD, 405), (.GET, 200)] {
                    var request = HTTPClientRequest(url: "https://localhost:\(gateway.adminPort)/admin/v1/partners")
                    request.method = method
                    let response = try await client.execute(request, timeout: .seconds(20))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    #expect(response.version == .http2)
                    #expect(Int(response.status.code) == expected, "\(method)")
                    #expect(method == .GET ? body.readableBytes > 0 : body.readableBytes == 0, "\(method)")
                }
                try await client.shutdown()
            } catch {
                try await client.shutdown()
                throw error
            }
        }
    }

    /// One client (one connection, HTTP/2 by ALPN) presenting `identity`.
    private static func client(_ gateway: TestGateway, _ identity: TestGateway.ClientIdentity) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(gateway.pki.caURL.path)
        tls.certificateChain = [.certificate(identity.certificate)]
        tls.privateKey = .privateKey(identity.key)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    private func check(_ client: HTTPClient, _ gateway: TestGateway) async throws {
        func send(_ method: HTTPMethod, _ path: String) async throws -> (status: UInt, version: HTTPVersion, length: String?, body: Int) {
            var request = HTTPClientRequest(url: "https://localhost:\(gateway.port)\(path)")
            request.method = method
            let response = try await client.execute(request, timeout: .seconds(20))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, response.version, response.headers.first(name: "Content-Length"), body.readableBytes)
        }

        let get = try await send(.GET, "/v1/partner")
        #expect(get.status == 200 && get.version == .http2 && get.body > 0)
        let heads = try await withThrowingTaskGroup(of: (String, UInt, HTTPVersion, String?, Int).self) { group in
            for path in ["/v1/partner", "/healthz", "/v1/queries", "/v1/no-such-route", "/v1/partner"] {
                group.addTask {
                    let answer = try await send(.HEAD, path)
                    return (path, answer.status, answer.version, answer.length, answer.body)
                }
            }
            group.addTask {
                let answer = try await send(.GET, "/v1/partner")
                return ("GET", answer.status, answer.version, answer.length, answer.body)
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(heads.count == 6)
        for (name, status, version, length, body) in heads {
            #expect(version == .http2, "\(name)")
            if name == "GET" {
                #expect(status == 200 && body == get.body)
                continue
            }
            #expect(body == 0, "\(name): a HEAD answer has no body")
            switch name {
            case "/v1/partner": #expect(status == 200 && length == String(get.body), "\(name)")
            case "/healthz": #expect(status == 200, "\(name)")
            case "/v1/queries": #expect(status == 405, "\(name)")
            default: #expect(status == 404, "\(name)")
            }
        }
        // The connection still serves.
        #expect(try await send(.GET, "/v1/partner").status == 200)
    }
}

