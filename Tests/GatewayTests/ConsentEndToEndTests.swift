import BrokerCore
import Foundation
import Gateway
import PostgresClient
import TestSupport
import Testing

/// Consents over real TLS: register, use in queries, revoke, use limits, partner isolation, validation.
@Suite(.serialized) struct ConsentEndToEndTests {
    static let company = "91350100M000100Y43"
    /// `market.real_estate` is conditional for `bank.icbc_jiangsu`: purpose credit_approval and a consent naming it.
    static let conditionalItem = "market.real_estate"
    static let digest = String(repeating: "3f", count: 32)
    /// The bank's contract term: a consent's validity must lie within it.
    static let term = try! Fixtures.contracts().first { $0.partnerID == TestGateway.bank }!.term
    static let feed = [
        #"{"type":"record","item":"market.real_estate","subject":"91350100M000100Y43","source_record_id":"RE-1","fields":{"certificate_no":"苏(2024)南京市不动产权第0000001号","location":"江苏省南京市鼓楼区中山路1号","area_m2":1200,"mortgaged":false}}"#,
    ]

    private static func json(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    private static func consentBody(
        subject: String = company, purposes: [String] = ["credit_approval"], items: [String] = [conditionalItem],
        validFrom: String = "\(term.from)", validTo: String = "\(term.to)", useLimit: Any = "unlimited"
    ) throws -> Data {
        try json([
            "subject": subject, "purposes": purposes, "items": items, "valid_from": validFrom, "valid_to": validTo,
            "use_limit": useLimit, "document_digest": digest,
        ])
    }

    /// Registers a consent for `partner` and returns its id.
    private static func register(_ gateway: TestGateway, partner: String = TestGateway.bank, _ body: Data) async throws -> String {
        let reply = try await gateway.request(.POST, "/v1/consents", identity: gateway.identity(of: partner), body: body)
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        let id = try #require(reply.json["id"] as? String)
        #expect(reply.headers.first(name: "Location") == "/v1/consents/\(id)")
        return id
    }

    private static func query(
        _ gateway: TestGateway, partner: String = TestGateway.bank, consentID: String?, items: [String] = [conditionalItem]
    ) async throws -> TestGateway.Reply {
        var fields: [String: Any] = ["subject": company, "purpose": "credit_approval", "items": items]
        if let consentID { fields["consent_id"] = consentID }
        return try await gateway.request(.POST, "/v1/queries", identity: gateway.identity(of: partner), body: json(fields))
    }

    private static func withheldReasons(_ reply: TestGateway.Reply) -> [String: String] {
        let withheld = reply.json["withheld"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: withheld.compactMap { entry in
            (entry["item"] as? String).map { ($0, entry["reason"] as? String ?? "") }
        })
    }

    private static func disclosedItems(_ reply: TestGateway.Reply) -> [String] {
        (reply.json["disclosed"] as? [[String: Any]] ?? []).compactMap { $0["item"] as? String }
    }

    @Test func aRegisteredConsentDisclosesUntilItIsRevoked() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let bank = try gateway.identity(of: TestGateway.bank)
            let created = try await gateway.request(.POST, "/v1/consents", identity: bank, body: Self.consentBody())
            #expect(created.status == 201)
            let id = try #require(created.json["id"] as? String)
            #expect(id.wholeMatch(of: /cs_[0-9a-f]{32}/) != nil)
            #expect(created.headers.first(name: "Location") == "/v1/consents/\(id)")
            #expect(created.json["subject"] as? String == "913501********0Y43")
            #expect(!String(decoding: created.body, as: UTF8.self).contains(Self.company))

            let first = try await Self.query(gateway, consentID: id)
            #expect(first.status == 200)
            #expect(Self.disclosedItems(first) == [Self.conditionalItem])
            let records = (first.json["disclosed"] as? [[String: Any]])?.first?["records"] as? [[String: Any]]
            #expect(records?.first?["certificate_no"] as? String == "苏(2024)南京市不动产权第0000001号")
            #expect(first.json["consent_id"] as? String == id)

            // A query the consent unlocks nothing for spends no use.
            let unconditional = try await Self.query(gateway, consentID: id, items: ["enterprise.registration"])
            #expect(unconditional.status == 200)
            let afterUse = try await gateway.request(.GET, "/v1/consents/\(id)", identity: bank)
            #expect(afterUse.status == 200)
            #expect(afterUse.json["uses"] as? Int == 1)
            #expect(afterUse.json["status"] as? String == "active")
            #expect(afterUse.json["use_limit"] as? String == "unlimited")

            #expect(try await gateway.request(.DELETE, "/v1/consents/\(id)", identity: bank).status == 204)
            #expect(try await gateway.request(.DELETE, "/v1/consents/\(id)", identity: bank).status == 204)
            let revoked = try await gateway.request(.GET, "/v1/consents/\(id)", identity: bank)
            #expect(revoked.json["status"] as? String == "revoked")
            #expect(revoked.json["revoked_at"] is String)

            let afterRevocation = try await Self.query(gateway, consentID: id)
            #expect(afterRevocation.status == 200)
            #expect(Self.disclosedItems(afterRevocation).isEmpty)
            #expect(Self.withheldReasons(afterRevocation) == [Self.conditionalItem: "consent_missing"])
        }
    }

    @Test func useLimitsValidityAndScopeGiveTheirReasons() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let once = try await Self.register(gateway, Self.consentBody(useLimit: "once"))
            #expect(Self.disclosedItems(try await Self.query(gateway, consentID: once)) == [Self.conditionalItem])
            let second = try await Self.query(gateway, consentID: once)
            #expect(Self.withheldReasons(second) == [Self.conditionalItem: "consent_exhausted"])

            let expired = try await Self.register(gateway, Self.consentBody(validTo: Date().addingTimeInterval(-60).formatted(.iso8601)))
            #expect(Self.withheldReasons(try await Self.query(gateway, consentID: expired)) == [Self.conditionalItem: "consent_expired"])

            let otherItem = try await Self.register(gateway, Self.consentBody(items: ["market.litigation"]))
            #expect(Self.withheldReasons(try await Self.query(gateway, consentID: otherItem)) == [Self.conditionalItem: "consent_out_of_scope"])
            let otherPurpose = try await Self.register(gateway, Self.consentBody(purposes: ["post_loan_monitoring"]))
            #expect(Self.withheldReasons(try await Self.query(gateway, consentID: otherPurpose)) == [Self.conditionalItem: "consent_out_of_scope"])

            let unused = try await gateway.request(.GET, "/v1/consents/\(expired)", identity: gateway.identity(of: TestGateway.bank))
            #expect(unused.json["uses"] as? Int == 0)
            #expect(unused.json["status"] as? String == "expired")
        }
    }

    /// A consent's use is spent only when an item it unlocks discloses a record: with nothing on file
    /// the item is answered `on_file: false` and the consent keeps its use.
    @Test func aConsentIsSpentOnlyWhenItUnlocksARecordOnFile() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let once = try await Self.register(gateway, Self.consentBody(useLimit: "once"))
            for _ in 0..<2 {
                let empty = try await Self.query(gateway, consentID: once)
                #expect(empty.status == 200)
                let items = try #require(empty.json["disclosed"] as? [[String: Any]])
                #expect(items.map { $0["item"] as? String } == [Self.conditionalItem])
                #expect(items.first?["on_file"] as? Bool == false)
                #expect((items.first?["records"] as? [Any])?.isEmpty == true)
            }
            #expect(try await gateway.request(.GET, "/v1/consents/\(once)", identity: bank).json["uses"] as? Int == 0)

            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let found = try await Self.query(gateway, consentID: once)
            let items = try #require(found.json["disclosed"] as? [[String: Any]])
            #expect(items.first?["on_file"] as? Bool == true)
            #expect((items.first?["records"] as? [Any])?.count == 1)
            #expect(try await gateway.request(.GET, "/v1/consents/\(once)", identity: bank).json["uses"] as? Int == 1)
            #expect(Self.withheldReasons(try await Self.query(gateway, consentID: once)) == [Self.conditionalItem: "consent_exhausted"])
        }
    }

    /// An answer withheld because its meter event could not be committed (503) does not spend the
    /// consent's use: the retry, once the meter works again, discloses the item.
    @Test func anAnswerThatNeverLeftGivesTheConsentsUseBack() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let once = try await Self.register(gateway, Self.consentBody(useLimit: "once"))
            try await gateway.pool.query("ALTER TABLE meter_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
            let failed = try await Self.query(gateway, consentID: once)
            #expect(failed.status == 503)

            try await gateway.pool.query("ALTER TABLE meter_events DROP CONSTRAINT refuse_all")
            let unused = try await gateway.request(.GET, "/v1/consents/\(once)", identity: gateway.identity(of: TestGateway.bank))
            #expect(unused.json["uses"] as? Int == 0)
            #expect(Self.disclosedItems(try await Self.query(gateway, consentID: once)) == [Self.conditionalItem])
            #expect(Self.withheldReasons(try await Self.query(gateway, consentID: once)) == [Self.conditionalItem: "consent_exhausted"])
        }
    }

    @Test func concurrentQueriesNeverSpendMoreUsesThanTheLimit() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let id = try await Self.register(gateway, Self.consentBody(useLimit: 3))
            let replies = try await withThrowingTaskGroup(of: TestGateway.Reply.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await Self.query(gateway, consentID: id) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(replies.filter { Self.disclosedItems($0) == [Self.conditionalItem] }.count == 3)
            #expect(replies.filter { Self.withheldReasons($0) == [Self.conditionalItem: "consent_exhausted"] }.count == 7)
            let shown = try await gateway.request(.GET, "/v1/consents/\(id)", identity: gateway.identity(of: TestGateway.bank))
            #expect(shown.json["uses"] as? Int == 3)
            #expect(shown.json["status"] as? String == "used_up")
            #expect(shown.json["status_reason"] as? String == "uses_exhausted")
        }
    }

    @Test func anotherBankCanNeitherSeeNorUseNorRevokeIt() async throws {
        try await TestGateway.run { gateway in
            try await gateway.ingest(Self.feed, source: "jiangsu_property")
            let id = try await Self.register(gateway, Self.consentBody())
            let other = try gateway.identity(of: TestGateway.otherBank)
            let unknown = try await gateway.request(.GET, "/v1/consents/cs_\(String(repeating: "0", count: 32))", identity: other)
            #expect(unknown.status == 404)
            let seen = try await gateway.request(.GET, "/v1/consents/\(id)", identity: other)
            #expect(seen.status == 404)
            #expect(seen.json["type"] as? String == unknown.json["type"] as? String)
            #expect(seen.json["detail"] as? String == unknown.json["detail"] as? String)
            #expect(try await gateway.request(.DELETE, "/v1/consents/\(id)", identity: other).status == 404)
            #expect(try await gateway.request(.DELETE, "/v1/consents/cs_\(String(repeating: "0", count: 32))", identity: other).status == 404)
            let used = try await Self.query(gateway, partner: TestGateway.otherBank, consentID: id)
            #expect(used.status == 400)
            #expect(used.json["field"] as? String == "consent_id")

            let mine = try await gateway.request(.GET, "/v1/consents/\(id)", identity: gateway.identity(of: TestGateway.bank))
            #expect(mine.json["status"] as? String == "active")
            #expect(mine.json["uses"] as? Int == 0)

            // A consent about another subject is answered exactly as an unknown one.
            let person = try await Self.register(gateway, Self.consentBody(subject: "11010519491231002X"))
            let mismatch = try await Self.query(gateway, consentID: person)
            let missing = try await Self.query(gateway, consentID: "cs_\(String(repeating: "f", count: 32))")
            #expect(mismatch.status == 400 && missing.status == 400)
            #expect(mismatch.body == missing.body)
        }
    }

    @Test func aPersonIsStoredOnlyAsItsPersonKey() async throws {
        try await TestGateway.run { gateway in
            let id = try await Self.register(gateway, Self.consentBody(subject: "11010519491231002X", items: ["person.dishonest_debtor"]))
            let shown = try await gateway.request(.GET, "/v1/consents/\(id)", identity: gateway.identity(of: TestGateway.bank))
            #expect(shown.json["subject"] as? String == "110105********002X")
            let row = try await gateway.pool.query("SELECT subject_key, subject_masked FROM consents WHERE consent_id = \(id)")[0]
            let number = try ResidentIDNumber("11010519491231002X")
            #expect(try row.decode(String.self, at: 0) == TestGateway.hasher.key(for: number).hex)
            #expect(try row.decode(String.self, at: 1) == "110105********002X")
        }
    }

    @Test func invalidConsentsNameTheFieldAndNeverEchoTheSubject() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let cases: [(Data, String)] = [
                (try Self.consentBody(subject: "91350100M000100Y4Z"), "subject"),
                (try Self.consentBody(subject: "32010219900230001X"), "subject"),
                (try Self.consentBody(purposes: ["astrology"]), "purposes[0]"),
                (try Self.consentBody(purposes: []), "purposes"),
                (try Self.consentBody(items: [Self.conditionalItem, "market.horoscope"]), "items[1]"),
                (try Self.consentBody(items: []), "items"),
                (try Self.json(["subject": Self.company, "purposes": ["credit_approval"], "categories": ["weather"], "valid_to": "\(Self.term.to)", "use_limit": 3, "document_digest": Self.digest]), "categories[0]"),
                (try Self.consentBody(validFrom: "\(Self.term.from.adding(days: 2))", validTo: "\(Self.term.from.adding(days: 1))"), "valid_to"),
                (try Self.consentBody(validTo: "next year"), "valid_to"),
                (try Self.consentBody(useLimit: 0), "use_limit"),
                (try Self.consentBody(useLimit: "twice"), "use_limit"),
                (try Self.json(["subject": Self.company, "purposes": ["credit_approval"], "items": [Self.conditionalItem], "valid_to": "\(Self.term.to)", "use_limit": "once", "document_digest": "abc"]), "document_digest"),
            ]
            for (body, field) in cases {
                let reply = try await gateway.request(.POST, "/v1/consents", identity: bank, body: body)
                #expect(reply.status == 400, "\(field)")
                #expect(reply.headers.first(name: "Content-Type") == "application/problem+json")
                #expect(reply.json["field"] as? String == field)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(!text.contains("0230001X") && !text.contains("M000100Y4"))
            }
            let count = try await gateway.pool.query("SELECT count(*) FROM consents")[0].decode(Int.self, at: 0)
            #expect(count == 0)
        }
    }

    /// Impossible dates and times are refused, not rolled over (Foundation reads `T25:00` as the next
    /// day's 01:00), and a consent's validity must lie within the partner's contract term: no consent
    /// from 1900 or valid until 9999. The bounds themselves are accepted.
    @Test func consentDatesMustBeRealAndWithinTheContractTerm() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let start = Self.term.from, end = Self.term.to
            let cases: [(validFrom: String, validTo: String, field: String, detail: String)] = [
                ("\(start)", "\(end.adding(days: -1))T25:00:00Z", "valid_to", "valid_to must be a day YYYY-MM-DD or an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +08:00), every field within its range."),
                ("\(start.adding(days: 3))T23:60:00+08:00", "\(end)", "valid_from", "valid_from must be a day YYYY-MM-DD or an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +08:00), every field within its range."),
                ("\(start)", "\(end.components.year)-02-30", "valid_to", "valid_to must be a day YYYY-MM-DD or an RFC 3339 instant (YYYY-MM-DDTHH:MM:SSZ, or with an offset such as +08:00), every field within its range."),
                ("1900-01-01", "\(end)", "valid_from", "valid_from must not be before the partner's contract term, which starts on \(start) (China time)."),
                ("\(start.adding(days: -1))T23:59:59+08:00", "\(end)", "valid_from", "valid_from must not be before the partner's contract term, which starts on \(start) (China time)."),
                ("\(start)", "9999-12-31", "valid_to", "valid_to must not be after the partner's contract term, which ends with \(end) (China time)."),
                ("\(start)", "\(end.adding(days: 1))T00:00:01+08:00", "valid_to", "valid_to must not be after the partner's contract term, which ends with \(end) (China time)."),
            ]
            for (validFrom, validTo, field, detail) in cases {
                let reply = try await gateway.request(.POST, "/v1/consents", identity: bank, body: Self.consentBody(validFrom: validFrom, validTo: validTo))
                #expect(reply.status == 400, "\(validFrom) \(validTo)")
                #expect(reply.json["field"] as? String == field, "\(validFrom) \(validTo)")
                #expect(reply.json["detail"] as? String == detail, "\(validFrom) \(validTo)")
            }
            let count = try await gateway.pool.query("SELECT count(*) FROM consents")[0].decode(Int.self, at: 0)
            #expect(count == 0)

            let whole = try await Self.register(gateway, Self.consentBody(validFrom: "\(start)T00:00:00+08:00", validTo: "\(end.adding(days: 1))T00:00:00+08:00"))
            let shown = try await gateway.request(.GET, "/v1/consents/\(whole)", identity: bank)
            #expect(shown.json["valid_from"] as? String == start.start().formatted(.iso8601))
            #expect(shown.json["valid_to"] as? String == end.adding(days: 1).start().formatted(.iso8601))
            _ = try await Self.register(gateway, Self.consentBody(validFrom: "\(start)", validTo: "\(end)"))
        }
    }

    /// `use_limit` is stored in an integer column: a number beyond it is a 400 naming the field and its
    /// range, never a failed insert (a 500); the largest one the column holds is kept exactly.
    @Test func aUseLimitBeyondItsColumnIsRefusedWithItsRange() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let base = String(decoding: try Self.consentBody(useLimit: "once"), as: UTF8.self)
            #expect(base.contains(#""use_limit":"once""#))
            func body(_ number: String) -> Data { Data(base.replacingOccurrences(of: #""use_limit":"once""#, with: #""use_limit":\#(number)"#).utf8) }
            for number in ["2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "1e3", "0", "-1"] {
                let reply = try await gateway.request(.POST, "/v1/consents", identity: bank, body: body(number))
                #expect(reply.status == 400, "\(number)")
                #expect(reply.json["field"] as? String == "use_limit", "\(number)")
                #expect(reply.json["detail"] as? String == #"use_limit must be "once", "unlimited" or a whole number from 1 to 2147483647."#)
            }
            let id = try await Self.register(gateway, body("2147483647"))
            let shown = try await gateway.request(.GET, "/v1/consents/\(id)", identity: bank)
            #expect(shown.json["use_limit"] as? Int == 2_147_483_647)
        }
    }

    @Test func aWrongTypedMemberIsNamedAndNullsAndExtraMembersAreAccepted() async throws {
        try await TestGateway.run { gateway in
            let bank = try gateway.identity(of: TestGateway.bank)
            let valid: [String: Any] = [
                "subject": Self.company, "purposes": ["credit_approval"], "items": [Self.conditionalItem], "valid_to": "\(Self.term.to)",
                "use_limit": "once", "document_digest": Self.digest,
            ]
            let cases: [([String: Any], String, String)] = [
                (["purposes": "credit_approval"], "purposes", "purposes must be an array of purpose ids (strings), not a string."),
                (["items": [Self.conditionalItem, NSNull()]], "items[1]", "items[1] must be a string, not null."),
                (["categories": ["registration": true]], "categories", "categories must be an array of category ids (strings), not an object."),
                (["valid_to": 20_991_231], "valid_to", "valid_to must be a string, not a number."),
                (["valid_to": NSNull()], "valid_to", "valid_to is required."),
                (["use_limit": [1]], "use_limit", #"use_limit must be "once", "unlimited" or a whole number from 1 to 2147483647."#),
                (["use_limit": 2.5], "use_limit", #"use_limit must be "once", "unlimited" or a whole number from 1 to 2147483647."#),
                (["document_digest": 7], "document_digest", "document_digest must be a string, not a number."),
            ]
            for (change, field, detail) in cases {
                let reply = try await gateway.request(.POST, "/v1/consents", identity: bank, body: Self.json(valid.merging(change) { $1 }))
                #expect(reply.status == 400, "\(field)")
                #expect(reply.json["field"] as? String == field)
                #expect(reply.json["detail"] as? String == detail)
            }
            let notAnObject = try await gateway.request(.POST, "/v1/consents", identity: bank, body: Data(#""\#(Self.company)""#.utf8))
            #expect(notAnObject.status == 400 && notAnObject.json["field"] as? String == "body")
            #expect(notAnObject.json["detail"] as? String == "The body must be a JSON object, not a string.")
            #expect(!String(decoding: notAnObject.body, as: UTF8.self).contains("M000100Y4"))
            let count = try await gateway.pool.query("SELECT count(*) FROM consents")[0].decode(Int.self, at: 0)
            #expect(count == 0)

            _ = try await Self.register(gateway, Self.json(valid.merging([
                "valid_from": NSNull(), "categories": NSNull(), "use_limit": 3, "reference": ["form": "A-12", "pages": 2],
            ]) { $1 }))
        }
    }
}
