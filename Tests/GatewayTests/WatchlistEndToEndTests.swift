import BrokerStore
import Foundation
import Gateway
import Testing

/// Post-loan monitoring over real TLS with real ingest: alerts reach the partners watching a
/// subject and no one else, only for changes after the watch and items the contract discloses for
/// monitoring; watchlists are private to their partner.
@Suite(.serialized) struct WatchlistEndToEndTests {
    private func body(_ subjects: [String], purpose: String = "post_loan_monitoring") throws -> Data {
        try JSONSerialization.data(withJSONObject: ["purpose": purpose, "subjects": subjects])
    }

    private func watch(_ gateway: TestGateway, _ partner: String, _ subjects: [String]) async throws -> [[String: Any]] {
        let reply = try await gateway.request(.POST, "/v1/watchlist", identity: gateway.identity(of: partner), body: body(subjects))
        try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(reply.json["subjects"] as? [[String: Any]])
    }

    private func alerts(_ gateway: TestGateway, _ partner: String, since cursor: String? = nil) async throws -> (alerts: [[String: Any]], next: String) {
        let path = cursor.map { "/v1/alerts?since=\($0)" } ?? "/v1/alerts"
        let reply = try await gateway.request(.GET, path, identity: gateway.identity(of: partner))
        try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return (try #require(reply.json["alerts"] as? [[String: Any]]), try #require(reply.json["next_cursor"] as? String))
    }

    @Test func anAlertReachesTheWatchingBankAndNoOther() async throws {
        try await TestGateway.run { gateway in
            let (watched, other) = (FeedLines.company(11), FeedLines.company(12))
            // Changes before the watch raise no alert.
            try await gateway.ingest([FeedLines.penalty(watched, id: "PEN-OLD")])
            try await gateway.ingest([FeedLines.taxPaid(watched, id: "TAX-11")], source: "sushu_tax")
            let subjects = try await watch(gateway, TestGateway.bank, [watched, FeedLines.person])
            #expect(subjects.map { $0["subject"] as? String } == [watched, "110105********002X"])
            _ = try await watch(gateway, TestGateway.otherBank, [other])
            #expect(try await alerts(gateway, TestGateway.bank).alerts.isEmpty)

            try await gateway.ingest([
                FeedLines.penalty(watched, id: "PEN-NEW"), FeedLines.penalty(other, id: "PEN-OTHER"),
                FeedLines.registration(watched, id: "REG-11"), FeedLines.personDebtor(id: "DD-11"),
            ])
            // Tax data needs the subject's consent for monitoring: its dispute is no alert.
            try await gateway.ingest([FeedLines.event("disputed", item: "market.tax_paid", subject: watched, id: "TAX-11")], source: "sushu_tax")
            // The person's dishonest listing needs the person's consent for a bank: no alert either.
            let first = try await alerts(gateway, TestGateway.bank)
            #expect(first.alerts.map { $0["item"] as? String } == ["enterprise.penalty"])
            let alert = try #require(first.alerts.first)
            #expect(alert["change"] as? String == "listed")
            #expect(alert["subject_ref"] as? String == subjects[0]["ref"] as? String)
            #expect(alert["subject"] as? String == watched)
            #expect(alert["date"] as? String == FeedLines.day(0))

            let others = try await alerts(gateway, TestGateway.otherBank)
            #expect(others.alerts.map { $0["subject"] as? String } == [other])

            try await gateway.ingest([
                FeedLines.event("repaired", item: "enterprise.penalty", subject: watched, id: "PEN-NEW"),
                FeedLines.event("withdrawn", item: "enterprise.penalty", subject: watched, id: "PEN-OLD"),
            ])
            let repairs = try await alerts(gateway, TestGateway.bank, since: first.next)
            #expect(repairs.alerts.map { $0["change"] as? String } == ["repaired", "withdrawn"])

            // A black-list entry is news for the lender; a red-list entry is not.
            try await gateway.ingest([FeedLines.list("enterprise.red_list", watched, id: "RED-1"), FeedLines.list("enterprise.black_list", watched, id: "BLACK-1")])
            let next = try await alerts(gateway, TestGateway.bank, since: repairs.next)
            #expect(next.alerts.map { "\($0["item"] as? String ?? "") \($0["change"] as? String ?? "")" } == ["enterprise.black_list listed"])
            #expect(try await alerts(gateway, TestGateway.bank, since: next.next).alerts.isEmpty)
            #expect(try await alerts(gateway, TestGateway.otherBank, since: others.next).alerts.isEmpty)

            // Unwatched, the subject raises no more alerts.
            // DELETE is idempotent: 204, and 204 again.
            let reference = try #require(subjects[0]["ref"] as? String)
            #expect(try await gateway.request(.DELETE, "/v1/watchlist/\(reference)", identity: gateway.identity(of: TestGateway.bank)).status == 204)
            #expect(try await gateway.request(.DELETE, "/v1/watchlist/\(reference)", identity: gateway.identity(of: TestGateway.bank)).status == 204)
            try await gateway.ingest([FeedLines.penalty(watched, id: "PEN-LATER")])
            #expect(try await alerts(gateway, TestGateway.bank, since: next.next).alerts.isEmpty)
        }
    }

    @Test func aPartnerSeesAndChangesOnlyItsOwnWatchlist() async throws {
        try await TestGateway.run { gateway in
            let company = FeedLines.company(21)
            let mine = try await watch(gateway, TestGateway.bank, [company])
            let reference = try #require(mine.first?["ref"] as? String)
            let theirs = try await watch(gateway, TestGateway.otherBank, [company])
            #expect(theirs.first?["ref"] as? String != reference)

            let listed = try await gateway.request(.GET, "/v1/watchlist", identity: gateway.identity(of: TestGateway.otherBank))
            #expect((listed.json["subjects"] as? [[String: Any]])?.map { $0["ref"] as? String } == [theirs[0]["ref"] as? String])
            // Another partner's reference names none of its subjects: 204, and nothing changes.
            let foreign = try await gateway.request(.DELETE, "/v1/watchlist/\(reference)", identity: gateway.identity(of: TestGateway.otherBank))
            #expect(foreign.status == 204)
            let malformed = try await gateway.request(.DELETE, "/v1/watchlist/\(reference.uppercased())", identity: gateway.identity(of: TestGateway.otherBank))
            #expect(malformed.status == 404 && malformed.json["field"] as? String == "ref")
            let own = try await gateway.request(.GET, "/v1/watchlist", identity: gateway.identity(of: TestGateway.bank))
            #expect((own.json["subjects"] as? [[String: Any]])?.map { $0["ref"] as? String } == [reference])

            // An agency's contract has no post-loan monitoring; its watchlist is empty either way.
            let (_, token) = try await ApiKeyStore(pool: gateway.pool).issue(partnerID: TestGateway.agency, expiresAt: nil)
            let agencyWatch = try await gateway.request(.POST, "/v1/watchlist", bearer: token, body: body([company]))
            #expect(agencyWatch.status == 403 && agencyWatch.json["field"] as? String == "purpose")
            let agencyList = try await gateway.request(.GET, "/v1/watchlist", bearer: token)
            #expect(agencyList.status == 200 && (agencyList.json["subjects"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func theWatchlistPagesInOrderOfReferenceWithoutGapsOrRepeats() async throws {
        try await TestGateway.run { gateway in
            let companies = (30..<37).map(FeedLines.company)
            let watched = try await watch(gateway, TestGateway.bank, companies).compactMap { $0["ref"] as? String }
            #expect(watched.count == 7)
            var pages: [[String]] = []
            var after: String?
            repeat {
                let path = "/v1/watchlist?limit=3" + (after.map { "&after=\($0)" } ?? "")
                let reply = try await gateway.request(.GET, path, identity: gateway.identity(of: TestGateway.bank))
                try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
                pages.append(try #require(reply.json["subjects"] as? [[String: Any]]).compactMap { $0["ref"] as? String })
                let hasMore = try #require(reply.json["has_more"] as? Bool)
                after = hasMore ? try #require(reply.json["next_after"] as? String) : nil
                #expect(hasMore || reply.json["next_after"] is NSNull)
            } while after != nil && pages.count < 10
            #expect(pages.map(\.count) == [3, 3, 1])
            #expect(pages.flatMap { $0 } == watched.sorted())

            for query in ["limit=0", "limit=5001", "limit=x", "after="] {
                let reply = try await gateway.request(.GET, "/v1/watchlist?\(query)", identity: gateway.identity(of: TestGateway.bank))
                #expect(reply.status == 400 && reply.json["field"] as? String == String(query.prefix { $0 != "=" }), "\(query)")
            }
        }
    }

    @Test func invalidWatchRequestsAndCursorsNameTheField() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let cases: [(Data, String)] = [
                (try body([FeedLines.company(1), "91350100M000100Y4Z"]), "subjects[1]"),
                (try body([]), "subjects"),
                (try body(Array(repeating: FeedLines.company(1), count: 10_001)), "subjects"),
                (try body([FeedLines.company(1)], purpose: "credit_approval"), "purpose"),
                (Data("[".utf8), "body"),
            ]
            for (data, field) in cases {
                let reply = try await gateway.request(.POST, "/v1/watchlist", identity: identity, body: data)
                #expect(reply.status == 400 && reply.json["field"] as? String == field, "\(field)")
                #expect(!String(decoding: reply.body, as: UTF8.self).contains("M000100Y4"))
            }
            let feedCursor = try #require(
                try await gateway.request(.GET, "/v1/changes", identity: gateway.identity(of: TestGateway.jointCredit)).json["next_cursor"] as? String)
            for cursor in [feedCursor, "nope"] {
                let reply = try await gateway.request(.GET, "/v1/alerts?since=\(cursor)", identity: identity)
                #expect(reply.status == 400 && reply.json["field"] as? String == "since", "\(cursor)")
            }
        }
    }

    @Test func aWrongTypedMemberIsNamedAndExtraMembersAreAccepted() async throws {
        try await TestGateway.run { gateway in
            let identity = try gateway.identity(of: TestGateway.bank)
            let valid: [String: Any] = ["purpose": "post_loan_monitoring", "subjects": [FeedLines.company(1)]]
            let cases: [([String: Any], String, String)] = [
                (["purpose": 7], "purpose", "purpose must be a string, not a number."),
                (["purpose": NSNull()], "purpose", "purpose is required."),
                (["subjects": FeedLines.company(1)], "subjects", "subjects must be an array of subject identifiers (strings), not a string."),
                (["subjects": [FeedLines.company(1), ["id": FeedLines.company(2)]]], "subjects[1]", "subjects[1] must be a string, not an object."),
            ]
            for (change, field, detail) in cases {
                let data = try JSONSerialization.data(withJSONObject: valid.merging(change) { $1 })
                let reply = try await gateway.request(.POST, "/v1/watchlist", identity: identity, body: data)
                #expect(reply.status == 400 && reply.json["field"] as? String == field, "\(field)")
                #expect(reply.json["detail"] as? String == detail)
            }
            let extra = try JSONSerialization.data(withJSONObject: valid.merging(["portfolio": ["name": "SME", "size": 1]]) { $1 })
            let reply = try await gateway.request(.POST, "/v1/watchlist", identity: identity, body: extra)
            #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            #expect((reply.json["subjects"] as? [[String: Any]])?.count == 1)
        }
    }
}
