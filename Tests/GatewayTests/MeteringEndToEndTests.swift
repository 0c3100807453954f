import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Metering
import PostgresClient
import TestSupport
import Testing

/// The metering order over real TLS: rate limit, idempotency, quota, then one committed meter event
/// per answered request.
@Suite(.serialized) struct MeteringEndToEndTests {
    static let company = "91350100M000100Y43"

    private func query(_ items: [String] = ["enterprise.registration"]) throws -> Data {
        try JSONSerialization.data(withJSONObject: ["subject": Self.company, "purpose": "credit_approval", "items": items], options: .sortedKeys)
    }

    private func meterEvents(_ gateway: TestGateway, partner: String) async throws -> [(requestID: String, status: Int, disclosed: String)] {
        try await gateway.pool.query("""
            SELECT request_id, http_status, items_disclosed::text FROM meter_events WHERE partner_id = \(partner) ORDER BY id
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(String.self, at: 2)) }
    }

    @Test func everyAnswerHasACommittedMeterEventWithItsItemsAndAKeyedSubjectHash() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            var requestIDs: [String] = []
            for _ in 0..<5 {
                let reply = try await gateway.request(.POST, "/v1/queries", identity: identity, body: query(["enterprise.registration", "person.contact"]))
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "RateLimit-Limit") != nil)
                requestIDs.append(try #require(reply.json["request_id"] as? String))
            }
            let refused = try await gateway.request(.POST, "/v1/queries", identity: identity, body: Data("{}".utf8))
            #expect(refused.status == 400)

            let events = try await meterEvents(gateway, partner: TestGateway.bank)
            #expect(events.map(\.requestID).prefix(5) == requestIDs[...])
            #expect(events.map(\.status) == [200, 200, 200, 200, 200, 400])
            #expect(events.first?.disclosed == #"["enterprise.registration"]"#)
            let rows = try await gateway.pool.query("""
                SELECT subject_hash, items_withheld::text, endpoint FROM meter_events WHERE request_id = \(requestIDs[0])
                """)
            let hash = try rows[0].decode(String.self, at: 0)
            #expect(hash.count == 64 && !hash.contains(Self.company))
            #expect(try rows[0].decode(String.self, at: 1).contains("no_sharing"))
            #expect(try rows[0].decode(String.self, at: 2) == "POST /v1/queries")

            let metrics = try await gateway.metrics()
            // Operations data is not for partners: the partner listener has no /metrics.
            #expect(try await gateway.request(.GET, "/metrics", identity: gateway.identity(of: TestGateway.bank)).status == 404)
            #expect(metrics.contains(#"credit_broker_requests_total{route="POST /v1/queries",status="200"} 5"#))
            #expect(metrics.contains(#"credit_broker_requests_total{route="POST /v1/queries",status="400"} 1"#))
            #expect(metrics.contains(#"credit_broker_item_decisions_total{outcome="disclosed"} 5"#))
            #expect(metrics.contains(#"credit_broker_item_decisions_total{outcome="no_sharing"} 5"#))
            // The last reservation's usage (the refused request's unit was reserved, then given back).
            for period in ["day", "month"] {
                let series = #"credit_broker_quota_used_units{partner="\#(TestGateway.bank)",period="\#(period)"} "#
                let value = metrics.split(separator: "\n").first { $0.hasPrefix(series) }.map { $0.dropFirst(series.count) }
                #expect(value == "5.0" || value == "6.0", "\(series)\(value ?? "absent")")
            }
            #expect(metrics.contains(#"credit_broker_authentications_total{listener="partner",outcome="certificate_accepted"} 6"#))
            #expect(metrics.contains("credit_broker_meter_batch_size_count"))
            #expect(!metrics.contains(Self.company))
        }
    }

    /// A signed answer's receipt and its meter event state one disclosure (`DisclosedAnswer`): the
    /// same items, consent and contract version, whatever the route.
    @Test func aSignedAnswersReceiptAndItsMeterEventStateTheSameDisclosure() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let key = try await gateway.request(.GET, "/v1/receipt-key?suite=ed25519")
            let verifier = try ReceiptVerifier(publicKeyPEM: String(decoding: key.body, as: UTF8.self))
            let term = try #require(try Fixtures.contracts().first { $0.partnerID == TestGateway.bank }?.term)
            let consent = try await gateway.request(.POST, "/v1/consents", identity: bank, body: JSONSerialization.data(withJSONObject: [
                "subject": Self.company, "purposes": ["credit_approval"], "items": ["market.real_estate"], "valid_from": "\(term.from)",
                "valid_to": "\(term.to)", "use_limit": "unlimited", "document_digest": String(repeating: "ab", count: 32),
            ]))
            let consentID = try #require(consent.json["id"] as? String)
            let withConsent = try JSONSerialization.data(withJSONObject: [
                "subject": Self.company, "purpose": "credit_approval", "consent_id": consentID,
                "items": ["enterprise.registration", "person.contact", "market.real_estate"],
            ])
            let signed = [
                try await gateway.request(.POST, "/v1/queries", identity: bank, body: withConsent),
                try await gateway.request(.POST, "/v1/reports", identity: bank, headers: ["Accept": "application/json"], body: query()),
                try await gateway.request(.GET, "/v1/partner", identity: bank),
                try await gateway.request(.GET, "/v1/consents/\(consentID)/receipt", identity: bank),
            ]
            var items = 0
            for reply in signed {
                #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
                let receipt = try verifier.verify(token: try #require(reply.headers.first(name: Receipt.headerName)), body: reply.body)
                let rows = try await gateway.pool.query("""
                    SELECT items_disclosed::text, consent_id, partner_id, contract_label, contract_digest FROM meter_events
                    WHERE request_id = \(receipt.requestID)
                    """)
                try #require(rows.count == 1)
                let disclosed = try JSONDecoder().decode([String].self, from: Data(rows[0].decode(String.self, at: 0).utf8))
                #expect(disclosed == receipt.itemsDisclosed)
                #expect(try rows[0].decode(String?.self, at: 1) == receipt.consentID)
                let version = ContractVersion.describe(
                    partnerID: try rows[0].decode(String.self, at: 2), label: try rows[0].decode(String.self, at: 3), digest: try rows[0].decode(String.self, at: 4)
                )
                #expect(version == receipt.contractVersion)
                items += disclosed.count
            }
            #expect(items >= 2)
            #expect(signed[0].json["consent_id"] as? String == consentID)
        }
    }

    @Test func aRetryWithTheSameIdempotencyKeyGetsTheSameAnswerAndIsMeteredOnce() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let key = ["Idempotency-Key": "loan-2026-0001"]
            let body = try query()
            let first = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: body)
            let retry = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: body)
            #expect(first.status == 200)
            #expect(retry.status == 200)
            #expect(retry.body == first.body)
            #expect(retry.headers.first(name: "Broker-Receipt") == first.headers.first(name: "Broker-Receipt"))
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await meterEvents(gateway, partner: TestGateway.bank).count == 1)

            let reused = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: query(["enterprise.penalty"]))
            #expect(reused.status == 422)
            #expect(reused.json["field"] as? String == "Idempotency-Key")

            // Another bank's identical key is its own.
            let other = try await gateway.request(.POST, "/v1/queries", identity: gateway.identity(of: TestGateway.otherBank), headers: key, body: query())
            #expect(other.status == 200)
            #expect(other.body != first.body)
        }
    }

    /// A key covers the whole request, its query string included; and a `GET`, which changes nothing
    /// and is simply asked again, takes none: a key there replayed the first answer to a later page
    /// or another format (the statement's CSV answered with the JSON kept first).
    @Test func aKeyCoversTheQueryStringAndAGetTakesNone() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let key = ["Idempotency-Key": "page-0001"]
            for path in ["/v1/partner", "/v1/partner", "/v1/usage/export?from=2026-01-01&to=2026-01-31&format=csv"] {
                let reply = try await gateway.request(.GET, path, identity: identity, headers: key)
                #expect(reply.status == 400, "\(path)")
                #expect(reply.json["field"] as? String == "Idempotency-Key", "\(path)")
                #expect(reply.headers.first(name: "Idempotent-Replayed") == nil)
                #expect(String(decoding: reply.body, as: UTF8.self).contains("page-0001") == false)
            }
            let body = try query()
            let first = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: body)
            let otherQuery = try await gateway.request(.POST, "/v1/queries?page=2", identity: identity, headers: key, body: body)
            let retry = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: body)
            #expect(first.status == 200)
            #expect(otherQuery.status == 422)
            #expect(otherQuery.json["field"] as? String == "Idempotency-Key")
            #expect(retry.status == 200 && retry.body == first.body)
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
        }
    }

    /// Only a success is kept under a key: a 400 for a typo kept the corrected request out as a 422
    /// for a day (and a 429 for a quota used up was replayed, stale, after the quota came back). And a
    /// key covers the form asked for: a retry with another `Accept` got the first form.
    @Test func onlyASuccessIsKeptAndAKeyCoversTheFormAskedFor() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let key = ["Idempotency-Key": "loan-2026-0002"]
            let typo = try JSONSerialization.data(withJSONObject: ["subject": Self.company, "purpose": "credit_aproval", "items": ["enterprise.registration"]])
            let refused = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: typo)
            #expect(refused.status == 400)
            let again = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: typo)
            #expect(again.status == 400 && again.headers.first(name: "Idempotent-Replayed") == nil, "a refusal is answered afresh")
            let corrected = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: query())
            #expect(corrected.status == 200)
            let replay = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: key, body: query())
            #expect(replay.status == 200 && replay.body == corrected.body && replay.headers.first(name: "Idempotent-Replayed") == "true")

            let json = ["Idempotency-Key": "loan-2026-0003", "Accept": "application/json"]
            let first = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: json, body: query())
            #expect(first.status == 200)
            var html = json
            html["Accept"] = "text/html"
            let otherForm = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: html, body: query())
            #expect(otherForm.status == 422)
            #expect(otherForm.json["field"] as? String == "Idempotency-Key")
            let sameForm = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: json, body: query())
            #expect(sameForm.status == 200 && sameForm.body == first.body)
        }
    }

    /// A partner may put anything in an `Idempotency-Key`, an ID number included: the broker keeps
    /// only a keyed hash of it (64 hex digits), and retries still find their first answer.
    @Test func anIdempotencyKeyIsStoredOnlyAsAKeyedHash() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let number = "11010519491231002X"
            let body = try query()
            let first = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: ["Idempotency-Key": number], body: body)
            let retry = try await gateway.request(.POST, "/v1/queries", identity: identity, headers: ["Idempotency-Key": number], body: body)
            #expect(first.status == 200 && retry.body == first.body)
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            let rows = try await gateway.pool.query("SELECT key, response_headers::text, encode(response_body, 'escape') FROM idempotency_keys")
            #expect(rows.count == 1)
            let stored = try #require(try rows.first?.decode(String.self, at: 0))
            #expect(stored.wholeMatch(of: /[0-9a-f]{64}/) != nil)
            #expect(stored == TestGateway.hasher.idempotencyKeyHash(number))
            for column in 0..<3 {
                #expect(try rows[0].decode(String.self, at: column).contains("1231002") == false, "column \(column)")
            }
        }
    }

    /// Leases off: the counter is set by hand below, and a lease taken by the first query would
    /// rightly serve its units before the 429 (`aLeaseServesTheNextQueriesAndGoesBackWhenIdle`).
    @Test func anAgencyOverItsDailyQuotaGets429WithRetryAfterAndNoData() async throws {
        try await TestGateway.run(configuring: { configuration, _ in configuration.quotaLeaseUnits = 0 }) { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let perDay = try #require(gateway.directory.contract(for: TestGateway.agency)?.quotas.perDay)
            let ok = try await gateway.request(.POST, "/v1/queries", bearer: token, body: query())
            #expect(ok.status == 200)
            // Use the rest of today's quota (China time), as other calls would have.
            try await gateway.pool.query("""
                UPDATE quota_counters SET used = \(perDay) WHERE partner_id = \(TestGateway.agency) AND period_kind = 'day'
                """)
            let over = try await gateway.request(.POST, "/v1/queries", bearer: token, body: query())
            #expect(over.status == 429)
            #expect(over.json["type"] as? String == "https://credit-broker.example/problems/quota-exhausted")
            #expect(over.json["disclosed"] == nil)
            let retryAfter = try #require(over.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 86_400)
            // The route ran while the unit was being reserved (the last reservation had found units
            // left); its answer was dropped and the 429 is metered without what the route noted
            // (purpose, subject, items), as when the quota refuses before the route runs.
            func noted() async throws -> [Bool] {
                try await gateway.pool.query("""
                    SELECT purpose IS NOT NULL OR subject_hash IS NOT NULL OR items_withheld <> '[]' OR items_disclosed <> '[]'
                    FROM meter_events WHERE partner_id = \(TestGateway.agency) ORDER BY id
                    """).map { try $0.decode(Bool.self, at: 0) }
            }
            #expect(try await meterEvents(gateway, partner: TestGateway.agency).map(\.status) == [200, 429])
            #expect(try await noted() == [true, false])
            // Once refused, the partner's next request waits for its reservation first: refused the same way.
            let again = try await gateway.request(.POST, "/v1/queries", bearer: token, body: query())
            #expect(again.status == 429)
            #expect(try await noted() == [true, false, false])

            // A failed request gives its unit back: the counter stays at the limit, not over it.
            let used = try await gateway.pool.query("""
                SELECT used FROM quota_counters WHERE partner_id = \(TestGateway.agency) AND period_kind = 'day'
                """)[0].decode(Int.self, at: 0)
            #expect(used == perDay)
        }
    }

    @Test func aRequestThatFailsAfterReservingGivesItsUnitBack() async throws {
        try await TestGateway.run { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            _ = try await gateway.request(.POST, "/v1/queries", bearer: token, body: query())
            let bad = try await gateway.request(.POST, "/v1/queries", bearer: token, body: Data("{".utf8))
            #expect(bad.status == 400)
            #expect(try await QuotaLedger(pool: gateway.pool).spentUsage(partner: TestGateway.agency, at: Date()) == QuotaUsage(today: 1, thisMonth: 1))
            // Both units were counted in flight for the gateway process and both are settled: one
            // spent by the first answer's meter event, one given back for the refused one (whose
            // 400 event spends nothing). The rest of what the first reservation took is the
            // process's lease, which goes back once it has not been drawn on for a second.
            func counts() async throws -> [String] {
                try await gateway.pool.query("""
                    SELECT side, sum(units)::bigint FROM quota_inflight WHERE partner_id = \(TestGateway.agency) GROUP BY side ORDER BY side
                    """).map { "\(try $0.decode(String.self, at: 0)) \(try $0.decode(Int.self, at: 1))" }
            }
            func used() async throws -> [Int] {
                try await gateway.pool.query("""
                    SELECT period_kind, used FROM quota_counters WHERE partner_id = \(TestGateway.agency) ORDER BY period_kind
                    """).map { try $0.decode(Int.self, at: 1) }
            }
            #expect(try await eventually(within: .seconds(20), every: .milliseconds(100)) { try await used() == [1, 1] })
            let settled = try await counts()
            #expect(settled.count == 2 && settled[0] == settled[1].replacingOccurrences(of: "taken", with: "settled"), "\(settled)")
        }
    }

    /// A lease whose reservation the database lost (a crash before its asynchronous commit was
    /// flushed; here its count removed by hand, which the meter sees the same way): the first query
    /// drawing on it is withheld (503, its meter event refused), the rest of the lease is dropped,
    /// and the next query reserves afresh and is answered.
    @Test func aLeaseTheDatabaseLostIsDroppedAtItsFirstRefusedEvent() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            #expect(try await gateway.request(.POST, "/v1/queries", identity: identity, body: query()).status == 200)
            try await gateway.pool.query("DELETE FROM quota_inflight WHERE partner_id = \(TestGateway.bank)")
            try await gateway.pool.query("UPDATE quota_counters SET used = 1 WHERE partner_id = \(TestGateway.bank)")
            #expect(try await gateway.request(.POST, "/v1/queries", identity: identity, body: query()).status == 503)
            #expect(try await gateway.request(.POST, "/v1/queries", identity: identity, body: query()).status == 200)
            let spent = try await QuotaLedger(pool: gateway.pool).spentUsage(partner: TestGateway.bank, at: Date())
            #expect(spent == QuotaUsage(today: 2, thisMonth: 2))
            #expect(try await meterEvents(gateway, partner: TestGateway.bank).map(\.status) == [200, 200])
        }
    }

    /// A bank's queries after its first draw on the lease that first reservation took (one
    /// reservation, not one per query); the bank is shown only what its answers spent; once the
    /// lease is idle for a second its units go back, and the counters equal the billable events.
    @Test func aLeaseServesTheNextQueriesAndGoesBackWhenIdle() async throws {
        try await TestGateway.run { gateway in
            let ledger = QuotaLedger(pool: gateway.pool)
            let identity = try gateway.identity(of: TestGateway.bank)
            for _ in 0..<5 {
                #expect(try await gateway.request(.POST, "/v1/queries", identity: identity, body: query()).status == 200)
            }
            let reservations = try await gateway.pool.query("""
                SELECT coalesce(sum(reservations), 0)::bigint FROM quota_inflight WHERE partner_id = \(TestGateway.bank) AND side = 'taken'
                """)[0].decode(Int.self, at: 0)
            #expect(reservations == 1, "four queries drew on the first one's lease")
            #expect(try await ledger.spentUsage(partner: TestGateway.bank, at: Date()) == QuotaUsage(today: 5, thisMonth: 5))
            let usage = try await gateway.request(.GET, "/v1/usage", identity: identity)
            #expect((usage.json["quota_today"] as? [String: Any])?["used"] as? Int == 5, "the partner is shown what it spent, not the lease")
            #expect(try await eventually(within: .seconds(20), every: .milliseconds(100)) {
                try await ledger.usage(partner: TestGateway.bank, at: Date()) == QuotaUsage(today: 5, thisMonth: 5)
            }, "the lease's units went back")
            let billable = try await gateway.pool.query("""
                SELECT count(*) FROM meter_events WHERE partner_id = \(TestGateway.bank) AND endpoint = 'POST /v1/queries' AND http_status < 400
                """)[0].decode(Int.self, at: 0)
            #expect(billable == 5)
        }
    }

    /// The operations listener's `/metrics` shows the units a running gateway holds leased ahead for
    /// a partner, and 0 once they went back idle. (A lease goes back a second after it was last drawn
    /// on, so a query and the scrape just after it are tried again until the scrape saw the lease.)
    @Test func theOperationsListenerShowsTheUnitsLeasedAheadUntilTheyGoBack() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let series = #"credit_broker_quota_leased_units{partner="\#(TestGateway.bank)"} "#
            func leased() async throws -> Double? {
                try await gateway.metrics().split(separator: "\n").first { $0.hasPrefix(series) }.flatMap { Double($0.dropFirst(series.count)) }
            }
            let seen = try await eventually(within: .seconds(20), every: .milliseconds(10)) {
                #expect(try await gateway.request(.POST, "/v1/queries", identity: identity, body: query()).status == 200)
                return try await leased().map { $0 > 0 } ?? false
            }
            #expect(seen, "a scrape just after a query shows the rest of its lease")
            #expect(try await eventually(within: .seconds(20), every: .milliseconds(100)) { try await leased() == 0 }, "given back idle: 0")
        }
    }

    @Test func overTheRateLimitARequestIsRefusedWith429AndRateLimitHeadersAndStillMetered() async throws {
        try await TestGateway.run { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let limit = try #require(gateway.directory.contract(for: TestGateway.agency)?.rateLimit)
            let first = try await gateway.request(.GET, "/v1/partner", bearer: token)
            #expect(first.status == 200)
            #expect(first.headers.first(name: "RateLimit-Limit") == String(limit.burst))
            #expect(first.headers.first(name: "RateLimit-Remaining") == String(limit.burst - 1))
            // Empty the agency's bucket as of a minute from now, so no refill happens during the call.
            let later = ContinuousClock.now + .seconds(60)
            for _ in 0..<limit.burst {
                _ = gateway.partners.metering.limiter.check(partner: TestGateway.agency, perSecond: limit.perSecond, burst: limit.burst, now: later)
            }
            let refused = try await gateway.request(.GET, "/v1/partner", bearer: token)
            #expect(refused.status == 429)
            #expect(refused.json["type"] as? String == "https://credit-broker.example/problems/rate-limited")
            #expect(refused.headers.first(name: "Retry-After").flatMap(Int.init) ?? 0 >= 1)
            #expect(refused.headers.first(name: "RateLimit-Remaining") == "0")
            #expect(try await meterEvents(gateway, partner: TestGateway.agency).map(\.status) == [200, 429])
        }
    }
}
