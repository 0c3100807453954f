import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation
import Gateway
import NIOHTTP1
import PostgresClient
import TestSupport
import Testing

/// Subjects' rights through the province's credit portal (issue 16), over real TLS and a real
/// PostgreSQL: who queried me, disputes with their marks, alerts and deadlines, and consents the
/// subject withdraws.
@Suite(.serialized) struct SubjectRightsEndToEndTests {
    static let company = FeedLines.company(41)
    static let otherCompany = FeedLines.company(42)
    static let person = FeedLines.person
    static let digest = String(repeating: "5e", count: 32)

    // MARK: Helpers

    func json(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    func text(_ reply: TestGateway.Reply) -> String { String(decoding: reply.body, as: UTF8.self) }

    /// One call of the portal for `subject` (with `extra` body members).
    func portal(_ gateway: TestGateway, _ path: String, subject: String, _ extra: [String: Any] = [:]) async throws -> TestGateway.Reply {
        try await gateway.request(
            .POST, "/v1/portal/" + path, identity: gateway.identity(of: TestGateway.portal),
            body: json(extra.merging(["subject": subject]) { _, subject in subject })
        )
    }

    func query(
        _ gateway: TestGateway, _ partner: String, subject: String, items: [String], consentID: String? = nil, purpose: String = "credit_approval"
    ) async throws -> TestGateway.Reply {
        var fields: [String: Any] = ["subject": subject, "purpose": purpose, "items": items]
        if let consentID { fields["consent_id"] = consentID }
        let reply = try await gateway.request(.POST, "/v1/queries", identity: gateway.identity(of: partner), body: json(fields))
        #expect(reply.status == 200, "\(text(reply))")
        return reply
    }

    func register(
        _ gateway: TestGateway, _ partner: String, subject: String, items: [String] = [], categories: [String] = [],
        purposes: [String] = ["credit_approval"], validTo: String = "2026-12-31", bearer: String? = nil
    ) async throws -> String {
        let body = try json([
            "subject": subject, "purposes": purposes, "items": items, "categories": categories, "valid_from": "2026-01-01",
            "valid_to": validTo, "use_limit": "unlimited", "document_digest": Self.digest,
        ])
        let reply = try await gateway.request(
            .POST, "/v1/consents", identity: bearer == nil ? gateway.identity(of: partner) : nil, bearer: bearer, body: body
        )
        #expect(reply.status == 201, "\(text(reply))")
        return reply.json["id"] as? String ?? ""
    }

    func disclosures(_ reply: TestGateway.Reply) -> [[String: Any]] {
        reply.json["disclosures"] as? [[String: Any]] ?? []
    }

    /// The records of `item` in a query answer.
    func records(_ reply: TestGateway.Reply, _ item: String) -> [[String: Any]] {
        let disclosed = reply.json["disclosed"] as? [[String: Any]] ?? []
        return disclosed.first { $0["item"] as? String == item }?["records"] as? [[String: Any]] ?? []
    }

    func alerts(_ gateway: TestGateway, _ partner: String, bearer: String? = nil) async throws -> [[String: Any]] {
        let reply = try await gateway.request(.GET, "/v1/alerts", identity: bearer == nil ? gateway.identity(of: partner) : nil, bearer: bearer)
        #expect(reply.status == 200, "\(text(reply))")
        return reply.json["alerts"] as? [[String: Any]] ?? []
    }

    /// Every text column of every table in the database holding `needle`, as `table`.
    func tablesHolding(_ needle: String, pool: PostgresPool) async throws -> [String] {
        var found: [String] = []
        let tables = try await pool.query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").map { try $0.decode(String.self, at: 0) }
        for table in tables {
            // A table name from the catalog, not input.
            let rows = try await pool.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) t WHERE t::text LIKE $1", bindings: ["%" + needle + "%"]))
            if try rows[0].decode(Int.self, at: 0) > 0 { found.append(table) }
        }
        // A bytea column's text is hex, in which the needle's text never shows: search its bytes.
        let binary = try await pool.query("""
            SELECT table_name::text, column_name::text FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type = 'bytea' ORDER BY 1, 2
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        for (table, column) in binary {
            let rows = try await pool.query(PostgresQuery(
                unsafeSQL: "SELECT count(*) FROM \(table) WHERE position($1::bytea IN \(column)) > 0", bindings: [Array(needle.utf8)]
            ))
            if try rows[0].decode(Int.self, at: 0) > 0 { found.append("\(table).\(column)") }
        }
        return found
    }

    // MARK: Who queried me

    /// Three banks query a person and an enterprise (and other subjects); the portal's "who
    /// queried me" lists exactly those answers about the subject, newest first, with their
    /// purposes and items, its own earlier call included, nothing about anyone else; the clear ID
    /// number is nowhere in the database or the log.
    @Test func whoQueriedMeListsExactlyTheSubjectsDisclosuresNewestFirst() async throws {
        let log = RecordedLog()
        try await TestGateway.run(logger: log.logger) { gateway in
            try await gateway.ingest([
                FeedLines.registration(Self.company, id: "REG-41"), FeedLines.penalty(Self.company, id: "PEN-41"),
                FeedLines.registration(Self.otherCompany, id: "REG-42"), FeedLines.personDebtor(id: "DD-41"),
            ])
            let banks = [TestGateway.bank, TestGateway.otherBank, TestGateway.thirdBank]
            let companyItems = ["enterprise.registration", "enterprise.penalty", "market.tax_paid"]
            let personConsent = try await register(gateway, TestGateway.otherBank, subject: Self.person, items: ["person.dishonest_debtor"])
            var aboutCompany: [(id: String, partner: String, purpose: String, disclosed: [String], withheld: [String])] = []
            var aboutPerson: [(id: String, partner: String, consent: String?, disclosed: [String])] = []
            for bank in banks {
                let reply = try await query(gateway, bank, subject: Self.company, items: companyItems)
                aboutCompany.append((try #require(reply.json["request_id"] as? String), bank, "credit_approval",
                                     ["enterprise.registration", "enterprise.penalty"], ["market.tax_paid"]))
                _ = try await query(gateway, bank, subject: Self.otherCompany, items: ["enterprise.registration"])
                let consent = bank == TestGateway.otherBank ? personConsent : nil
                let personal = try await query(gateway, bank, subject: Self.person, items: ["person.dishonest_debtor"], consentID: consent)
                aboutPerson.append((try #require(personal.json["request_id"] as? String), bank, consent,
                                    consent == nil ? [] : ["person.dishonest_debtor"]))
            }
            // A score and a batch review (metered per subject) are answers about the company too.
            let score = try await gateway.request(
                .POST, "/v1/scores", identity: gateway.identity(of: TestGateway.thirdBank),
                body: json(["subject": Self.company, "purpose": "credit_approval"])
            )
            #expect(score.status == 200, "\(text(score))")
            let scoreID = try #require(score.json["request_id"] as? String)
            let batch = try await gateway.request(
                .POST, "/v1/batch-reviews", identity: gateway.identity(of: TestGateway.bank),
                body: json(["purpose": "batch_review", "items": ["enterprise.penalty"], "subjects": [Self.otherCompany, Self.company]])
            )
            #expect(batch.status == 202, "\(text(batch))")
            let batchID = try #require(batch.json["id"] as? String)
            for _ in 0..<300 {
                let rows = try await gateway.pool.query("SELECT count(*) FROM meter_events WHERE request_id LIKE \(batchID + "/%")")
                if try rows[0].decode(Int.self, at: 0) == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            // The joint-credit company's change feed delivers the company's two records in one page:
            // its meter event names no subject, so the page counts them per subject and day.
            let changes = try await gateway.request(.GET, "/v1/changes", identity: gateway.identity(of: TestGateway.jointCredit))
            #expect(changes.status == 200, "\(text(changes))")

            let first = try await portal(gateway, "disclosures", subject: Self.company)
            #expect(first.status == 200, "\(text(first))")
            let streams = first.json["stream_deliveries"] as? [[String: Any]] ?? []
            #expect(streams.count == 1, "\(text(first))")
            #expect(streams.first?["partner"] as? String == TestGateway.jointCredit && streams.first?["stream"] as? String == "changes")
            #expect(streams.first?["deliveries"] as? Int == 2 && streams.first?["day"] as? String == CivilDate.today().description)
            #expect(streams.first?["items"] as? [String] == ["enterprise.penalty", "enterprise.registration"])
            #expect(first.headers.first(name: "Broker-Receipt") != nil)
            let listed = disclosures(first)
            var expected = aboutCompany.map(\.id)
            expected.append(scoreID)
            expected.append(batchID + "/1")
            #expect(listed.map { $0["request_id"] as? String } == expected.reversed().map { Optional($0) }, "\(text(first))")
            for entry in listed where (entry["endpoint"] as? String) == "POST /v1/queries" {
                let known = try #require(aboutCompany.first { $0.id == entry["request_id"] as? String })
                #expect(entry["partner"] as? String == known.partner)
                #expect(entry["purpose"] as? String == "credit_approval")
                #expect(entry["purpose_title"] as? String == "授信审批 / credit approval")
                #expect(entry["items_disclosed"] as? [String] == known.disclosed)
                #expect((entry["items_withheld"] as? [[String: Any]])?.map { $0["item"] as? String } == known.withheld.map { Optional($0) })
                #expect((entry["contract_version"] as? String)?.hasPrefix(known.partner + "@") == true)
            }
            let icbc = try #require(listed.first { $0["partner"] as? String == TestGateway.bank && $0["endpoint"] as? String == "POST /v1/queries" })
            #expect(icbc["partner_name"] as? String == "中国工商银行股份有限公司江苏省分行")
            #expect(listed.first?["endpoint"] as? String == "/v1/batch-reviews/{id}")
            #expect(listed.dropFirst().first?["endpoint"] as? String == "POST /v1/scores")
            #expect(first.json["subject"] as? String == Self.company)

            // The portal's own call is metered about the subject: it leads the next answer.
            let second = try await portal(gateway, "disclosures", subject: Self.company)
            let again = disclosures(second)
            #expect(again.first?["request_id"] as? String == first.json["request_id"] as? String)
            #expect(again.first?["partner"] as? String == TestGateway.portal)
            #expect(again.first?["purpose"] as? String == "subject_rights")
            #expect(Array(again.dropFirst()).map { $0["request_id"] as? String } == listed.map { $0["request_id"] as? String })

            // Paged, two at a time, the pages join into the same list (after the second call, which
            // the first page lists first; the paging calls are newer than the pages they read).
            var paged: [String?] = []
            var cursor: String?
            repeat {
                var extra: [String: Any] = ["limit": 2]
                if let cursor { extra["cursor"] = cursor }
                let page = try await portal(gateway, "disclosures", subject: Self.company, extra)
                #expect(page.status == 200, "\(text(page))")
                paged += disclosures(page).map { $0["request_id"] as? String }
                cursor = page.json["next_cursor"] as? String
                #expect((page.json["has_more"] as? Bool) == (cursor != nil))
            } while cursor != nil
            #expect(Array(paged.dropFirst()) == again.map { $0["request_id"] as? String }, "\(paged)")

            // The person: the three banks' queries only, the consent the second bank used, nothing else.
            let personal = try await portal(gateway, "disclosures", subject: Self.person.lowercased())
            #expect(personal.status == 200, "\(text(personal))")
            #expect(disclosures(personal).map { $0["request_id"] as? String } == aboutPerson.reversed().map { Optional($0.id) })
            for (entry, known) in zip(disclosures(personal), aboutPerson.reversed()) {
                #expect(entry["partner"] as? String == known.partner)
                #expect(entry["consent_id"] as? String == known.consent)
                #expect(entry["items_disclosed"] as? [String] == known.disclosed)
            }
            #expect(personal.json["subject"] as? String == "110105********002X")
            #expect(!text(personal).contains(Self.company) && !text(personal).contains(Self.otherCompany))

            // The other company's list holds its own queries, never the company's.
            let other = disclosures(try await portal(gateway, "disclosures", subject: Self.otherCompany))
            #expect(other.count == 4, "\(other)")  // three banks' queries and its batch review
            #expect(Set(other.compactMap { $0["request_id"] as? String }).isDisjoint(with: expected))

            // A period with nothing in it, and a bad cursor named by its field.
            let empty = try await portal(gateway, "disclosures", subject: Self.company, ["from": "2020-01-01", "to": "2020-12-31"])
            #expect(disclosures(empty).isEmpty && empty.status == 200)
            let bad = try await portal(gateway, "disclosures", subject: Self.company, ["cursor": "nonsense"])
            #expect(bad.status == 400 && bad.json["field"] as? String == "cursor")

            // The clear ID number is in no table and no log line; the meter ledger knows the
            // person by its keyed hash only.
            #expect(try await tablesHolding(Self.person, pool: gateway.pool) == [])
            let lines = log.records(atLeast: .trace).map(\.description)
            #expect(!lines.contains { $0.contains(Self.person) || $0.contains(Self.person.lowercased()) })
        }
    }

    // MARK: Disputes

    /// A dispute filed through the portal marks the record in the very next answer to any bank,
    /// raises an alert for each watching bank and no other, appears in the source's dispute feed;
    /// it is answered each of the three ways, and the answers change accordingly.
    @Test func aDisputeMarksTheRecordAtOnceAndIsAnsweredEachOfThreeWays() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([
                FeedLines.registration(Self.company, id: "REG-41"), FeedLines.penalty(Self.company, id: "PEN-41"),
                FeedLines.penalty(Self.company, id: "PEN-43", severity: "serious"), FeedLines.penalty(Self.company, id: "PEN-44"),
                FeedLines.registration(Self.otherCompany, id: "REG-42"),
            ])
            for (bank, subject) in [(TestGateway.bank, Self.company), (TestGateway.otherBank, Self.company), (TestGateway.thirdBank, Self.otherCompany)] {
                let watch = try await gateway.request(
                    .POST, "/v1/watchlist", identity: gateway.identity(of: bank),
                    body: json(["purpose": "post_loan_monitoring", "subjects": [subject]])
                )
                #expect(watch.status == 200, "\(text(watch))")
            }
            let own = try await portal(gateway, "records", subject: Self.company)
            #expect(own.status == 200, "\(text(own))")
            let keys = (own.json["records"] as? [[String: Any]] ?? []).compactMap { $0["source_record_id"] as? String }
            #expect(Set(keys) == ["REG-41", "PEN-41", "PEN-43", "PEN-44"], "\(text(own))")

            func file(_ id: String, statement: String? = nil, keep: Bool = false) async throws -> [String: Any] {
                var body: [String: Any] = [
                    "record": ["source": "jiangsu_public_credit", "source_record_id": id], "reason": "处罚决定已撤销 / the decision was quashed",
                ]
                if let statement { body["statement"] = statement; body["keep_statement"] = keep }
                let reply = try await portal(gateway, "disputes", subject: Self.company, body)
                #expect(reply.status == 201, "\(text(reply))")
                return reply.json
            }
            let corrected = try await file("PEN-41")
            let disputeID = try #require(corrected["id"] as? String)
            let today = CivilDate.today()
            #expect(corrected["state"] as? String == "open")
            #expect(corrected["filed_on"] as? String == today.description)
            #expect(corrected["deadline"] as? String == today.adding(days: 20).description)
            #expect(corrected["overdue"] as? Bool == false)

            // The very next answer to any bank marks the record.
            let marked = try await query(gateway, TestGateway.thirdBank, subject: Self.company, items: ["enterprise.penalty"])
            let record = try #require(records(marked, "enterprise.penalty").first { ($0["decision_no"] as? String) == "罚-PEN-41" })
            #expect(record["disputed"] as? Bool == true)
            let mark = try #require(record["dispute"] as? [String: Any], "\(text(marked))")
            #expect(mark["id"] as? String == disputeID)
            #expect(mark["filed"] as? String == today.description)
            #expect(mark["deadline"] as? String == today.adding(days: 20).description)
            let unmarked = records(marked, "enterprise.penalty").filter { $0["decision_no"] as? String != "罚-PEN-41" }
            #expect(unmarked.count == 2 && unmarked.allSatisfy { $0["dispute"] == nil && $0["disputed"] == nil })

            // Each watching bank gets an alert, the bank watching another subject none.
            for bank in [TestGateway.bank, TestGateway.otherBank] {
                let got = try await alerts(gateway, bank)
                #expect(got.map { "\($0["item"] as? String ?? "") \($0["change"] as? String ?? "")" } == ["enterprise.penalty disputed"], "\(bank): \(got)")
            }
            #expect(try await alerts(gateway, TestGateway.thirdBank).isEmpty)

            // A second dispute on the same record is refused while the first is open.
            let twice = try await portal(gateway, "disputes", subject: Self.company, [
                "record": ["source": "jiangsu_public_credit", "source_record_id": "PEN-41"], "reason": "again",
            ])
            #expect(twice.status == 409 && twice.json["type"] as? String == Problem.typeBase + "dispute-open")

            // The source's dispute feed shows it; the feed is the source's alone.
            let source = try gateway.identity(of: TestGateway.dataSource)
            let feed = try await gateway.request(.GET, "/v1/disputes", identity: source)
            #expect(feed.status == 200, "\(text(feed))")
            let fed = try #require((feed.json["disputes"] as? [[String: Any]])?.first)
            #expect(fed["id"] as? String == disputeID && fed["state"] as? String == "open")
            #expect(fed["uscc"] as? String == Self.company && fed["source_record_id"] as? String == "PEN-41")
            #expect(fed["deadline"] as? String == today.adding(days: 20).description)
            let feedCursor = try #require(feed.json["next_cursor"] as? String)
            #expect(try await gateway.request(.GET, "/v1/disputes", identity: gateway.identity(of: TestGateway.bank)).status == 403)
            #expect(try await gateway.request(.GET, "/v1/disputes", identity: gateway.identity(of: TestGateway.portal)).status == 403)

            // 1. Corrected: the source's next line for the record is a new version.
            try await gateway.ingest([FeedLines.penalty(Self.company, id: "PEN-41", severity: "minor", age: 10)])
            let afterCorrection = try await query(gateway, TestGateway.thirdBank, subject: Self.company, items: ["enterprise.penalty"])
            let correctedRecord = try #require(records(afterCorrection, "enterprise.penalty").first { $0["decision_no"] as? String == "罚-PEN-41" })
            #expect(correctedRecord["severity"] as? String == "minor")
            #expect(correctedRecord["disputed"] == nil && correctedRecord["dispute"] == nil)
            let changed = try await gateway.request(.GET, "/v1/disputes?since=\(feedCursor)", identity: source)
            let answered = try #require((changed.json["disputes"] as? [[String: Any]])?.first)
            #expect(answered["outcome"] as? String == "corrected" && answered["resolved_via"] as? String == "feed")

            // 2. Confirmed through the admin API, the subject's statement kept beside the record.
            let confirmed = try await file("PEN-43", statement: "已缴清罚款 / the fine is paid", keep: true)
            let confirmedID = try #require(confirmed["id"] as? String)
            let correction = try await gateway.admin(
                .POST, "/admin/v1/disputes/\(confirmedID)/resolve", as: .security, body: json(["outcome": "corrected", "reason": "fixed"])
            )
            #expect(correction.status == 422 && correction.json["field"] as? String == "outcome")
            #expect(try await gateway.admin(
                .POST, "/admin/v1/disputes/\(confirmedID)/resolve", as: .system, body: json(["outcome": "confirmed", "reason": "checked"])
            ).status == 403)
            let resolution = try await gateway.admin(
                .POST, "/admin/v1/disputes/\(confirmedID)/resolve", as: .security, body: json(["outcome": "confirmed", "reason": "the record is right"])
            )
            #expect(resolution.status == 200, "\(text(resolution))")
            #expect(resolution.json["outcome"] as? String == "confirmed" && resolution.json["resolved_via"] as? String == "admin")
            let afterConfirmation = try await query(gateway, TestGateway.bank, subject: Self.company, items: ["enterprise.penalty"])
            let kept = try #require(records(afterConfirmation, "enterprise.penalty").first { $0["decision_no"] as? String == "罚-PEN-43" })
            #expect(kept["disputed"] == nil && kept["dispute"] == nil)
            let statement = try #require(kept["subject_statement"] as? [String: Any], "\(text(afterConfirmation))")
            #expect(statement["text"] as? String == "已缴清罚款 / the fine is paid" && statement["dispute_id"] as? String == confirmedID)
            let again = try await gateway.admin(
                .POST, "/admin/v1/disputes/\(confirmedID)/resolve", as: .security, body: json(["outcome": "withdrawn", "reason": "x"])
            )
            #expect(again.status == 409)

            // 3. Withdrawn: the source's next line withdraws the record, which is disclosed no more.
            let withdrawn = try await file("PEN-44")
            try await gateway.ingest([FeedLines.event("withdrawn", item: "enterprise.penalty", subject: Self.company, id: "PEN-44")])
            let afterWithdrawal = try await query(gateway, TestGateway.bank, subject: Self.company, items: ["enterprise.penalty"])
            #expect(records(afterWithdrawal, "enterprise.penalty").map { $0["decision_no"] as? String } .contains("罚-PEN-44") == false)

            // Through the portal, the subject sees the state of each.
            let states = try await portal(gateway, "disputes/search", subject: Self.company)
            let byID = Dictionary(uniqueKeysWithValues: (states.json["disputes"] as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0) })
            #expect(byID[disputeID]?["outcome"] as? String == "corrected")
            #expect(byID[confirmedID]?["outcome"] as? String == "confirmed")
            #expect(byID[withdrawn["id"] as? String ?? ""]?["outcome"] as? String == "withdrawn")
            #expect(byID.values.allSatisfy { $0["state"] as? String == "resolved" && $0["uscc"] == nil })
            // Another subject's portal view shows none of them.
            let others = try await portal(gateway, "disputes/search", subject: Self.otherCompany)
            #expect((others.json["disputes"] as? [Any])?.isEmpty == true)
            // A record of another subject cannot be disputed in this subject's name.
            let foreign = try await portal(gateway, "disputes", subject: Self.otherCompany, [
                "record": ["source": "jiangsu_public_credit", "source_record_id": "PEN-43"], "reason": "not mine",
            ])
            #expect(foreign.status == 404 && foreign.json["field"] as? String == "record")
        }
    }

    /// The subject's words in a dispute (reason, statement) and the answer's note are sealed at
    /// rest: the subject, the data source, an administrator and (for a statement kept beside a
    /// confirmed record, whether the admin API or the source's feed confirmed it) every bank read
    /// them back, yet no column of any table and no `pg_dump` of the database holds them in clear.
    @Test func aDisputesWordsAreReadBackByEveryoneEntitledYetNoPgDumpHoldsThem() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([FeedLines.penalty(Self.company, id: "PEN-61"), FeedLines.penalty(Self.company, id: "PEN-62")])
            let reason = "罚款已于十月缴清 reason-e41f07"
            let statements = ["PEN-61": "本人对处罚有异议 statement-a93d52", "PEN-62": "已整改完毕 statement-c0b8e6"]
            let note = "来源已核实 note-7d2a19"
            var ids: [String: String] = [:]
            for (record, statement) in statements.sorted(by: { $0.key < $1.key }) {
                let filed = try await portal(gateway, "disputes", subject: Self.company, [
                    "record": ["source": "jiangsu_public_credit", "source_record_id": record], "reason": reason, "statement": statement,
                    "keep_statement": true,
                ])
                #expect(filed.status == 201, "\(text(filed))")
                #expect(filed.json["reason"] as? String == reason && filed.json["statement"] as? String == statement)
                ids[record] = try #require(filed.json["id"] as? String)
            }
            // The source, an administrator and the subject read them back.
            let feed = try await gateway.request(.GET, "/v1/disputes", identity: gateway.identity(of: TestGateway.dataSource))
            let fed = feed.json["disputes"] as? [[String: Any]] ?? []
            #expect(Set(fed.compactMap { $0["statement"] as? String }) == Set(statements.values) && fed.allSatisfy { $0["reason"] as? String == reason })
            let resolved = try await gateway.admin(
                .POST, "/admin/v1/disputes/\(try #require(ids["PEN-61"]))/resolve", as: .security, body: json(["outcome": "confirmed", "reason": note])
            )
            #expect(resolved.status == 200 && resolved.json["resolution_note"] as? String == note, "\(text(resolved))")
            #expect(resolved.json["statement"] as? String == statements["PEN-61"])
            try await gateway.ingest([FeedLines.event("dispute_resolved", item: "enterprise.penalty", subject: Self.company, id: "PEN-62")])
            let listed = try await gateway.admin(.GET, "/admin/v1/disputes?status=resolved", as: .audit)
            #expect((listed.json["disputes"] as? [[String: Any]] ?? []).compactMap { $0["resolution_note"] as? String } == [note], "\(text(listed))")
            let own = try await portal(gateway, "disputes/search", subject: Self.company)
            #expect(Set((own.json["disputes"] as? [[String: Any]] ?? []).compactMap { $0["statement"] as? String }) == Set(statements.values))

            // Both confirmed records carry the subject's statement in every bank's answer.
            let answer = try await query(gateway, TestGateway.bank, subject: Self.company, items: ["enterprise.penalty"])
            for (record, statement) in statements {
                let shown = try #require(records(answer, "enterprise.penalty").first { $0["decision_no"] as? String == "罚-\(record)" })
                let kept = try #require(shown["subject_statement"] as? [String: Any], "\(text(answer))")
                #expect(kept["text"] as? String == statement && kept["dispute_id"] as? String == ids[record])
            }

            // What the broker keeps of an answer to give it again carries the statements too, sealed:
            // a query's response kept for a retry under an Idempotency-Key, a batch review's result.
            let bank = try gateway.identity(of: TestGateway.bank)
            let keyed = try json(["subject": Self.company, "purpose": "credit_approval", "items": ["enterprise.penalty"]])
            let first = try await gateway.request(.POST, "/v1/queries", identity: bank, headers: ["Idempotency-Key": "retry-61"], body: keyed)
            let retried = try await gateway.request(.POST, "/v1/queries", identity: bank, headers: ["Idempotency-Key": "retry-61"], body: keyed)
            #expect(first.status == 200 && text(first).contains("statement-a93d52"), "\(text(first))")
            #expect(retried.status == 200 && retried.body == first.body, "a retry replays the answer byte for byte")
            let batch = try await gateway.request(.POST, "/v1/batch-reviews", identity: bank, body: json([
                "subjects": [Self.company], "purpose": "batch_review", "items": ["enterprise.penalty"],
            ]))
            #expect(batch.status == 202, "\(text(batch))")
            let location = "/v1/batch-reviews/\(try #require(batch.json["id"] as? String))"
            var reviewed = try await gateway.request(.GET, location, identity: bank)
            for _ in 0..<150 where reviewed.json["status"] as? String != "done" {
                try await Task.sleep(for: .milliseconds(200))
                reviewed = try await gateway.request(.GET, location, identity: bank)
            }
            #expect(text(reviewed).contains("statement-a93d52") && text(reviewed).contains("statement-c0b8e6"), "\(text(reviewed))")

            let needles = ["reason-e41f07", "statement-a93d52", "statement-c0b8e6", "note-7d2a19", "本人对处罚有异议", "罚款已于十月缴清", "来源已核实"]
            for needle in needles {
                #expect(try await tablesHolding(needle, pool: gateway.pool).isEmpty, "\(needle)")
            }
            let dump = try await TestPostgres.dump(gateway.pool.configuration.connection)
            #expect(dump.contains("COPY public.disputes") && dump.contains("COPY public.records") && dump.contains("COPY public.idempotency_keys"))
            for needle in needles {
                #expect(!dump.contains(needle), "pg_dump holds '\(needle)' in clear")
                // pg_dump writes a bytea value as hex.
                #expect(!dump.contains(needle.utf8.map { String(format: "%02x", $0) }.joined()), "pg_dump holds '\(needle)' in clear in a bytea")
            }
        }
    }

    /// A dispute left open past its 20 days (an injected clock) is listed as overdue by the admin
    /// API, counted in the metrics and shown overdue to the subject and the source.
    @Test func aDisputeOpenPastTwentyDaysIsOverdue() async throws {
        let filed = Instant.parse("2026-12-01T09:00:00+08:00")!
        let clock = FixedClock(filed)
        try await TestGateway.run(clock: clock) { gateway in
            try await gateway.ingest([FeedLines.registration(Self.company, id: "REG-41")])
            let reply = try await portal(gateway, "disputes", subject: Self.company, [
                "record": ["source": "jiangsu_public_credit", "source_record_id": "REG-41"], "reason": "wrong legal representative",
            ])
            #expect(reply.status == 201, "\(text(reply))")
            #expect(reply.json["deadline"] as? String == "2026-12-21")
            clock.set(Instant.parse("2026-12-21T23:59:00+08:00")!)
            #expect((try await gateway.admin(.GET, "/admin/v1/disputes?status=overdue", as: .audit).json["disputes"] as? [Any])?.isEmpty == true)
            #expect(try await gateway.metrics().contains("credit_broker_disputes_overdue 0"))
            clock.set(Instant.parse("2026-12-22T00:00:01+08:00")!)
            let overdue = try await gateway.admin(.GET, "/admin/v1/disputes?status=overdue", as: .security)
            #expect((overdue.json["disputes"] as? [[String: Any]])?.map { $0["id"] as? String } == [reply.json["id"] as? String], "\(text(overdue))")
            let metrics = try await gateway.metrics()
            #expect(metrics.contains("credit_broker_disputes_overdue 1") && metrics.contains("credit_broker_disputes_open 1"), "\(metrics.suffix(600))")
            let seen = try await portal(gateway, "disputes/search", subject: Self.company)
            #expect((seen.json["disputes"] as? [[String: Any]])?.first?["overdue"] as? Bool == true)
            let bad = try await gateway.admin(.GET, "/admin/v1/disputes?status=late", as: .security)
            #expect(bad.status == 400 && bad.json["field"] as? String == "status")
        }
    }

    // MARK: Consents

    /// A consent the subject withdraws through the portal stops the registering bank's next query
    /// from disclosing what it unlocked, and the bank's alerts say `consent_revoked` with the reason;
    /// the subject's consent receipt verifies offline with `credit-broker receipts verify`.
    @Test func aConsentWithdrawnByTheSubjectStopsTheBanksNextQuery() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([FeedLines.registration(Self.company, id: "REG-41")])
            try await gateway.ingest([FeedLines.taxPaid(Self.company, id: "TAX-41")], source: "sushu_tax")
            let consent = try await register(gateway, TestGateway.bank, subject: Self.company, categories: ["tax"])
            let kept = try await register(gateway, TestGateway.otherBank, subject: Self.company, categories: ["tax"])
            let unrelated = try await register(gateway, TestGateway.bank, subject: Self.otherCompany, categories: ["tax"])
            let unlocked = try await query(gateway, TestGateway.bank, subject: Self.company, items: ["market.tax_paid"], consentID: consent)
            #expect(records(unlocked, "market.tax_paid").count == 1, "\(text(unlocked))")

            // The subject sees its consents, whichever bank holds them, and only its own.
            let listed = try await portal(gateway, "consents/search", subject: Self.company)
            let consents = listed.json["consents"] as? [[String: Any]] ?? []
            #expect(Set(consents.compactMap { $0["id"] as? String }) == [consent, kept], "\(text(listed))")
            #expect(consents.first { $0["id"] as? String == consent }?["partner_name"] as? String == "中国工商银行股份有限公司江苏省分行")
            #expect(!text(listed).contains(unrelated))

            let revoked = try await portal(gateway, "consents/\(consent)/revoke", subject: Self.company)
            #expect(revoked.status == 200, "\(text(revoked))")
            #expect(revoked.json["status"] as? String == "revoked" && revoked.json["status_reason"] as? String == "revoked_by_subject")
            #expect((revoked.json["history"] as? [[String: Any]])?.map { $0["event"] as? String } == ["registered", "revoked_by_subject"])
            // Another subject's consent is not this subject's to revoke.
            #expect(try await portal(gateway, "consents/\(unrelated)/revoke", subject: Self.company).status == 404)

            let withheld = try await query(gateway, TestGateway.bank, subject: Self.company, items: ["market.tax_paid"], consentID: consent)
            #expect((withheld.json["withheld"] as? [[String: Any]])?.first?["reason"] as? String == "consent_missing", "\(text(withheld))")
            let bankAlerts = try await alerts(gateway, TestGateway.bank)
            let alert = try #require(bankAlerts.first { $0["change"] as? String == "consent_revoked" }, "\(bankAlerts)")
            #expect(alert["consent_id"] as? String == consent && alert["reason"] as? String == "revoked_by_subject")
            #expect(alert["subject"] as? String == Self.company && alert["item"] == nil)
            #expect(try await alerts(gateway, TestGateway.otherBank).isEmpty)
            // Revoking again keeps the first revocation and raises no second alert.
            #expect(try await portal(gateway, "consents/\(consent)/revoke", subject: Self.company).status == 200)
            #expect(try await alerts(gateway, TestGateway.bank).count == 1)

            // The holder extends the other consent while it is active, with its history kept; a
            // revoked one is not extended.
            let extended = try await gateway.request(
                .POST, "/v1/consents/\(kept)/extensions", identity: gateway.identity(of: TestGateway.otherBank),
                body: json(["valid_to": "2027-06-30", "document_digest": String(repeating: "7a", count: 32)])
            )
            #expect(extended.status == 200, "\(text(extended))")
            #expect((extended.json["extensions"] as? [[String: Any]])?.count == 1)
            #expect((extended.json["history"] as? [[String: Any]])?.map { $0["event"] as? String } == ["registered", "extended"])
            #expect((extended.json["valid_to"] as? String)?.hasPrefix("2027-06-30T16:00:00") == true)
            let refused = try await gateway.request(
                .POST, "/v1/consents/\(consent)/extensions", identity: gateway.identity(of: TestGateway.bank),
                body: json(["valid_to": "2027-06-30", "document_digest": String(repeating: "7a", count: 32)])
            )
            #expect(refused.status == 409 && refused.json["type"] as? String == Problem.typeBase + "consent-not-active")

            // The receipt the portal hands to the subject verifies offline, with the real command.
            let receipt = try await portal(gateway, "consents/\(kept)/receipt", subject: Self.company)
            #expect(receipt.status == 200, "\(text(receipt))")
            #expect(receipt.json["consent_id"] as? String == kept && receipt.json["version"] as? String == "KI-CR-v1.1.0")
            #expect((receipt.json["pii_controllers"] as? [[String: Any]])?.first?["partner"] as? String == TestGateway.otherBank)
            let folder = URL(filePath: TestPostgres.temporaryFolder())
            let token = try #require(receipt.headers.first(name: "Broker-Receipt"))
            try (Data("HTTP/1.1 200 OK\r\nBroker-Receipt: \(token)\r\n\r\n".utf8) + receipt.body).write(to: folder.appending(path: "consent.http"))
            let key = try await gateway.request(.GET, "/v1/receipt-key")
            try key.body.write(to: folder.appending(path: "key.pem"))
            let verified = try await ChildProcess.start(CommandLineBinary.path, [
                "receipts", "verify", folder.appending(path: "consent.http").path, "--key", folder.appending(path: "key.pem").path,
            ]).wait()
            #expect(verified.status == 0 && verified.output.contains("consent receipt OK"), "\(verified.output)")
            #expect(verified.output.contains("consent \(kept)"), "\(verified.output)")
            try (Data("HTTP/1.1 200 OK\r\nBroker-Receipt: \(token)\r\n\r\n".utf8) + receipt.body.dropLast() + Data("}".utf8) + Data(" ".utf8))
                .write(to: folder.appending(path: "tampered.http"))
            let tampered = try await ChildProcess.start(CommandLineBinary.path, [
                "receipts", "verify", folder.appending(path: "tampered.http").path, "--key", folder.appending(path: "key.pem").path,
            ]).wait()
            #expect(tampered.status != 0 && tampered.output.contains("INVALID"), "\(tampered.output)")

            // A security administrator revokes the other consent: its holder hears of it.
            let reason = "授权书系伪造（经办人张三核实） forged authorisation"
            let byAdmin = try await gateway.admin(.POST, "/admin/v1/consents/\(kept)/revoke", as: .security, body: json(["reason": reason]))
            #expect(byAdmin.status == 200 && byAdmin.json["status_reason"] as? String == "revoked_by_admin", "\(text(byAdmin))")
            #expect(byAdmin.json["revocation_note"] as? String == reason)
            // The reason is kept (sealed) and shown to the security and audit roles, not to the system role or the holder.
            for role in [AdminRole.security, .audit] {
                let shown = try await gateway.admin(.GET, "/admin/v1/consents/\(kept)", as: role)
                #expect(shown.status == 200 && shown.json["revocation_note"] as? String == reason, "\(role): \(text(shown))")
                #expect(shown.json["partner"] as? String == TestGateway.otherBank && shown.json["status"] as? String == "revoked")
            }
            #expect(try await gateway.admin(.GET, "/admin/v1/consents/\(kept)", as: .system).status == 403)
            #expect(try await gateway.admin(.GET, "/admin/v1/consents/cs_\(String(repeating: "0", count: 32))", as: .audit).status == 404)
            let holderView = try await gateway.request(.GET, "/v1/consents/\(kept)", identity: gateway.identity(of: TestGateway.otherBank))
            #expect(holderView.status == 200 && holderView.json["status_reason"] as? String == "revoked_by_admin" && holderView.json["revocation_note"] == nil)
            #expect(!String(decoding: holderView.body, as: UTF8.self).contains("张三"))
            let audit = try await AdminAuditLog(pool: gateway.pool).records(since: 0, limit: 1_000)
            #expect(!audit.contains { "\($0.entry)".contains("张三") || "\($0.entry)".contains("forged") }, "the audit chain keeps the revocation, not its reason")
            let otherAlerts = try await alerts(gateway, TestGateway.otherBank)
            #expect(otherAlerts.map { $0["reason"] as? String } == ["revoked_by_admin"])
        }
    }

    /// A credit agency, whose contract has no post-loan monitoring, still learns of its consents
    /// revoked by their subject through its alerts.
    @Test func anAgencyWithoutMonitoringLearnsOfARevokedConsent() async throws {
        try await TestGateway.run { gateway in
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let consent = try await register(
                gateway, TestGateway.agency, subject: Self.company, categories: ["ratings"], purposes: ["credit_report"], bearer: token
            )
            #expect(try await alerts(gateway, TestGateway.agency, bearer: token).isEmpty)
            #expect(try await portal(gateway, "consents/\(consent)/revoke", subject: Self.company).status == 200)
            let got = try await alerts(gateway, TestGateway.agency, bearer: token)
            #expect(got.map { $0["change"] as? String } == ["consent_revoked"] && got.first?["consent_id"] as? String == consent)
        }
    }

    // MARK: The portal's bounds

    /// The portal acts only through its routes and only on the subject a call names; no other
    /// partner may call them.
    @Test func onlyThePortalCallsItsRoutesAndItSeesNothingElse() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest([FeedLines.registration(Self.company, id: "REG-41"), FeedLines.penalty(Self.company, id: "PEN-41")])
            let bank = try await gateway.request(
                .POST, "/v1/portal/disclosures", identity: gateway.identity(of: TestGateway.bank), body: json(["subject": Self.company])
            )
            #expect(bank.status == 403 && bank.json["type"] as? String == Problem.typeBase + "portal-only")
            // Its contract grants no item: a query discloses nothing.
            let query = try await query(gateway, TestGateway.portal, subject: Self.company, items: ["enterprise.registration"], purpose: "subject_rights")
            #expect((query.json["disclosed"] as? [Any])?.isEmpty == true)
            #expect((query.json["withheld"] as? [[String: Any]])?.first?["reason"] as? String == "not_in_contract")
            // A subject is named in the body only and checked; a bad one is never echoed.
            let bad = try await portal(gateway, "disclosures", subject: "11010519491231002Y")
            #expect(bad.status == 400 && bad.json["field"] as? String == "subject" && !text(bad).contains("11010519491231002Y"))
            let missing = try await gateway.request(
                .POST, "/v1/portal/records", identity: gateway.identity(of: TestGateway.portal), body: json(["limit": 1])
            )
            #expect(missing.status == 400 && missing.json["field"] as? String == "subject")
            let noRecord = try await portal(gateway, "disputes", subject: Self.company, ["reason": "x"])
            #expect(noRecord.status == 400 && noRecord.json["field"] as? String == "record")
            let noSource = try await portal(gateway, "disputes", subject: Self.company, ["record": ["source_record_id": "PEN-41"], "reason": "x"])
            #expect(noSource.status == 400 && noSource.json["field"] as? String == "record.source", "\(text(noSource))")
            let control = try await portal(gateway, "disputes", subject: Self.company, [
                "record": ["source": "jiangsu_public_credit", "source_record_id": "PEN-41"], "reason": "a\u{0}b",
            ])
            #expect(control.status == 400 && control.json["field"] as? String == "reason")
            // A letter carrying 5,000 combining marks is one character as Swift counts (a grapheme
            // cluster), 5,001 as PostgreSQL does; the 2,000 limit counts the latter.
            let piled = try await portal(gateway, "disputes", subject: Self.company, [
                "record": ["source": "jiangsu_public_credit", "source_record_id": "PEN-41"], "reason": "a" + String(repeating: "\u{301}", count: 5_000),
            ])
            #expect(piled.status == 400 && piled.json["field"] as? String == "reason", "\(text(piled))")
            // Every portal call is metered and about the subject it named.
            let events = try await gateway.pool.query("""
                SELECT count(*) FROM meter_events WHERE partner_id = \(TestGateway.portal) AND endpoint LIKE 'POST /v1/portal/%'
                """)
            #expect(try events[0].decode(Int.self, at: 0) == 6)
        }
    }
}
