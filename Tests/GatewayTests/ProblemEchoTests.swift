import Foundation
import Gateway
import Testing

/// Problems name the field and the rule, never the value sent: an ID number or a long string put
/// into any member, query parameter, path segment or header of the partner API never comes back.
@Suite(.serialized) struct ProblemEchoTests {
    static let company = "91350100M000100Y43"
    /// A valid resident ID number, and one with a wrong check digit.
    static let idNumber = "11010519491231002X"
    static let badIDNumber = "110105194912310021"
    /// About 60 KB of text for a body member, and 4 KB for a URL or a header: two such in one
    /// URL stay below HTTP/2's 16 KB header list (beyond it the connection itself is refused).
    static let longText = String(repeating: "长文本x", count: 6_000)
    static let longASCII = String(repeating: "0123456789abcdef", count: 256)

    /// What must not appear in any answer: the ID numbers' digits and any 64-character run of the long texts.
    static func leaks(_ body: Data) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        var found: [String] = []
        for needle in ["19491231002", "194912310021", String(longText.prefix(64)), String(longASCII.prefix(64))] where text.contains(needle) {
            found.append(needle)
        }
        return found
    }

    /// Each valid body, and for each of its members the probes put in its place (as a string, or
    /// inside the array a member holds).
    static var bodies: [(path: String, body: [String: Any])] {
        [
        ("/v1/queries", ["subject": company, "purpose": "credit_approval", "items": ["enterprise.registration"], "consent_id": "cs_0"]),
        ("/v1/queries", ["subject": company, "purpose": "credit_approval", "bundle": "registration"]),
        ("/v1/consents", [
            "subject": company, "purposes": ["credit_approval"], "items": ["market.real_estate"], "categories": ["tax"],
            "valid_from": "2026-06-01", "valid_to": "2026-06-30", "use_limit": "once", "document_digest": String(repeating: "ab", count: 32),
        ]),
        ("/v1/scores", ["subject": company, "purpose": "credit_approval", "consent_id": "cs_0"]),
        ("/v1/reports", ["subject": company, "purpose": "credit_approval", "items": ["enterprise.registration"], "consent_id": "cs_0"]),
        ("/v1/batch-reviews", ["subjects": [company], "purpose": "batch_review", "items": ["enterprise.penalty"]]),
        ("/v1/batch-reviews", ["subjects": [company], "purpose": "batch_review", "bundle": "registration"]),
        ("/v1/watchlist", ["subjects": [company], "purpose": "post_loan_monitoring"]),
        ]
    }

    @Test func noProblemEchoesAnIDNumberOrALongString() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            var checked = 0
            func check(_ reply: TestGateway.Reply, _ what: String) {
                checked += 1
                #expect(Self.leaks(reply.body).isEmpty, "\(what) → \(reply.status): \(String(decoding: reply.body.prefix(300), as: UTF8.self))")
            }
            for (path, body) in Self.bodies {
                for (member, value) in body {
                    for probe in [Self.idNumber, Self.badIDNumber, Self.longText] {
                        var changed = body
                        changed[member] = value is [Any] ? ["enterprise.registration", probe] : probe
                        let reply = try await gateway.request(.POST, path, identity: bank, body: JSONSerialization.data(withJSONObject: changed))
                        check(reply, "\(path) \(member) = \(probe.prefix(20))")
                        if value is [Any] {
                            changed[member] = [probe]
                            check(try await gateway.request(.POST, path, identity: bank, body: JSONSerialization.data(withJSONObject: changed)), "\(path) \(member)[0]")
                        }
                    }
                }
                // An unknown member and a duplicated one.
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let extra = "{\"\(Self.idNumber)\":\"\(Self.longText)\"," + text.dropFirst()
                check(try await gateway.request(.POST, path, identity: bank, body: Data(extra.utf8)), "\(path) extra member")
                let twice = "{\"purpose\":\"\(Self.idNumber)\"," + text.dropFirst()
                check(try await gateway.request(.POST, path, identity: bank, body: Data(twice.utf8)), "\(path) purpose twice")
            }
            for probe in [Self.idNumber, Self.badIDNumber, Self.longASCII] {
                for path in [
                    "/v1/consents/\(probe)", "/v1/batch-reviews/\(probe)", "/v1/batch-reviews/br_0?offset=\(probe)&limit=\(probe)",
                    "/v1/watchlist?after=\(probe)", "/v1/watchlist?limit=\(probe)", "/v1/alerts?since=\(probe)", "/v1/alerts?limit=\(probe)",
                    "/v1/usage?from=\(probe)", "/v1/usage?to=\(probe)", "/v1/usage?from=2026-01-01&to=\(probe)",
                ] {
                    check(try await gateway.request(.GET, path, identity: bank), "GET \(path.prefix(40))")
                }
                check(try await gateway.request(.DELETE, "/v1/consents/\(probe)", identity: bank), "DELETE consent")
                check(try await gateway.request(.DELETE, "/v1/watchlist/\(probe)", identity: bank), "DELETE watchlist")
                check(try await gateway.request(.GET, "/v1/changes?since=\(probe)", identity: gateway.identity(of: TestGateway.jointCredit)), "changes")
                check(try await gateway.request(.GET, "/v1/\(probe)", identity: bank), "unknown route")
                let query = try JSONSerialization.data(withJSONObject: ["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.registration"]])
                check(try await gateway.request(.POST, "/v1/queries", identity: bank, headers: ["Idempotency-Key": probe], body: query), "Idempotency-Key")
                check(try await gateway.request(.GET, "/v1/partner", bearer: probe), "bearer")
                check(try await gateway.request(.GET, "/v1/partner", bearer: "ak_0123456789abcdef.\(probe)"), "bearer secret")
            }
            #expect(checked > 150)
        }
    }
}
