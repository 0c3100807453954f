import BrokerCore
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// What the partner and operations routers answer before any database or certificate is involved,
/// tested on the routers themselves (`RouterTestApp`): the problems' shape, 405, the refusals of
/// authentication, the public routes, readiness without a database, the request metrics. What
/// needs TLS or PostgreSQL is in the end-to-end suites.
@Suite struct RouterTests {
    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    static func text(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    /// A problem's shape: `application/problem+json`, its type, its status, a title and a detail.
    static func expectProblem(_ response: TestResponse, _ slug: String, _ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let body = json(response)
        #expect(body["type"] as? String == Problem.typeBase + slug, "\(text(response))", sourceLocation: sourceLocation)
        #expect(body["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect(body["title"] is String && body["detail"] is String, sourceLocation: sourceLocation)
    }

    @Test func noCredentialIsA401ProblemWithWWWAuthenticate() async throws {
        try await RouterTestApp.run { app in
            try await app.partnerAPI { client in
                let reply = try await client.execute(uri: "/v1/partner", method: .get)
                Self.expectProblem(reply, "unauthenticated", .unauthorized)
                #expect(reply.headers[.wwwAuthenticate] == #"Bearer realm="credit-broker""#)
            }
            #expect(app.partners.metrics.authentication.snapshot()[.credentialMissing] == 1)
        }
    }

    /// Credentials the broker does not understand are refused, not ignored, before any key is looked
    /// up (with a certificate beside them too: `GatewayEndToEndTests`).
    @Test func anAuthorizationHeaderThatIsNoBearerKeyIsRefused() async throws {
        try await RouterTestApp.run { app in
            let headers = ["Basic dXNlcjpwYXNz", "Digest username=\"bank\"", "ak_0123456789abcdef.secret", "Bearer", "Bearer ", "Negotiate abc"]
            try await app.partnerAPI { client in
                for header in headers {
                    let reply = try await client.execute(uri: "/v1/partner", method: .get, headers: [.authorization: header])
                    Self.expectProblem(reply, "unauthenticated", .unauthorized)
                    #expect(reply.headers[.wwwAuthenticate] == #"Bearer realm="credit-broker""#, "\(header)")
                }
                // Two headers, even two well-formed keys, are one too many.
                var two = HTTPFields()
                two.append(.init(name: .authorization, value: "Bearer ak_0123456789abcdef.one"))
                two.append(.init(name: .authorization, value: "Bearer ak_0123456789abcdef.two"))
                Self.expectProblem(try await client.execute(uri: "/v1/partner", method: .get, headers: two), "unauthenticated", .unauthorized)
                // A bearer token that is no key of the form is refused without a lookup.
                let malformed = try await client.execute(uri: "/v1/partner", method: .get, headers: [.authorization: "Bearer ak_nothexatall.secret"])
                Self.expectProblem(malformed, "unauthenticated", .unauthorized)
            }
            let counts = app.partners.metrics.authentication.snapshot()
            #expect(counts[.credentialUnsupported] == headers.count + 1)
            #expect(counts[.keyRefused] == 1)
        }
    }

    /// A well-formed key while the database cannot be reached: 503 with `Retry-After`, never a 500.
    @Test func aKeyThatCannotBeCheckedIsA503Problem() async throws {
        try await RouterTestApp.run { app in
            try await app.partnerAPI { client in
                let key = "ak_0123456789abcdef." + String(repeating: "s", count: 43)
                let reply = try await client.execute(uri: "/v1/partner", method: .get, headers: [.authorization: "Bearer \(key)"])
                Self.expectProblem(reply, "database-unavailable", .serviceUnavailable)
                #expect(reply.headers[.retryAfter] != nil)
            }
        }
    }

    @Test func unknownRoutesAnswerProblemJSON() async throws {
        try await RouterTestApp.run { app in
            try await app.partnerAPI { client in
                for path in ["/v1/nothing-here", "/nothing", "/v1/consents/cs_0/nothing", "/v1"] {
                    Self.expectProblem(try await client.execute(uri: path, method: .get), "not-found", .notFound)
                }
            }
        }
    }

    /// A path the broker serves, asked with a method it does not serve there, is 405 with `Allow`
    /// (TRACE included; HEAD is served wherever GET is), before authentication; an unknown path stays 404. (The admin listener's:
    /// `AdminEndToEndTests`.)
    @Test func aServedPathWithAnotherMethodIs405WithAllow() async throws {
        try await RouterTestApp.run { app in
            try await app.partnerAPI { client in
                let cases: [(HTTPRequest.Method, String, String)] = [
                    (.init("TRACE")!, "/v1/queries", "POST"), (.get, "/v1/queries", "POST"), (.put, "/v1/consents/cs_0", "DELETE, GET, HEAD"),
                    (.init("TRACE")!, "/healthz", "GET, HEAD"), (.patch, "/v1/watchlist", "GET, HEAD, POST"), (.delete, "/v1/batch-reviews/br_0", "GET, HEAD"),
                    (.get, "/v1/portal/consents/cs_0/revoke", "POST"), (.post, "/v1/receipt-key", "GET, HEAD"),
                ]
                for (method, path, allow) in cases {
                    let reply = try await client.execute(uri: path, method: method)
                    Self.expectProblem(reply, "method-not-allowed", .methodNotAllowed)
                    #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                }
                Self.expectProblem(try await client.execute(uri: "/v1/nothing-here", method: .init("TRACE")!), "not-found", .notFound)
                // A HEAD gets the same status and fields, never a body (HeadRequestTests: over HTTP/2).
                let head = try await client.execute(uri: "/v1/queries", method: .head)
                #expect(head.status == .methodNotAllowed && head.headers[.allow] == "POST" && head.body.readableBytes == 0)
                let healthz = try await client.execute(uri: "/healthz", method: .head)
                #expect(healthz.status == .ok && healthz.body.readableBytes == 0)
            }
            // Refused before authentication: nothing was counted there.
            #expect(app.partners.metrics.authentication.snapshot().isEmpty)
        }
    }

    /// `GET /v1/receipt-key` needs no credential: both public keys, or the one a `suite` names; a
    /// suite it does not know is a 400 naming the parameter, not echoing it.
    @Test func theReceiptKeyIsPublicAndItsSuiteIsChecked() async throws {
        try await RouterTestApp.run { app in
            let signer = app.partners.receiptSigner
            try await app.partnerAPI { client in
                let both = try await client.execute(uri: "/v1/receipt-key", method: .get)
                #expect(both.status == .ok)
                #expect(both.headers[.contentType] == "application/x-pem-file")
                #expect(Self.text(both) == signer.publicKeyPEM(.ed25519) + signer.publicKeyPEM(.sm2SM3))
                for suite in ReceiptSuite.allCases {
                    let one = try await client.execute(uri: "/v1/receipt-key?suite=\(suite.rawValue)", method: .get)
                    #expect(Self.text(one) == signer.publicKeyPEM(suite))
                }
                let probe = "11010519491231002X"
                let refused = try await client.execute(uri: "/v1/receipt-key?suite=\(probe)", method: .get)
                Self.expectProblem(refused, "invalid-request", .badRequest)
                #expect(Self.json(refused)["field"] as? String == "suite")
                #expect(!Self.text(refused).contains(probe))
            }
        }
    }

    /// Liveness needs nothing; readiness needs the database, and says so without a connection string
    /// or a path, on the partner listener and the operations listener alike.
    @Test func readinessWithoutTheDatabaseIs503WithTheReasonOnly() async throws {
        try await RouterTestApp.run { app in
            try await app.partnerAPI { try await Self.checkHealth($0) }
            try await app.operations { try await Self.checkHealth($0) }
        }
    }

    static func checkHealth(_ client: any TestClientProtocol) async throws {
        let live = try await client.execute(uri: "/healthz", method: .get)
        #expect(live.status == .ok && text(live) == "ok\n")
        let ready = try await client.execute(uri: "/readyz", method: .get)
        #expect(ready.status == .serviceUnavailable)
        #expect(text(ready) == "not ready: database connection error\n")
    }

    /// Every answer is in the request counter by route and status: a public route, a 401 and a 404
    /// as much as a partner's answer (these never reached the metering middleware, which counted
    /// requests before). A path no route serves is counted as `unmatched`, never by itself.
    @Test func everyAnswerIsCountedByRouteAndStatusRefusalsAndPublicRoutesIncluded() async throws {
        try await RouterTestApp.run { app in
            let probe = "11010519491231002X"
            try await app.partnerAPI { client in
                _ = try await client.execute(uri: "/healthz", method: .get)
                _ = try await client.execute(uri: "/healthz", method: .get)
                _ = try await client.execute(uri: "/v1/partner", method: .get)
                _ = try await client.execute(uri: "/v1/\(probe)", method: .get)
                _ = try await client.execute(uri: "/v1/queries", method: .init("TRACE")!)
            }
            let metrics = try await app.metricsText()
            #expect(metrics.contains(#"credit_broker_requests_total{route="GET /healthz",status="200"} 2"#), "\(metrics)")
            #expect(metrics.contains(#"credit_broker_requests_total{route="GET /v1/partner",status="401"} 1"#))
            #expect(metrics.contains(#"credit_broker_requests_total{route="unmatched",status="404"} 1"#))
            #expect(metrics.contains(#"credit_broker_requests_total{route="unmatched",status="405"} 1"#))
            #expect(metrics.contains(#"credit_broker_request_duration_seconds_count{route="GET /v1/partner"} 1"#))
            #expect(!metrics.contains(probe))
        }
    }

    /// Path parameters have one syntax across every router: `{name}`, as the OpenAPI files and the
    /// meter ledger's endpoints write them, never `:name`.
    @Test func everyRoutePathNamesItsParametersInBraces() throws {
        let sources = Repository.root.appending(path: "Sources/Gateway")
        let registration = /\.(?:get|post|put|patch|delete|on)\(\s*"([^"]*)"/
        var paths: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where url.pathExtension == "swift" {
            for match in try String(contentsOf: url, encoding: .utf8).matches(of: registration) {
                paths.append(String(match.1))
                #expect(!match.1.contains(":"), "\(url.lastPathComponent): \"\(match.1)\"")
            }
        }
        #expect(paths.contains("batch-reviews/{id}") && paths.count > 40)
    }
}
