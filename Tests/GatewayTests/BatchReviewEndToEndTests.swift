import BrokerCore
import BrokerStore
import Foundation
import Gateway
import Metering
import PostgresClient
import Testing

/// Batch reviews and usage over real TLS against real PostgreSQL: background processing with
/// set-based fetches, totals, paging, partner scoping, quota reservation and release, one meter
/// event per processed subject, and the partner's own usage.
@Suite(.serialized) struct BatchReviewEndToEndTests {
    static let items = ["enterprise.dishonest_debtor", "enterprise.penalty", "enterprise.abnormal_operation", "person.dishonest_debtor"]

    /// The `i`-th test company.
    static func company(_ i: Int) -> String {
        try! UnifiedSocialCreditCode(type: .enterprise, division: 320102, organisationCode: "MB" + String(1_000_000 + i).suffix(6)).rawValue
    }

    static let person = try! ResidentIDNumber(division: 320102, birthDate: CivilDate(year: 1985, month: 4, day: 12)!, sequence: 231).rawValue

    /// Every 10th company is a dishonest debtor, every 4th has a serious penalty, every 3rd is on the
    /// abnormal-operations list.
    static func feed(companies: Int) -> [String] {
        (0..<companies).flatMap { i -> [String] in
            let subject = company(i)
            var lines: [String] = []
            if i % 10 == 0 {
                lines.append(#"{"type":"record","item":"enterprise.dishonest_debtor","subject":"\#(subject)","source_record_id":"DD-\#(i)","decision_date":"2026-01-15","fields":{"case_no":"(2026)苏01执\#(i)号","court":"南京中院"}}"#)
            }
            if i % 4 == 0 {
                lines.append(#"{"type":"record","item":"enterprise.penalty","subject":"\#(subject)","source_record_id":"PN-\#(i)","decision_date":"2026-09-01","fields":{"decision_no":"宁市监罚〔2026〕\#(i)号","authority":"南京市市场监督管理局","violation":"虚假宣传","penalty_type":"fine","amount":5000,"severity":"serious"}}"#)
            }
            if i % 3 == 0 {
                lines.append(#"{"type":"record","item":"enterprise.abnormal_operation","subject":"\#(subject)","source_record_id":"AO-\#(i)","decision_date":"2026-03-01","fields":{"reason":"annual_report_missing","authority":"南京市市场监督管理局"}}"#)
            }
            return lines
        }
    }

    private func body(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    /// Polls the batch until it is no longer queued or running.
    private func finished(_ location: String, gateway: TestGateway, identity: TestGateway.ClientIdentity) async throws -> TestGateway.Reply {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let reply = try await gateway.request(.GET, location, identity: identity)
            if let status = reply.json["status"] as? String, status != "queued", status != "running" { return reply }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CancellationError()
    }

    /// A subject listed more than once (a USCC again, an ID number again with a lowercase check
    /// letter) is reviewed, reserved and billed once, under the index of its first listing; the 202
    /// answer names the repeats.
    @Test func aSubjectListedTwiceIsReservedAndBilledOnce() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed(companies: 3))
            let bank = try gateway.identity(of: TestGateway.bank)
            let ledger = QuotaLedger(pool: gateway.pool)
            let quotaBefore = try await ledger.usage(partner: TestGateway.bank, at: Date()).today
            let personAgain = Self.person.lowercased()
            let subjects = [Self.company(0), Self.company(1), Self.company(0), Self.person, personAgain, Self.company(0)]
            let submitted = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body([
                "subjects": subjects, "purpose": "batch_review", "items": Self.items,
            ]))
            #expect(submitted.status == 202)
            #expect(submitted.json["total"] as? Int == 3)
            let repeats = submitted.json["repeats"] as? [[String: Int]]
            #expect(repeats == [["index": 2, "same_as": 0], ["index": 4, "same_as": 3], ["index": 5, "same_as": 0]])
            #expect(try await ledger.usage(partner: TestGateway.bank, at: Date()).today - quotaBefore == 3)

            let id = try #require(submitted.json["id"] as? String)
            let report = try await finished("/v1/batch-reviews/\(id)", gateway: gateway, identity: bank)
            #expect(report.json["status"] as? String == "done")
            #expect((report.json["progress"] as? [String: Int]) == ["done": 3, "total": 3])
            let results = try #require(report.json["results"] as? [[String: Any]])
            #expect(results.map { $0["index"] as? Int } == [0, 1, 3])
            let totals = try #require(report.json["totals"] as? [String: [String: Any]])
            #expect(totals["dishonest_mark"]?["subjects"] as? Int == 1)
            let events = try await gateway.pool.query("""
                SELECT count(*) FROM meter_events
                WHERE partner_id = \(TestGateway.bank) AND endpoint = '/v1/batch-reviews/{id}' AND request_id LIKE \(id + "/%")
                """)[0]
            #expect(try events.decode(Int.self, at: 0) == 3)
            #expect(try await ledger.usage(partner: TestGateway.bank, at: Date()).today - quotaBefore == 3)
        }
    }

    @Test func aBatchCompletesWithTotalsMeterEventsAndOwnUsage() async throws {
        try await TestGateway.run { gateway in
            let companies = 300
            try await gateway.ingest(Self.feed(companies: companies))
            let bank = try gateway.identity(of: TestGateway.bank)
            let quotaBefore = try await QuotaLedger(pool: gateway.pool).usage(partner: TestGateway.bank, at: Date()).today

            let subjects = (0..<companies).map(Self.company) + [Self.person]
            let submitted = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body([
                "subjects": subjects, "purpose": "batch_review", "items": Self.items,
            ]))
            #expect(submitted.status == 202)
            let id = try #require(submitted.json["id"] as? String)
            let location = try #require(submitted.headers.first(name: "Location"))
            #expect(location == "/v1/batch-reviews/\(id)")
            #expect(submitted.json["total"] as? Int == companies + 1)
            let withheld = try #require(submitted.json["withheld"] as? [[String: Any]])
            #expect(withheld.map { $0["item"] as? String } == ["person.dishonest_debtor"])
            #expect(withheld.map { $0["reason"] as? String } == ["consent_missing"])
            let quotaAfter = try await QuotaLedger(pool: gateway.pool).usage(partner: TestGateway.bank, at: Date()).today
            #expect(quotaAfter - quotaBefore >= companies + 1)

            let report = try await finished(location, gateway: gateway, identity: bank)
            #expect(report.status == 200)
            #expect(report.json["status"] as? String == "done")
            let progress = try #require(report.json["progress"] as? [String: Any])
            #expect(progress["done"] as? Int == companies + 1)
            #expect(progress["total"] as? Int == companies + 1)
            let totals = try #require(report.json["totals"] as? [String: [String: Any]])
            #expect(totals["dishonest_mark"]?["subjects"] as? Int == 30)
            #expect(totals["penalty_in_force"]?["subjects"] as? Int == 75)
            #expect(totals["abnormal_operations"]?["subjects"] as? Int == 100)
            #expect(totals["major_tax_violation"] == nil, "not asked for, so not measured")
            let share = try #require(totals["dishonest_mark"]?["share"] as? Double)
            #expect(abs(share - 30.0 / Double(companies + 1)) < 1e-9)
            #expect(report.headers.first(name: Receipt.headerName) != nil)

            // The first page, then the rest by next_offset; results in list order.
            let firstPage = try #require(report.json["results"] as? [[String: Any]])
            #expect(firstPage.count == 100)
            #expect(report.json["next_offset"] as? Int == 100)
            let rest = try await gateway.request(.GET, "\(location)?offset=100&limit=1000", identity: bank)
            let results = firstPage + (try #require(rest.json["results"] as? [[String: Any]]))
            #expect(rest.json["next_offset"] == nil || rest.json["next_offset"] is NSNull)
            #expect(results.map { $0["index"] as? Int } == Array(0...companies))
            let twelfth = results[12]
            #expect(twelfth["subject"] as? String == Self.company(12))
            #expect(twelfth["indicators"] as? [String] == ["penalty_in_force", "abnormal_operations"])
            let twelfthItems = try #require(twelfth["disclosed"] as? [[String: Any]])
            #expect(twelfthItems.map { $0["item"] as? String } == ["enterprise.dishonest_debtor", "enterprise.penalty", "enterprise.abnormal_operation"])
            let person = results[companies]
            #expect(person["kind"] as? String == "person")
            #expect(person["subject"] as? String != Self.person)
            #expect((person["subject"] as? String)?.hasPrefix(String(Self.person.prefix(6))) == true)
            #expect((person["disclosed"] as? [Any])?.isEmpty == true)
            #expect(!String(decoding: report.body + rest.body, as: UTF8.self).contains(Self.person))

            // Another partner cannot see the batch.
            let other = try gateway.identity(of: TestGateway.otherBank)
            let stranger = try await gateway.request(.GET, location, identity: other)
            #expect(stranger.status == 404)
            #expect(!String(decoding: stranger.body, as: UTF8.self).contains("dishonest"))

            // One committed meter event per processed subject.
            let events = try await gateway.pool.query("""
                SELECT count(*), count(DISTINCT subject_hash) FROM meter_events
                WHERE partner_id = \(TestGateway.bank) AND endpoint = '/v1/batch-reviews/{id}' AND request_id LIKE \(id + "/%")
                """)[0]
            #expect(try events.decode(Int.self, at: 0) == companies + 1)
            #expect(try events.decode(Int.self, at: 1) == companies + 1)

            // Usage: the bank's own counts by item; the other bank sees none of them.
            let usage = try await gateway.request(.GET, "/v1/usage", identity: bank)
            #expect(usage.status == 200)
            let days = try #require(usage.json["days"] as? [[String: Any]])
            #expect(days.count == 1)
            #expect((days.first?["calls"] as? Int ?? 0) >= companies + 1)
            let penalty = (days.first?["items"] as? [[String: Any]])?.first { $0["item"] as? String == "enterprise.penalty" }
            #expect((penalty?["disclosed"] as? Int ?? 0) >= companies)
            #expect((usage.json["quota_today"] as? [String: Any])?["limit"] as? Int == 200_000)
            #expect(((usage.json["quota_today"] as? [String: Any])?["used"] as? Int ?? 0) >= companies + 1)
            // The other bank's only calls were its refused reads of this batch: no item, no quota.
            let otherUsage = try await gateway.request(.GET, "/v1/usage", identity: other)
            let otherDays = try #require(otherUsage.json["days"] as? [[String: Any]])
            #expect(otherDays.allSatisfy { ($0["items"] as? [Any])?.isEmpty ?? true })
            #expect((otherUsage.json["quota_today"] as? [String: Any])?["used"] as? Int == 0)
            let badRange = try await gateway.request(.GET, "/v1/usage?from=2026-13-01", identity: bank)
            #expect(badRange.status == 400)
            #expect(badRange.json["field"] as? String == "from")
            // from left out is today: a to before it blamed the from never sent.
            let onlyTo = try await gateway.request(.GET, "/v1/usage?to=2020-01-01", identity: bank)
            #expect(onlyTo.status == 400)
            #expect(onlyTo.json["field"] as? String == "to", "\(onlyTo.json)")
        }
    }

    /// The worker reads the broker's clock, as a request does: a batch submitted under an injected
    /// clock has its subjects' meter events stamped with that instant (they were stamped with the
    /// system's time, so a batch submitted just before midnight could be billed on the next day).
    @Test func aBatchIsMeteredAtTheBrokersTime() async throws {
        let instant = Instant.parse("2026-12-03T23:59:30+08:00")!
        try await TestGateway.run(clock: FixedClock(instant)) { gateway in
            try await gateway.ingest(Self.feed(companies: 3))
            let bank = try gateway.identity(of: TestGateway.bank)
            let submitted = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body([
                "subjects": (0..<3).map(Self.company), "purpose": "batch_review", "items": Self.items,
            ]))
            let id = try #require(submitted.json["id"] as? String, "\(String(decoding: submitted.body, as: UTF8.self))")
            #expect(try await finished("/v1/batch-reviews/\(id)", gateway: gateway, identity: bank).json["status"] as? String == "done")
            let stamps = try await gateway.pool.query("""
                SELECT DISTINCT occurred_at FROM meter_events WHERE endpoint = '/v1/batch-reviews/{id}' AND request_id LIKE \(id + "/%")
                """).map { try $0.decode(Date.self, at: 0) }
            #expect(stamps == [instant], "\(stamps)")
        }
    }

    /// A process died after metering subjects 100 and up but before storing their results: once
    /// its lease ends another worker finishes the batch, and every subject stays metered once.
    @Test func aBatchLeftByACrashedProcessIsResumedAndMeteredOnce() async throws {
        try await TestGateway.run { gateway in
            let companies = 250
            try await gateway.ingest(Self.feed(companies: companies))
            let bank = try gateway.identity(of: TestGateway.bank)
            let submitted = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body([
                "subjects": (0..<companies).map(Self.company), "purpose": "batch_review", "items": Self.items,
            ]))
            let location = try #require(submitted.headers.first(name: "Location"))
            let id = try #require(submitted.json["id"] as? String)
            #expect(try await finished(location, gateway: gateway, identity: bank).json["status"] as? String == "done")

            try await gateway.pool.transaction { connection in
                try await connection.query("""
                    UPDATE batch_review_subjects SET result_sealed = NULL, result_key = NULL, indicators = '{}' WHERE batch_id = \(id) AND position >= 100
                    """)
                try await connection.query("""
                    UPDATE batch_reviews SET status = 'running', done = 100, finished_at = NULL, lease_until = now() - interval '1 second'
                    WHERE id = \(id)
                    """)
            }
            let resumed = try await finished(location, gateway: gateway, identity: bank)
            #expect(resumed.json["status"] as? String == "done")
            let totals = try #require(resumed.json["totals"] as? [String: [String: Any]])
            #expect(totals["dishonest_mark"]?["subjects"] as? Int == 25)
            #expect(totals["abnormal_operations"]?["subjects"] as? Int == 84)
            let events = try await gateway.pool.query("""
                SELECT count(*) FROM meter_events WHERE endpoint = '/v1/batch-reviews/{id}' AND request_id LIKE \(id + "/%")
                """)[0].decode(Int.self, at: 0)
            #expect(events == companies)
        }
    }

    @Test func invalidBatchesNameTheFieldAndNeverEchoTheSubject() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            var subjects = (0..<20).map(Self.company)
            subjects[17] = "91350100M000100Y4Z"
            let cases: [([String: Any], String)] = [
                (["subjects": subjects, "purpose": "batch_review", "items": Self.items], "subjects[17]"),
                (["subjects": Array(repeating: Self.company(1), count: 10_001), "purpose": "batch_review", "items": Self.items], "subjects"),
                (["subjects": [String](), "purpose": "batch_review", "items": Self.items], "subjects"),
                (["subjects": [Self.company(1)], "items": Self.items], "purpose"),
                (["subjects": [Self.company(1)], "purpose": "batch_review", "items": ["enterprise.horoscope"]], "items[0]"),
                (["subjects": [Self.company(1)], "purpose": "batch_review", "bundle": "personal"], "bundle"),
                (["subjects": [Self.company(1)], "purpose": "batch_review", "items": Self.items, "consent_id": "c-1"], "consent_id"),
            ]
            for (fields, field) in cases {
                let reply = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body(fields))
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                #expect(!String(decoding: reply.body, as: UTF8.self).contains("M000100Y4"))
            }
            let unknown = try await gateway.request(.GET, "/v1/batch-reviews/br_0123456789abcdef", identity: bank)
            #expect(unknown.status == 404)
            let count = try await gateway.pool.query("SELECT count(*) FROM batch_reviews")[0].decode(Int.self, at: 0)
            #expect(count == 0)
        }
    }

    @Test func aBatchOverTheQuotaIsRefusedWithRetryAfter() async throws {
        try await TestGateway.run { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let ledger = QuotaLedger(pool: gateway.pool)
            let over = try await gateway.request(.POST, "/v1/batch-reviews", bearer: token, body: body([
                "subjects": (0..<5_001).map(Self.company), "purpose": "credit_report", "items": ["enterprise.penalty"],
            ]))
            #expect(over.status == 429)
            #expect(Int(over.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            #expect(over.json["field"] as? String == "subjects")
            #expect(try await ledger.usage(partner: TestGateway.agency, at: Date()).today < 5_000, "nothing reserved")
            let fits = try await gateway.request(.POST, "/v1/batch-reviews", bearer: token, body: body([
                "subjects": (0..<4_990).map(Self.company), "purpose": "credit_report", "items": ["enterprise.penalty"],
            ]))
            #expect(fits.status == 202)
            #expect(try await ledger.usage(partner: TestGateway.agency, at: Date()).today >= 4_990)
        }
    }

    @Test func aBatchThatCannotBeProcessedFailsAndReleasesItsUnits() async throws {
        try await TestGateway.run { gateway in
            let ledger = QuotaLedger(pool: gateway.pool)
            let limits = QuotaLimits(perDay: nil, perMonth: nil)
            guard case .reserved(let reservation) = try await ledger.reserve(partner: TestGateway.bank, units: 3, limits: limits, at: Date()) else {
                Issue.record("no reservation")
                return
            }
            // A batch left by a process whose policies had a masking profile this one lacks.
            let store = BatchReviewStore(pool: gateway.pool, keys: gateway.broker.configuration.sealingKeys)
            let decision = #"{"purpose":"batch_review","disclosed":[],"withheld":[],"masking_profile":"retired","contract_version":{"partnerID":"\#(TestGateway.bank)","label":"old","digest":"00"}}"#
            try await store.create(
                partnerID: TestGateway.bank, id: "br_left_behind", decision: decision,
                subjects: (0..<3).map { BatchReviewSubject(position: $0, subjectKey: Self.company($0), kind: .organisation, label: Self.company($0)) },
                quotaDay: reservation.day, quotaMonth: reservation.month
            )
            // Three attempts, each a poll (200 ms) and a claim apart: seconds, but under a full parallel
            // run on two shared cores it outlasted 20 s.
            let deadline = ContinuousClock.now + .seconds(90)
            var review = try await store.review(partner: TestGateway.bank, id: "br_left_behind")
            while review?.status != .failed, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                review = try await store.review(partner: TestGateway.bank, id: "br_left_behind")
            }
            #expect(review?.status == .failed)
            #expect(review?.failure?.contains("masking profile") == true)
            #expect(try await ledger.usage(partner: TestGateway.bank, at: Date()).today == 0)
        }
    }

    @Test func aWrongTypedMemberIsNamedAndNullsAndExtraMembersAreAccepted() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let valid: [String: Any] = ["subjects": [Self.company(1), Self.company(2)], "purpose": "batch_review", "items": Self.items]
            let cases: [([String: Any], String, String)] = [
                (["subjects": Self.company(1)], "subjects", "subjects must be an array of subject identifiers (strings), not a string."),
                (["subjects": [Self.company(1), 7]], "subjects[1]", "subjects[1] must be a string, not a number."),
                (["purpose": 7], "purpose", "purpose must be a string, not a number."),
                (["items": "enterprise.penalty"], "items", "items must be an array of item ids (strings), not a string."),
                (["consent_id": 7], "consent_id", "Batch reviews take no consent: items that need one are withheld."),
            ]
            for (change, field, detail) in cases {
                let reply = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body(valid.merging(change) { $1 }))
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                #expect(reply.json["detail"] as? String == detail)
                #expect(!String(decoding: reply.body, as: UTF8.self).contains(Self.company(1)))
            }
            let malformed = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: Data(#"{"subjects": ["a",]}"#.utf8))
            #expect(malformed.status == 400 && malformed.json["field"] as? String == "body")
            #expect(malformed.json["detail"] as? String == "The body is not valid JSON at byte 19: expected a value.")
            let lenient = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: body(valid.merging([
                "consent_id": NSNull(), "bundle": NSNull(), "job": ["name": "month-end", "priority": 2],
            ]) { $1 }))
            #expect(lenient.status == 202, "\(String(decoding: lenient.body, as: UTF8.self))")
            #expect(lenient.json["total"] as? Int == 2)
        }
    }
}
