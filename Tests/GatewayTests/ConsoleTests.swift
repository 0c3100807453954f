import BrokerCore
import BrokerStore
import Formats
import Foundation
@testable import Gateway
import PostgresClient
import Testing

/// The admin console over real TLS and PostgreSQL, with each role's certificate: the server
/// enforces the role table on pages and forms, every form needs its token, page views are audited
/// like API reads and static files are not, and the pages read what the admin API answers.
/// (`Tests/Console/browser.sh` drives the same pages in headless Chromium.)
@Suite struct ConsoleTests {
    static let agency = TestGateway.agency

    static func text(_ reply: TestGateway.Reply) -> String { String(decoding: reply.body, as: UTF8.self) }

    /// The value of the hidden `csrf` field of the form that posts to `action` in `page`.
    static func token(for action: String, in page: String) -> String? {
        guard let form = page.range(of: #"action="\#(action)""#) else { return nil }
        let rest = page[form.upperBound...]
        guard let field = rest.range(of: #"name="csrf" value=""#) else { return nil }
        return String(rest[field.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [(String, String)]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Data(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
    }

    static let formType = ["Content-Type": "application/x-www-form-urlencoded"]

    static func proposeRegistrationNone(_ gateway: TestGateway) async throws -> Int {
        try await LiveContractsEndToEndTests.propose(gateway, try LiveContractsEndToEndTests.agencyDocument(label: "2026-12-05.1", registration: "none"))
    }

    @Test func eachPageIsServedToTheRolesOfItsEndpointAndRefusedToOthersNamingThem() async throws {
        try await TestGateway.run { gateway in
            let pages: [(String, AdminEndpoint)] = [
                ("/console/partners", .listPartners), ("/console/proposals", .listProposals), ("/console/proposals/new", .propose),
                ("/console/usage", .usage), ("/console/audit", .audit), ("/console/partners/\(Self.agency)/keys", .listKeys),
            ]
            for role in AdminRole.allCases {
                for (path, endpoint) in pages {
                    let reply = try await gateway.admin(.GET, path, as: role)
                    let allowed = endpoint.roles.contains(role)
                    #expect(reply.status == (allowed ? 200 : 403), "\(role) \(path): \(reply.status)")
                    #expect(reply.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
                    let policy = try #require(reply.headers.first(name: "Content-Security-Policy"))
                    #expect(policy.contains("default-src 'none'") && policy.contains("form-action 'self'") && !policy.contains("unsafe"))
                    if !allowed {
                        // In Chinese by default, naming the roles that may.
                        let names = endpoint.roles.map { ConsoleStrings.word("role." + $0.rawValue, .zh) }
                        #expect(names.allSatisfy(Self.text(reply).contains), "\(role) \(path)")
                    }
                }
            }
            // The navigation offers only what the role may open.
            let system = Self.text(try await gateway.admin(.GET, "/console/partners", as: .system))
            #expect(system.contains(#"href="/console/proposals/new""#) && !system.contains(#"href="/console/audit""#))
            let audit = Self.text(try await gateway.admin(.GET, "/console/partners", as: .audit))
            #expect(audit.contains(#"href="/console/audit""#) && !audit.contains(#"href="/console/proposals/new""#))
            // Each role lands on its own page.
            for (role, home) in [(AdminRole.system, "/console/partners"), (.security, "/console/proposals"), (.audit, "/console/audit")] {
                let reply = try await gateway.admin(.GET, "/console", as: role)
                #expect(reply.status == 303 && reply.headers.first(name: "Location") == home)
            }
        }
    }

    @Test func aSecurityOfficerApprovesWithTheFormsTokenAndTheNextQueryFollows() async throws {
        try await TestGateway.run { gateway in
            let (_, key) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: Self.agency, expiresAt: nil)
            let id = try await Self.proposeRegistrationNone(gateway)
            let path = "/console/proposals/\(id)/approve"

            // The system officer's page shows the change but no approve form, and says who decides.
            let systemPage = Self.text(try await gateway.admin(.GET, "/console/proposals/\(id)", as: .system))
            #expect(systemPage.contains("item enterprise.registration"))
            #expect(Self.token(for: path, in: systemPage) == nil)
            #expect(systemPage.contains(ConsoleStrings.word("role.security", .zh)))

            let securityPage = Self.text(try await gateway.admin(.GET, "/console/proposals/\(id)", as: .security))
            let token = try #require(Self.token(for: path, in: securityPage))
            // An absent value is left out, never printed as Swift's `nil`.
            #expect(!securityPage.contains("nil") && !systemPage.contains("nil"))
            #expect(securityPage.contains("enterprise.registration"))

            // Forced by the system officer, even with the security officer's token: refused by role.
            let forced = try await gateway.admin(.POST, path, as: .system, headers: Self.formType, body: Self.form([("csrf", token), ("reason", "x")]))
            #expect(forced.status == 403)
            #expect(Self.text(forced).contains(ConsoleStrings.word("role.security", .zh)))
            // No token, another form's token, another site: refused.
            let none = try await gateway.admin(.POST, path, as: .security, headers: Self.formType, body: Self.form([("reason", "x")]))
            #expect(none.status == 403)
            let rejectToken = try #require(Self.token(for: "/console/proposals/\(id)/reject", in: securityPage))
            let other = try await gateway.admin(.POST, path, as: .security, headers: Self.formType, body: Self.form([("csrf", rejectToken)]))
            #expect(other.status == 403)
            let crossSite = try await gateway.admin(
                .POST, path, as: .security, headers: Self.formType.merging(["Sec-Fetch-Site": "cross-site"]) { $1 }, body: Self.form([("csrf", token)])
            )
            #expect(crossSite.status == 403)
            let still = try await gateway.request(.POST, "/v1/queries", bearer: key, body: LiveContractsEndToEndTests.query(["enterprise.registration"]))
            #expect((still.json["withheld"] as? [Any])?.isEmpty == true)

            let approved = try await gateway.admin(.POST, path, as: .security, headers: Self.formType, body: Self.form([("csrf", token), ("reason", "read the what-if")]))
            #expect(approved.status == 303, "\(Self.text(approved))")
            #expect(approved.headers.first(name: "Location") == "/console/proposals/\(id)?done=approved")
            #expect(approved.headers.first(name: "Contract-Served-By") == "1/1")
            let after = try await gateway.request(.POST, "/v1/queries", bearer: key, body: LiveContractsEndToEndTests.query(["enterprise.registration"]))
            #expect((after.json["withheld"] as? [[String: Any]])?.first?["reason"] as? String == "no_sharing", "\(after.json)")

            // The audit officer's trail holds the proposal, the refusals and the approval.
            let rows = try await AdminAuditLog(pool: gateway.pool).records(since: 0, limit: 1000)
            #expect(rows.contains { $0.entry.path == path && $0.entry.status == 403 && $0.entry.role == "system" && $0.entry.detail == "role-not-allowed" })
            #expect(rows.filter { $0.entry.path == path && $0.entry.detail == "csrf-token-invalid" }.count == 2)
            #expect(rows.contains { $0.entry.path == path && $0.entry.detail == "cross-site-post" })
            #expect(rows.contains { $0.entry.path == path && $0.entry.status == 303 && $0.entry.detail.hasPrefix("approved \(id)") })
            let trail = Self.text(try await gateway.admin(.GET, "/console/audit?action=approved", as: .audit))
            #expect(trail.contains(path) && trail.contains(ConsoleStrings.word("chainIntact", .zh)))
            #expect(!trail.contains("/admin/v1/proposals\""))
        }
    }

    @Test func aKeyIssuedInTheConsoleIsShownOnceWorksAndIsRevoked() async throws {
        try await TestGateway.run { gateway in
            let path = "/console/partners/\(Self.agency)/keys"
            let page = Self.text(try await gateway.admin(.GET, path, as: .security))
            let token = try #require(Self.token(for: path, in: page))
            let issued = try await gateway.admin(.POST, path, as: .security, headers: Self.formType, body: Self.form([("csrf", token), ("expires", "")]))
            #expect(issued.status == 201)
            #expect(issued.headers.first(name: "Cache-Control") == "no-store")
            let html = Self.text(issued)
            let start = try #require(html.range(of: #"id="token" type="text" readonly value=""#))
            let secret = String(html[start.upperBound...].prefix { $0 != "\"" })
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: secret).status == 200)
            let keyID = String(secret.split(separator: ".")[0])
            let listed = Self.text(try await gateway.admin(.GET, path, as: .security))
            #expect(listed.contains(keyID) && !listed.contains(secret))
            let revokePath = "/console/keys/\(keyID)/revoke"
            let revokeToken = try #require(Self.token(for: revokePath, in: listed))
            let revoked = try await gateway.admin(.POST, revokePath, as: .security, headers: Self.formType, body: Self.form([("csrf", revokeToken)]))
            #expect(revoked.status == 303 && revoked.headers.first(name: "Location") == "\(path)?done=revoked")
            #expect(try await gateway.request(.GET, "/v1/partner", bearer: secret).status == 401)
            // A bank has no keys; the system officer has no key pages.
            #expect(try await gateway.admin(.GET, "/console/partners/\(TestGateway.bank)/keys", as: .security).status == 422)
            #expect(try await gateway.admin(.POST, path, as: .system, headers: Self.formType, body: Self.form([("csrf", token)])).status == 403)
            let rows = try await AdminAuditLog(pool: gateway.pool).records(since: 0, limit: 1000)
            #expect(rows.contains { $0.entry.detail.hasPrefix("issued \(keyID)") } && rows.contains { $0.entry.detail == "revoked \(keyID)" })
            #expect(!rows.contains { $0.entry.detail.contains(secret) || $0.entry.path.contains(secret) })
        }
    }

    @Test func pageViewsAreAuditedLikeAPIReadsAndStaticFilesAreNot() async throws {
        try await TestGateway.run { gateway in
            let log = AdminAuditLog(pool: gateway.pool)
            let before = try await log.records(since: 0, limit: 1000).count
            for _ in 0..<3 {
                let css = try await gateway.admin(.GET, "/console/static/console.css", as: .audit)
                #expect(css.status == 200 && css.headers.first(name: "Content-Type") == "text/css; charset=utf-8")
            }
            #expect(try await log.records(since: 0, limit: 1000).count == before)
            #expect(try await gateway.admin(.GET, "/console/static/other.css", as: .audit).status == 404)
            #expect(try await gateway.admin(.GET, "/console/partners", as: .audit).status == 200)
            let rows = try await log.records(since: 0, limit: 1000)
            #expect(rows.count == before + 1)
            #expect(rows.last?.entry.path == "/console/partners" && rows.last?.entry.detail.hasPrefix("listed ") == true)
            // A query the console does not take is refused and recorded, without its value.
            let odd = try await gateway.admin(.GET, "/console/partners?secret=x", as: .audit)
            #expect(odd.status == 400)
            #expect(try await log.records(since: 0, limit: 1000).last?.entry.detail == "invalid-request")
        }
    }

    @Test func theProposalFormShowsTheDocumentsProblemsOnTheFieldAndProposesFromAFile() async throws {
        try await TestGateway.run { gateway in
            let page = Self.text(try await gateway.admin(.GET, "/console/proposals/new", as: .system))
            let token = try #require(Self.token(for: "/console/proposals", in: page))
            func multipart(_ parts: [(String, String, String?)]) -> Data {
                var body = ""
                for (name, value, file) in parts {
                    body += "--XyZ\r\nContent-Disposition: form-data; name=\"\(name)\"" + (file.map { "; filename=\"\($0)\"" } ?? "") + "\r\n\r\n\(value)\r\n"
                }
                return Data((body + "--XyZ--\r\n").utf8)
            }
            let type = ["Content-Type": "multipart/form-data; boundary=XyZ"]
            let broken = String(decoding: try LiveContractsEndToEndTests.agencyDocument(label: "b.1", registration: "{ class: sometimes }"), as: UTF8.self)
            let refused = try await gateway.admin(
                .POST, "/console/proposals", as: .system, headers: type,
                body: multipart([("csrf", token, nil), ("document", broken, nil), ("file", "", ""), ("effective_from", "", nil), ("reason", "r", nil)])
            )
            #expect(refused.status == 422)
            let html = Self.text(refused)
            let errors = try #require(html.range(of: #"id="document-errors""#))
            #expect(html[errors.upperBound...].prefix(2000).contains("line 14:"), "\(html)")
            #expect(html.contains(#"aria-invalid="true""#))
            #expect(html.contains("{ class: sometimes }"))
            let badInstant = try await gateway.admin(
                .POST, "/console/proposals", as: .system, headers: type,
                body: multipart([("csrf", token, nil), ("document", broken, nil), ("effective_from", "tomorrow", nil)])
            )
            #expect(badInstant.status == 400)
            #expect(Self.text(badInstant).contains(#"id="effective-errors""#))

            let good = String(decoding: try LiveContractsEndToEndTests.agencyDocument(label: "2026-12-05.1", registration: "none"), as: UTF8.self)
            let made = try await gateway.admin(
                .POST, "/console/proposals", as: .system, headers: type,
                body: multipart([("csrf", token, nil), ("document", "", nil), ("file", good, "agency.yaml"), ("reason", "from a file", nil)])
            )
            #expect(made.status == 303, "\(Self.text(made))")
            let location = try #require(made.headers.first(name: "Location"))
            let listed = try await gateway.admin(.GET, "/admin/v1/proposals?status=proposed", as: .audit)
            let proposal = try #require((listed.json["proposals"] as? [[String: Any]])?.first)
            #expect(location == "/console/proposals/\(proposal["id"] as? Int ?? 0)?done=proposed")
            #expect(proposal["reason"] as? String == "from a file")
            let rows = try await AdminAuditLog(pool: gateway.pool).records(since: 0, limit: 1000)
            #expect(rows.contains { $0.entry.path == "/console/proposals" && $0.entry.status == 422 && $0.entry.detail == "invalid-contract" })
        }
    }

    @Test func thePageIsChineseByDefaultEnglishByAcceptLanguageOrTheSwitch() async throws {
        try await TestGateway.run { gateway in
            let chinese = Self.text(try await gateway.admin(.GET, "/console/partners", as: .system))
            #expect(chinese.contains(#"<html lang="zh-CN">"#) && chinese.contains("合作方"))
            let english = try await gateway.admin(.GET, "/console/partners", as: .system, headers: ["Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"])
            #expect(Self.text(english).contains(#"<html lang="en">"#) && Self.text(english).contains("Partners"))
            let switched = try await gateway.admin(.GET, "/console/partners?lang=en", as: .system)
            #expect(Self.text(switched).contains(#"<html lang="en">"#))
            let cookie = try #require(switched.headers.first(name: "Set-Cookie"))
            #expect(cookie.contains("console_lang=en") && cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let remembered = try await gateway.admin(.GET, "/console/partners", as: .system, headers: ["Cookie": "console_lang=en"])
            #expect(Self.text(remembered).contains(#"<html lang="en">"#))
        }
    }

    @Test func theUsagePageAndItsCSVCountWhatTheAPIReports() async throws {
        try await TestGateway.run { gateway in
            let (_, key) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: Self.agency, expiresAt: nil)
            for items in [["enterprise.registration"], ["enterprise.registration", "market.tax_paid"], ["market.tax_paid"]] {
                _ = try await gateway.request(.POST, "/v1/queries", bearer: key, body: LiveContractsEndToEndTests.query(items))
            }
            let api = try await gateway.admin(.GET, "/admin/v1/usage?partner=\(Self.agency)", as: .audit)
            let days = try #require(api.json["days"] as? [[String: Any]])
            let items = days.flatMap { $0["items"] as? [[String: Any]] ?? [] }
            let disclosed = items.reduce(0) { $0 + ($1["disclosed"] as? Int ?? 0) }
            let withheld = items.reduce(0) { $0 + ($1["withheld"] as? Int ?? 0) }
            #expect(days.reduce(0) { $0 + ($1["calls"] as? Int ?? 0) } == 3)
            #expect(disclosed == 2 && withheld == 2, "\(api.json)")
            #expect((api.json["latency"] as? [[String: Any]])?.count == 1)
            #expect((api.json["withheld"] as? [[String: Any]])?.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 2)
            #expect((api.json["quota_today"] as? [String: Any])?["used"] as? Int == 3)

            let page = Self.text(try await gateway.admin(.GET, "/console/usage?partner=\(Self.agency)", as: .audit))
            #expect(page.contains("<svg class=\"chart\"") && page.contains("role=\"img\""))
            #expect(!page.contains("nil"))
            let csv = try await gateway.admin(.GET, "/console/usage.csv?partner=\(Self.agency)&table=calls", as: .system)
            #expect(csv.headers.first(name: "Content-Type") == "text/csv; charset=utf-8")
            let lines = Self.text(csv).split(separator: "\r\n")
            #expect(lines.count == 2, "\(lines)")
            #expect(lines.last?.hasSuffix(",3,\(disclosed),\(withheld)") == true, "\(lines)")
            let reasons = Self.text(try await gateway.admin(.GET, "/console/usage.csv?partner=\(Self.agency)&table=reasons", as: .audit))
            let reason = try #require((api.json["withheld"] as? [[String: Any]])?.first?["reason"] as? String)
            #expect(reasons.contains("\n\(reason),2,100.0%"), "\(reasons)")
            // The security officer has no usage, on the page or the API.
            #expect(try await gateway.admin(.GET, "/console/usage.csv?partner=\(Self.agency)&table=calls", as: .security).status == 403)
        }
    }

    @Test func theAuditAPIFiltersAsTheTrailPageDoesAndVerifiesTheChain() async throws {
        try await TestGateway.run { gateway in
            let id = try await Self.proposeRegistrationNone(gateway)
            #expect(try await LiveContractsEndToEndTests.approve(gateway, id).status == 200)
            _ = try await gateway.admin(.GET, "/admin/v1/audit", as: .system)
            let approved = try await gateway.admin(.GET, "/admin/v1/audit?action=approved&verify=true", as: .audit)
            let records = try #require(approved.json["records"] as? [[String: Any]])
            #expect(records.count == 1 && (records.first?["detail"] as? String)?.hasPrefix("approved \(id)") == true)
            let chain = try #require(approved.json["chain"] as? [String: Any])
            #expect(chain["intact"] as? Bool == true)
            let subject = "CN=System Administrator,OU=admin-system,O=CreditBroker,C=CN"
            let bySystem = try await gateway.admin(
                .GET, "/admin/v1/audit?actor=\(subject.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", as: .audit
            )
            let systemRows = try #require(bySystem.json["records"] as? [[String: Any]])
            #expect(systemRows.count == 2, "\(bySystem.json)")
            #expect(systemRows.allSatisfy { ($0["role"] as? String) == "system" })
            let newest = try await gateway.admin(.GET, "/admin/v1/audit?before=1000&limit=2", as: .audit)
            let seqs = (newest.json["records"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } ?? []
            #expect(seqs.count == 2 && seqs[0] > seqs[1])
            // The partners list carries the quota use the console shows.
            let partners = try await gateway.admin(.GET, "/admin/v1/partners", as: .audit)
            let first = (partners.json["partners"] as? [[String: Any]])?.first
            #expect((first?["quota_use"] as? [String: Any])?["per_day"] as? Int == 0)
        }
    }

    /// Every word a template asks for (`{{t.key}}`) is in both languages, and every template parses.
    /// The charts' own markup escapes every markup character, also one carrying a combining mark
    /// (one `Character` with it, which a Character-wise escaper passed through unescaped).
    @Test func theChartsEscapeEveryMarkupCharacterCombiningMarksIncluded() {
        #expect(ConsoleHTML.escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;")
        #expect(ConsoleHTML.escape("\"\u{301} onmouseover='x'\u{301}") == "&quot;\u{301} onmouseover=&#39;x&#39;\u{301}")
        #expect(ConsoleHTML.escape("<\u{301}script>&\u{301}") == "&lt;\u{301}script&gt;&amp;\u{301}")
        #expect(ConsoleHTML.escape("工商银行 e\u{301}") == "工商银行 e\u{301}")
    }

    @Test func everyTemplatesWordsExistAndEveryTemplateParses() throws {
        for (name, bytes) in ConsoleRenderer.templates {
            let text = String(decoding: bytes, as: UTF8.self)
            let keys = text.matches(of: /\{\{t\.([A-Za-z]+)\}\}/).map { String($0.output.1) }
            for key in keys { #expect(ConsoleStrings.table[key] != nil, "\(name): t.\(key)") }
        }
        #expect(ConsoleRenderer.library.getTemplate(named: "usage") != nil)
        #expect(ConsoleLanguage.negotiate(query: nil, cookie: nil, acceptLanguage: "fr, en;q=0.8, zh;q=0.9") == .zh)
        #expect(ConsoleLanguage.negotiate(query: nil, cookie: nil, acceptLanguage: "en-US") == .en)
        #expect(ConsoleLanguage.negotiate(query: nil, cookie: nil, acceptLanguage: nil) == .zh)
        #expect(CSV.text(header: ["=SUM(A1)", "a,b", "-3"], rows: [], guardingFormulas: true, terminator: "\r\n") == "'=SUM(A1),\"a,b\",-3\r\n")
        let csrf = ConsoleCSRF()
        let now = Date()
        let token = csrf.token(fingerprint: "ab", action: "/console/x", now: now)
        #expect(csrf.isValid(token, fingerprint: "ab", action: "/console/x", now: now))
        #expect(!csrf.isValid(token, fingerprint: "ac", action: "/console/x", now: now))
        #expect(!csrf.isValid(token, fingerprint: "ab", action: "/console/y", now: now))
        #expect(!csrf.isValid(token, fingerprint: "ab", action: "/console/x", now: now.addingTimeInterval(ConsoleCSRF.lifetime + 1)))
        #expect(!ConsoleCSRF().isValid(token, fingerprint: "ab", action: "/console/x", now: now))
    }
}
