import BrokerCore
import Foundation
import Gateway
import Testing

/// `GET /v1/changes` over real TLS with real ingest: resumable from every cursor, removals for
/// records no longer disclosable, only the items the joint-credit contract covers, persons only
/// under the partner's reference.
@Suite(.serialized) struct ChangeFeedEndToEndTests {
    /// A page of the feed: its changes (each re-encoded with sorted keys, for comparison) and cursor.
    struct Page {
        let changes: [[String: Any]]
        let nextCursor: String
        let hasMore: Bool

        var encoded: [String] { changes.map(Page.encode) }

        static func encode(_ change: [String: Any]) -> String {
            String(decoding: try! JSONSerialization.data(withJSONObject: change, options: .sortedKeys), as: UTF8.self)
        }

        /// What a consumer holds after applying `changes` to `store`: upserts stored, removals deleted.
        static func apply(_ changes: [[String: Any]], to store: inout [String: String]) {
            for change in changes {
                let key = "\(change["source"] ?? "")/\(change["source_record_id"] ?? "")"
                store[key] = change["op"] as? String == "upsert" ? encode(change) : nil
            }
        }
    }

    private func page(_ gateway: TestGateway, since cursor: String?, limit: Int) async throws -> Page {
        var path = "/v1/changes?limit=\(limit)"
        if let cursor { path += "&since=\(cursor)" }
        let reply = try await gateway.request(.GET, path, identity: gateway.identity(of: TestGateway.jointCredit))
        try #require(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        #expect(reply.headers.first(name: Receipt.headerName) != nil)
        return Page(
            changes: try #require(reply.json["changes"] as? [[String: Any]]),
            nextCursor: try #require(reply.json["next_cursor"] as? String), hasMore: try #require(reply.json["has_more"] as? Bool)
        )
    }

    /// Every change after `cursor`, paging `limit` at a time, and the cursor after each page.
    private func readToEnd(_ gateway: TestGateway, since cursor: String?, limit: Int) async throws -> (changes: [String], cursors: [String]) {
        var cursor = cursor
        var changes: [String] = []
        var cursors: [String] = []
        while true {
            let page = try await page(gateway, since: cursor, limit: limit)
            changes += page.encoded
            cursors.append(page.nextCursor)
            cursor = page.nextCursor
            if !page.hasMore { return (changes, cursors) }
        }
    }

    @Test func resumedFromEveryCursorTheFeedNeitherSkipsNorRepeats() async throws {
        try await TestGateway.run { gateway in
            let (a, b, c) = (FeedLines.company(1), FeedLines.company(2), FeedLines.company(3))
            try await gateway.ingest([
                FeedLines.registration(a, id: "REG-A"), FeedLines.penalty(a, id: "PEN-A"),
                FeedLines.registration(b, id: "REG-B"), FeedLines.taxCreditLevel(b, id: "TCL-B", level: "A"),
            ])
            // A consumer reads two at a time while the source keeps changing between its reads.
            var store: [String: String] = [:]
            let more: [[String]] = [
                [FeedLines.penalty(c, id: "PEN-C"), FeedLines.event("repaired", item: "enterprise.penalty", subject: a, id: "PEN-A")],
                [FeedLines.taxCreditLevel(b, id: "TCL-B", level: "B"), FeedLines.registration(c, id: "REG-C")],
                [FeedLines.event("disputed", item: "enterprise.registration", subject: b, id: "REG-B")],
            ]
            var cursor: String?
            for lines in more {
                let page = try await page(gateway, since: cursor, limit: 2)
                Page.apply(page.changes, to: &store)
                cursor = page.nextCursor
                try await gateway.ingest(lines)
            }
            while true {
                let page = try await page(gateway, since: cursor, limit: 2)
                Page.apply(page.changes, to: &store)
                cursor = page.nextCursor
                if !page.hasMore { break }
            }

            // One change at a time from the start: the full list, and a cursor after each change.
            let full = try await readToEnd(gateway, since: nil, limit: 1)
            #expect(full.changes.count == 6)
            #expect(Set(full.changes).count == full.changes.count)
            #expect(try await readToEnd(gateway, since: nil, limit: 5_000).changes == full.changes)
            // The consumer that read along holds exactly what a fresh reader holds.
            var expected: [String: String] = [:]
            Page.apply(full.changes.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }, to: &expected)
            #expect(store == expected)
            #expect(expected.count == 5)
            // Resumed from every cursor, in pages of three: exactly the rest of the list.
            for (position, cursor) in full.cursors.enumerated() {
                let rest = try await readToEnd(gateway, since: cursor, limit: 3)
                #expect(rest.changes == Array(full.changes.dropFirst(position + 1)), "resumed after change \(position + 1)")
            }
        }
    }

    @Test func aRepairedRecordArrivesAsARemoval() async throws {
        try await TestGateway.run { gateway in
            let company = FeedLines.company(7)
            try await gateway.ingest([FeedLines.penalty(company, id: "PEN-7")])
            let first = try await page(gateway, since: nil, limit: 10)
            #expect(first.changes.map { $0["op"] as? String } == ["upsert"])
            #expect((first.changes[0]["fields"] as? [String: Any])?["decision_no"] as? String == "罚-PEN-7")

            try await gateway.ingest([FeedLines.event("repaired", item: "enterprise.penalty", subject: company, id: "PEN-7")])
            let next = try await page(gateway, since: first.nextCursor, limit: 10)
            let removal = try #require(next.changes.first)
            #expect(next.changes.count == 1)
            #expect(removal["op"] as? String == "remove")
            #expect(removal["reason"] as? String == "repaired")
            #expect(removal["source_record_id"] as? String == "PEN-7")
            #expect(removal["subject_ref"] as? String == first.changes[0]["subject_ref"] as? String)
            #expect(removal["fields"] == nil)
            #expect(try await page(gateway, since: next.nextCursor, limit: 10).changes.isEmpty)
        }
    }

    @Test func theFeedCarriesOnlyCoveredItemsAndNeverAnIDNumber() async throws {
        try await TestGateway.run { gateway in
            let company = FeedLines.company(8)
            try await gateway.ingest([
                FeedLines.registration(company, id: "REG-8"), FeedLines.taxCreditLevel(company, id: "TCL-8", level: "A"),
                FeedLines.personDebtor(id: "DD-1"), FeedLines.personContact(id: "PC-1"),
                FeedLines.penalty(company, id: "PEN-OLD", severity: "minor", age: 200),
            ])
            try await gateway.ingest([FeedLines.taxPaid(company, id: "TAX-8")], source: "sushu_tax")
            let reply = try await gateway.request(.GET, "/v1/changes", identity: gateway.identity(of: TestGateway.jointCredit))
            #expect(reply.status == 200)
            let changes = try #require(reply.json["changes"] as? [[String: Any]])
            let items = changes.map { $0["item"] as? String ?? "" }
            #expect(Set(items) == ["enterprise.registration", "enterprise.tax_credit_level", "person.dishonest_debtor", "enterprise.penalty"])
            let text = String(decoding: reply.body, as: UTF8.self)
            #expect(!text.contains(FeedLines.person) && !text.contains("13812345678"))
            let debtor = try #require(changes.first { $0["item"] as? String == "person.dishonest_debtor" })
            #expect(debtor["uscc"] == nil && (debtor["subject_ref"] as? String)?.count == 64)
            #expect((debtor["fields"] as? [String: Any])?["name"] as? String == "李*")
            let registration = try #require(changes.first { $0["item"] as? String == "enterprise.registration" })
            #expect(registration["uscc"] as? String == company)
            // The strict profile hides the legal representative's ID number entirely.
            #expect((registration["fields"] as? [String: Any])?["legal_representative_id"] as? String == "******")
            // A penalty whose disclosure period has ended goes out as a removal.
            let old = try #require(changes.first { $0["source_record_id"] as? String == "PEN-OLD" })
            #expect(old["op"] as? String == "remove" && old["reason"] as? String == "expired")
        }
    }

    @Test func onlyTheJointCreditCompanyGetsTheFeedAndBadCursorsNameTheField() async throws {
        try await TestGateway.run { gateway in
            let bank = try await gateway.request(.GET, "/v1/changes", identity: gateway.identity(of: TestGateway.bank))
            #expect(bank.status == 403)
            #expect(bank.headers.first(name: "Content-Type") == "application/problem+json")
            #expect(bank.json["type"] as? String == Problem.typeBase + "feed-not-in-contract")

            let identity = try gateway.identity(of: TestGateway.jointCredit)
            let start = try await gateway.request(.GET, "/v1/changes", identity: identity)
            let good = try #require(start.json["next_cursor"] as? String)
            let alertCursor = try #require(
                try await gateway.request(.GET, "/v1/alerts", identity: gateway.identity(of: TestGateway.bank)).json["next_cursor"] as? String)
            for cursor in ["abc", "%20", String(good.dropLast()), good + "A", alertCursor, "_____________"] {
                let reply = try await gateway.request(.GET, "/v1/changes?since=\(cursor)", identity: identity)
                #expect(reply.status == 400, "\(cursor)")
                #expect(reply.json["field"] as? String == "since")
                #expect(reply.json["type"] as? String == Problem.typeBase + "invalid-cursor")
            }
            for limit in ["0", "5001", "ten"] {
                let reply = try await gateway.request(.GET, "/v1/changes?limit=\(limit)", identity: identity)
                #expect(reply.status == 400 && reply.json["field"] as? String == "limit", "\(limit)")
            }
        }
    }
}
