import Billing
@testable import BrokerCore
import BrokerStore
import Crypto
import Formats
import Foundation
import PostgresClient
import Testing

/// Corrections as adjustments (four eyes, carried once by the next statement) and the usage export
/// with its manifest.
@Suite struct AdjustmentAndExportTests {
    static let system = ChangeActor(fingerprint: String(repeating: "1", count: 64), subject: "CN=System Administrator,OU=admin-system,O=Test,C=CN")
    static let security = ChangeActor(fingerprint: String(repeating: "2", count: 64), subject: "CN=Security Administrator,OU=admin-security,O=Test,C=CN")

    @Test func anApprovedAdjustmentIsALineOfTheNextStatementOnceWithItsReasonAndApprover() async throws {
        let pool = try await BillingFixtures.database()
        let store = BillingStore(pool: pool)
        let (november, december) = (CivilMonth("2027-11")!, CivilMonth("2027-12")!)
        let contract = BillingFixtures.contract(partner: "agency.adjusted", label: "v1", month: november, prices: .init(perCall: 10, perItem: [:]))
        try await BillingFixtures.activate(contract, from: november.start.addingTimeInterval(-86_400), pool: pool)
        try await BillingFixtures.insert([
            .init(partner: "agency.adjusted", requestID: "a1", route: "POST /v1/queries", status: 200, disclosed: ["enterprise.registration"],
                  occurredAt: november.start.addingTimeInterval(60), contract: contract),
        ], pool: pool)
        func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T { try await pool.transaction(body) }

        // Only a closed month is corrected.
        await #expect(throws: BillingError.self) {
            try await transaction { try await BillingStore.proposeAdjustment(
                partner: "agency.adjusted", corrects: november, amount: Money(fen: -5), reason: "x", by: Self.system, at: BillingFixtures.now, on: $0
            ) }
        }
        _ = try await store.close(november, by: .commandLine, at: BillingFixtures.now)
        let credit = try await transaction { try await BillingStore.proposeAdjustment(
            partner: "agency.adjusted", corrects: november, amount: Money(fen: -7), reason: "call a1 answered twice by mistake",
            by: Self.system, at: BillingFixtures.now, on: $0
        ) }
        let rejected = try await transaction { try await BillingStore.proposeAdjustment(
            partner: "agency.adjusted", corrects: november, amount: Money(fen: 9_900), reason: "typo", by: Self.system, at: BillingFixtures.now, on: $0
        ) }
        // The proposer does not decide; a decision is made once.
        do {
            _ = try await transaction { try await BillingStore.decideAdjustment(credit.id, approve: true, reason: "", by: Self.system, at: BillingFixtures.now, on: $0) }
            Issue.record("the proposer approved their own adjustment")
        } catch let error as BillingError {
            #expect(error.code == .ownAdjustment)
        }
        let approved = try await transaction { try await BillingStore.decideAdjustment(
            credit.id, approve: true, reason: "checked against the partner's log", by: Self.security, at: BillingFixtures.now, on: $0
        ) }
        #expect(approved.status == .approved && approved.decidedBy?.subject == Self.security.subject)
        _ = try await transaction { try await BillingStore.decideAdjustment(rejected.id, approve: false, reason: "wrong amount", by: Self.security, at: BillingFixtures.now, on: $0) }
        do {
            _ = try await transaction { try await BillingStore.decideAdjustment(credit.id, approve: false, reason: "again", by: Self.security, at: BillingFixtures.now, on: $0) }
            Issue.record("an adjustment was decided twice")
        } catch let error as BillingError {
            #expect(error.code == .alreadyDecided)
        }

        // November's statement is as it was; December's carries the approved credit, and only it.
        _ = try await store.close(december, by: .commandLine, at: BillingFixtures.now.addingTimeInterval(1))
        let statement = try Statement(document: try #require(try await store.statement(partner: "agency.adjusted", month: december)).document)
        let lines = statement.lines.filter { $0.kind == .adjustment }
        #expect(lines.count == 1)
        #expect(lines.first?.amount == Money(fen: -7) && lines.first?.corrects == november && lines.first?.adjustment == credit.id)
        #expect(lines.first?.reason == "call a1 answered twice by mistake" && lines.first?.approvedBy == Self.security.subject)
        #expect(statement.total == Money(fen: -7))
        let listed = try await store.adjustments(partner: "agency.adjusted", status: nil, limit: 10)
        #expect(listed.first { $0.id == credit.id }?.carriedBy == december)
        #expect(listed.first { $0.id == rejected.id }?.carriedBy == nil)
        // Carried once: the database refuses to move it to another statement or to change it.
        await #expect(throws: PostgresError.self) {
            try await pool.query("UPDATE billing_adjustments SET amount_fen = 1 WHERE id = \(credit.id)")
        }
        await pool.close()
    }

    @Test func theExportsManifestCountsAndHashesExactlyItsBytesInEitherFormatAndNamesNoSubject() async throws {
        let pool = try await BillingFixtures.database()
        let month = CivilMonth("2027-08")!
        let contract = BillingFixtures.contract(partner: "agency.export", label: "v1", month: month, prices: .init(perCall: 10, perItem: [:]))
        try await BillingFixtures.activate(contract, from: month.start.addingTimeInterval(-86_400), pool: pool)
        var events: [BillingFixtures.Event] = []
        for index in 0..<23 {
            events.append(.init(
                partner: "agency.export", requestID: "ex-\(index)", route: index % 5 == 4 ? "GET /v1/usage" : "POST /v1/queries",
                status: index % 7 == 6 ? 400 : 200, disclosed: index % 3 == 0 ? [] : ["enterprise.registration", "enterprise.penalty"],
                withheld: index % 3 == 0 ? ["market.litigation"] : [], occurredAt: month.start.addingTimeInterval(Double(index) * 3_600 + 0.125),
                contract: contract
            ))
        }
        // Another partner's event and one of the day after: neither is exported.
        events.append(.init(partner: "agency.other", requestID: "other", route: "POST /v1/queries", status: 200, disclosed: ["enterprise.registration"],
                            occurredAt: month.start.addingTimeInterval(60), contract: contract))
        events.append(.init(partner: "agency.export", requestID: "later", route: "POST /v1/queries", status: 200, disclosed: ["enterprise.registration"],
                            occurredAt: month.start.addingTimeInterval(86_400 * 3), contract: contract))
        try await BillingFixtures.insert(events, pool: pool)
        let exported = events.prefix(23)
        let export = UsageExport(pool: pool, pageSize: 5)
        let (from, to) = (month.firstDay, month.firstDay.adding(days: 1))
        for format in UsageExport.Format.allCases {
            var bytes: [UInt8] = []
            var chunks = 0
            let manifest = try await export.write(partner: "agency.export", from: from, to: to, format: format) { chunk in
                bytes += chunk
                chunks += 1
            }
            #expect(chunks > 2, "written a page at a time")
            #expect(manifest.count == exported.count && manifest.bytes == bytes.count)
            #expect(manifest.sha256 == SHA256.hash(data: bytes).lowercaseHex)
            #expect(manifest.sums.itemsDisclosed == exported.reduce(0) { $0 + $1.disclosed.count })
            #expect(manifest.sums.itemsWithheld == exported.reduce(0) { $0 + $1.withheld.count })
            #expect(manifest.sums.responseBytes == 512 * exported.count)
            #expect(manifest.sums.billed == exported.filter { BillingRules.unbilled(route: $0.route, status: $0.status, disclosed: $0.disclosed.count) == nil }.count)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("agency.other") && !text.contains("\"later\"") && !text.contains(",later,"))
            switch format {
            case .csv:
                let table = try CSVTable(parsing: text)
                #expect(table.header == UsageExport.columns)
                #expect(table.rows.map { $0[0] } == exported.map(\.requestID))
                #expect(table.rows[1][1] == "2027-08-01T01:00:00.125000+08:00")
                #expect(table.rows[1][5] == "enterprise.registration enterprise.penalty")
                #expect(table.rows[0][6] == "market.litigation:not_in_contract")
            case .ndjson:
                let lines = text.split(separator: "\n")
                #expect(lines.count == exported.count)
                let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
                #expect(first["items_disclosed"] as? [String] == ["enterprise.registration", "enterprise.penalty"])
                #expect(first["billed"] as? Bool == true && first["subject_hash"] as? String == String(repeating: "ab", count: 32))
                #expect(Set(first.keys) == Set(UsageExport.columns))
            }
        }
        #expect(throws: UsageExport.Refusal.self) { try UsageExport.check(from: to, to: from) }
        #expect(throws: UsageExport.Refusal.self) { try UsageExport.check(from: from, to: from.adding(days: 366)) }
        // Days PostgreSQL's timestamps cannot hold are refused, not a server error.
        let ancient = #expect(throws: UsageExport.Refusal.self) { try UsageExport.check(from: CivilDate("0000-01-01")!, to: CivilDate("0000-01-02")!) }
        #expect(ancient?.field == "from" && ancient?.reason == "from must not be before 1970-01-01")
        #expect(throws: UsageExport.Refusal.self) { try UsageExport.check(from: CivilDate("9999-12-31")!, to: CivilDate("9999-12-31")!) }
        await pool.close()
    }
}
