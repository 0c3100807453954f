import Billing
import BrokerCore
import BrokerStore
import Crypto
import Formats
import Foundation
import Gateway
import PostgresClient
import TestSupport
import Testing

/// From meter to invoice over real TLS and PostgreSQL, on an injected clock: an agency queries
/// across a plan change (approved through the admin API) and a month end, on two gateway
/// processes; its quota alerts arrive once each; the month is closed through the admin API; its
/// statement agrees with its own `/v1/usage` call for call and with a recount of what it was
/// answered; the usage export's manifest verifies; a correction is an adjustment line in the next
/// month's statement.
@Suite struct BillingEndToEndTests {
    static let agency = TestGateway.agency
    static let company = "91350100M000100Y43"
    static let problems = "https://credit-broker.example/problems/"

    static func at(_ text: String) -> Date { Instant.parse(text)! }

    static func query(_ items: [String]) -> Data {
        Data(#"{"subject":"\#(company)","purpose":"credit_report","items":[\#(items.map { "\"\($0)\"" }.joined(separator: ","))]}"#.utf8)
    }

    /// The agency's contract with the new plan from noon of 30 December: a daily quota of 10, its
    /// first two calls of a month free, 0.20 a call, 0.15 from the month's 8th call, 0.05 per penalty
    /// disclosed; a term into 2027.
    static func planChange() throws -> Data {
        var text = try String(contentsOf: Repository.root.appending(path: "Contracts/agency.nj_anxin.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "version: 2026-11-01.1", with: "version: 2026-12-30.1")
            .replacingOccurrences(of: "term: { from: 2026-01-01, to: 2026-12-31 }", with: "term: { from: 2026-01-01, to: 2027-12-31 }")
            .replacingOccurrences(of: "quotas: { per_day: 5000, per_month: 100000 }", with: "quotas: { per_day: 10, per_month: 1000 }")
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("prices:")
                ? "prices: { per_call: 0.2, free_calls: 2, tiers: [{ from: 8, per_call: 0.15 }], items: { enterprise.penalty: 0.05 } }"
                : String(line)
        }.joined(separator: "\n")
        return Data(text.utf8)
    }

    /// What the agency was answered, as its own log would say.
    struct Answer {
        let status: Int
        let version: String?
        let disclosed: [String]
        let replayed: Bool
    }

    @Test func anAgencysMonthFromItsCallsToItsStatementAcrossAPlanChangeAndAMonthEnd() async throws {
        let clock = FixedClock(Self.at("2026-12-30T10:00:00+08:00"))
        try await TestGateway.run(clock: clock) { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: Self.agency, expiresAt: nil)
            var december: [Answer] = []
            func call(_ body: Data, port: Int? = nil, key: String? = nil) async throws -> Answer {
                let reply = try await gateway.request(
                    .POST, "/v1/queries", bearer: token, headers: key.map { ["Idempotency-Key": $0] } ?? [:], body: body, port: port
                )
                return Answer(
                    status: reply.status, version: reply.json["contract_version"] as? String,
                    disclosed: (reply.json["disclosed"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String },
                    replayed: reply.headers.first(name: "Idempotent-Replayed") == "true"
                )
            }

            // Under the shipped plan (0.10 a call): two answers with data, one that withheld all, one
            // refused, one answered and replayed.
            december.append(try await call(Self.query(["enterprise.registration"])))
            december.append(try await call(Self.query(["enterprise.registration", "enterprise.penalty"])))
            december.append(try await call(Self.query(["market.tax_paid"])))
            december.append(try await call(Data(#"{"subject":"91350100M000100Y43","purpose":"credit_report"}"#.utf8)))
            december.append(try await call(Self.query(["enterprise.penalty"]), key: "once-1"))
            let replay = try await call(Self.query(["enterprise.penalty"]), key: "once-1")
            #expect(replay.replayed && replay.status == 200)
            #expect(december.map(\.status) == [200, 200, 200, 400, 200])
            #expect(december[2].disclosed.isEmpty)

            // The plan changes at noon (proposed by one administrator, approved by another).
            let proposed = try await gateway.admin(.POST, "/admin/v1/proposals?effective_from=2026-12-30T12:00:00%2B08:00", as: .system, body: try Self.planChange())
            #expect(proposed.status == 201, "\(String(decoding: proposed.body, as: UTF8.self))")
            let changes = proposed.json["changes"] as? [[String: Any]] ?? []
            #expect(changes.contains { $0["what"] as? String == "prices" }, "\(changes)")
            let id = try #require(proposed.json["id"] as? Int)
            let approved = try await gateway.admin(.POST, "/admin/v1/proposals/\(id)/approve", as: .security, body: Data(#"{"reason":"new plan"}"#.utf8))
            #expect(approved.status == 200)

            // After noon, two gateway processes answer by turns until the day's quota of 10 is used
            // (4 units went before noon); the alerts at 80 % and 100 % are raised once each.
            clock.set(Self.at("2026-12-30T12:00:01+08:00"))
            try await gateway.secondProcess { second in
                for turn in 0..<8 {
                    december.append(try await call(Self.query(["enterprise.registration", "enterprise.penalty"]), port: turn % 2 == 0 ? nil : second))
                }
            }
            #expect(december.suffix(8).map(\.status) == [200, 200, 200, 200, 200, 200, 429, 429])
            #expect(december.suffix(8).prefix(6).allSatisfy { $0.version?.hasPrefix("\(Self.agency)@2026-12-30.1#") == true })
            let alerts = try await gateway.request(.GET, "/v1/alerts", bearer: token)
            let quota = (alerts.json["alerts"] as? [[String: Any]] ?? []).filter { $0["change"] as? String == "quota_threshold" }
            #expect(quota.count == 2, "\(quota)")
            #expect(quota.map { "\($0["period"] ?? "") \($0["period_start"] ?? "") \($0["threshold"] ?? "") \($0["limit"] ?? "")" }.sorted()
                == ["day 2026-12-30 100 10", "day 2026-12-30 80 10"])
            #expect(quota.allSatisfy { $0["subject"] == nil && $0["subject_ref"] == nil })
            let adminAlerts = try await gateway.admin(.GET, "/admin/v1/quota-alerts?partner=\(Self.agency)", as: .audit)
            #expect((adminAlerts.json["alerts"] as? [Any])?.count == 2)

            // Past midnight: January's call is no part of December; the month cannot close before its grace.
            clock.set(Self.at("2027-01-01T00:00:30+08:00"))
            let january = try await call(Self.query(["enterprise.registration"]))
            #expect(january.status == 200)
            clock.set(Self.at("2027-01-01T00:05:00+08:00"))
            let early = try await gateway.admin(.POST, "/admin/v1/billing/months", as: .system, body: Data(#"{"month":"2026-12"}"#.utf8))
            #expect(early.status == 409 && early.json["type"] as? String == Self.problems + "month-not-over" && early.json["field"] as? String == "month")
            #expect(try await gateway.admin(.POST, "/admin/v1/billing/months", as: .audit, body: Data(#"{"month":"2026-12"}"#.utf8)).status == 403)
            clock.set(Self.at("2027-01-01T01:00:00+08:00"))
            let closed = try await gateway.admin(.POST, "/admin/v1/billing/months", as: .system, body: Data(#"{"month":"2026-12"}"#.utf8))
            #expect(closed.status == 201, "\(String(decoding: closed.body, as: UTF8.self))")

            // The statement, recounted from what the agency was answered: its calls numbered through
            // the month, each priced by the plan it was answered under.
            let reply = try await gateway.request(.GET, "/v1/statements/2026-12", bearer: token)
            #expect(reply.status == 200)
            let statement = try Statement(document: reply.body)
            #expect(reply.headers.first(name: "ETag") == "\"\(Statement.sha256(of: reply.body))\"")
            var expected: Int64 = 0
            var number = 0
            for answer in december where answer.status == 200 && !answer.disclosed.isEmpty {
                number += 1
                if answer.version?.contains("@2026-11-01.1#") == true {
                    expected += 10
                } else {
                    expected += number <= 2 ? 0 : number >= 8 ? 15 : 20
                    expected += Int64(answer.disclosed.filter { $0 == "enterprise.penalty" }.count * 5)
                }
            }
            #expect(statement.total.fen == expected && statement.total == Money(yuan: "1.70"), "\(String(decoding: reply.body, as: UTF8.self))")
            #expect(statement.plans.count == 2)
            #expect(statement.lines.filter { $0.kind == .calls }.map { "\($0.contractVersion!.split(separator: "#")[0]) \($0.band!) \($0.quantity) \($0.amount)" } == [
                "agency.nj_anxin@2026-11-01.1 1- 3 0.30",
                "agency.nj_anxin@2026-12-30.1 3-7 4 0.80",
                "agency.nj_anxin@2026-12-30.1 8- 2 0.30",
            ])
            #expect(statement.calls.billed == number && number == 9)
            #expect(statement.notBilled.contains { $0.route == "POST /v1/queries" && $0.reason == .withheldOnly && $0.calls == 1 })
            #expect(statement.notBilled.contains { $0.route == "POST /v1/queries" && $0.reason == .failed && $0.calls == 3 })

            // Call for call, item for item, what the agency's own /v1/usage counts for December.
            let usage = try await gateway.request(.GET, "/v1/usage?from=2026-12-01&to=2026-12-31", bearer: token)
            let days = usage.json["days"] as? [[String: Any]] ?? []
            #expect(days.reduce(0) { $0 + ($1["calls"] as? Int ?? 0) } == statement.calls.metered)
            let disclosed = days.flatMap { $0["items"] as? [[String: Any]] ?? [] }.reduce(0) { $0 + ($1["disclosed"] as? Int ?? 0) }
            #expect(disclosed == statement.lines.filter { $0.kind == .items }.reduce(0) { $0 + $1.quantity })
            #expect(statement.events.count == statement.calls.metered)

            // The export of the month: its manifest verifies it, and it bills what the statement bills.
            for format in ["csv", "ndjson"] {
                let path = "/v1/usage/export?from=2026-12-01&to=2026-12-31&format=\(format)"
                let export = try await gateway.request(.GET, path, bearer: token)
                #expect(export.status == 200)
                let manifest = try await gateway.request(.GET, path.replacingOccurrences(of: "/export?", with: "/export/manifest?"), bearer: token)
                #expect(manifest.json["sha256"] as? String == SHA256.hash(data: export.body).lowercaseHex)
                #expect(manifest.json["bytes"] as? Int == export.body.count)
                #expect(manifest.json["count"] as? Int == statement.events.count)
                #expect((manifest.json["sums"] as? [String: Any])?["billed"] as? Int == statement.calls.billed)
                #expect(export.headers.first(name: "Repr-Digest") == "sha-256=:\(Data(SHA256.hash(data: export.body)).base64EncodedString()):")
                let text = String(decoding: export.body, as: UTF8.self)
                #expect(!text.contains(Self.company), "no subject's identifier in an export")
                if format == "csv" {
                    let table = try CSVTable(parsing: text)
                    #expect(table.rows.count == statement.events.count)
                    #expect(table.rows.filter { $0[table.header.firstIndex(of: "billed")!] == "true" }.count == statement.calls.billed)
                }
            }
            let refused = try await gateway.request(.GET, "/v1/usage/export?from=2026-12-31&to=2026-12-01", bearer: token)
            #expect(refused.status == 400 && refused.json["field"] as? String == "from")
            // Found by schemathesis: a day PostgreSQL's timestamps cannot hold was a 500.
            for path in ["/v1/usage/export?from=0001-01-01&to=0001-01-01", "/v1/usage/export/manifest?from=0001-01-01&to=0001-01-01"] {
                let ancient = try await gateway.request(.GET, path, bearer: token)
                #expect(ancient.status == 400 && ancient.json["field"] as? String == "from", "\(path)")
            }

            // The statement is the agency's alone, immutable, and its CSV says the same.
            let (_, other) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.otherAgency, expiresAt: nil)
            let theirs = try await gateway.request(.GET, "/v1/statements", bearer: other)
            #expect((theirs.json["statements"] as? [[String: Any]] ?? []).allSatisfy { $0["partner"] as? String == TestGateway.otherAgency })
            let again = try await gateway.admin(.POST, "/admin/v1/billing/months", as: .system, body: Data(#"{"month":"2026-12"}"#.utf8))
            #expect(again.status == 200 && again.json["already_closed"] as? Bool == true)
            #expect(try await gateway.request(.GET, "/v1/statements/2026-12", bearer: token).body == reply.body)
            let csv = try CSVTable(parsing: String(decoding: try await gateway.request(.GET, "/v1/statements/2026-12?format=csv", bearer: token).body, as: UTF8.self))
            #expect(csv.rows.last?[csv.header.firstIndex(of: "amount")!] == "1.70")
            #expect(try await gateway.request(.GET, "/v1/statements/2027-01", bearer: token).status == 404)
            #expect(try await gateway.request(.GET, "/v1/statements/2026-13", bearer: token).json["field"] as? String == "month")
            // Found by schemathesis: a month of year 0 was a 500 (PostgreSQL has no year 0).
            let yearZero = try await gateway.request(.GET, "/v1/statements/0000-01?format=csv", bearer: token)
            #expect(yearZero.status == 400 && yearZero.json["field"] as? String == "month")
            for path in ["/admin/v1/billing/statements?month=0000-01", "/admin/v1/billing/months/0000-01/verification", "/admin/v1/billing/statements/\(Self.agency)/0000-01"] {
                #expect(try await gateway.admin(.GET, path, as: .audit).status == 400, "\(path)")
            }
            let verified = try await gateway.admin(.GET, "/admin/v1/billing/months/2026-12/verification", as: .audit)
            #expect(verified.json["intact"] as? Bool == true)
            // A partner the ledger never named is 404, as on every admin route (it was an empty export, 200).
            for path in ["usage-export", "usage-export/manifest"] {
                let unknown = try await gateway.admin(.GET, "/admin/v1/billing/\(path)?partner=bank.nonexist_x&from=2026-12-01&to=2026-12-31", as: .audit)
                #expect(unknown.status == 404 && unknown.json["type"] as? String == "https://credit-broker.example/problems/unknown-partner", "\(path)")
                let known = try await gateway.admin(.GET, "/admin/v1/billing/\(path)?partner=\(Self.agency)&from=2026-12-01&to=2026-12-31", as: .audit)
                #expect(known.status == 200, "\(path)")
            }

            // A correction of December: proposed, approved by another administrator, carried by January's statement.
            let adjustment = try await gateway.admin(.POST, "/admin/v1/billing/adjustments", as: .system, body: Data(
                #"{"partner":"\#(Self.agency)","corrects":"2026-12","amount":"-0.30","reason":"three calls of a test by the agency's vendor"}"#.utf8
            ))
            #expect(adjustment.status == 201, "\(String(decoding: adjustment.body, as: UTF8.self))")
            let number2 = try #require(adjustment.json["id"] as? Int)
            #expect(try await gateway.admin(.POST, "/admin/v1/billing/adjustments/\(number2)/approve", as: .system).status == 403)
            #expect(try await gateway.admin(.POST, "/admin/v1/billing/adjustments/\(number2)/approve", as: .security, body: Data(#"{"reason":"agreed"}"#.utf8)).status == 200)
            let bad = try await gateway.admin(.POST, "/admin/v1/billing/adjustments", as: .system, body: Data(
                #"{"partner":"\#(Self.agency)","corrects":"2026-12","amount":"-0.305","reason":"x"}"#.utf8
            ))
            #expect(bad.status == 400 && bad.json["field"] as? String == "amount" && !(bad.json["detail"] as? String ?? "").contains("0.305"))
            // 300 thumbs with a skin tone: 300 characters as Swift counts them (grapheme clusters), 600 as
            // PostgreSQL does (code points), whose CHECK allows 500: it was a 500 answer, now a 400 on `reason`.
            let long = try await gateway.admin(.POST, "/admin/v1/billing/adjustments", as: .system, body: Data(
                #"{"partner":"\#(Self.agency)","corrects":"2026-12","amount":"-0.10","reason":"\#(String(repeating: "👍🏽", count: 300))"}"#.utf8
            ))
            #expect(long.status == 400 && long.json["field"] as? String == "reason", "\(long.status) \(String(decoding: long.body, as: UTF8.self))")
            clock.set(Self.at("2027-02-01T01:00:00+08:00"))
            #expect(try await gateway.admin(.POST, "/admin/v1/billing/months", as: .system, body: Data(#"{"month":"2027-01"}"#.utf8)).status == 201)
            let next = try Statement(document: try await gateway.request(.GET, "/v1/statements/2027-01", bearer: token).body)
            #expect(next.previousStatement == Statement.sha256(of: reply.body))
            let line = try #require(next.lines.first { $0.kind == .adjustment })
            #expect(line.amount == Money(yuan: "-0.30", signed: true) && line.corrects == CivilMonth("2026-12"))
            #expect(line.approvedBy?.contains("Security Administrator") == true && line.reason == "three calls of a test by the agency's vendor")
            // January's one call is free: the month's calls count from 1 again, and the first two are free.
            #expect(next.lines.first { $0.kind == .calls }?.band == "1-2" && next.total == Money(yuan: "-0.30", signed: true))
            let audit = try await gateway.admin(.GET, "/admin/v1/audit?limit=500", as: .audit)
            let details = (audit.json["records"] as? [[String: Any]] ?? []).compactMap { $0["detail"] as? String }
            #expect(details.contains { $0.hasPrefix("closed billing 2026-12") } && details.contains { $0.hasPrefix("approved adjustment") })
        }
    }
}
