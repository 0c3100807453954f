import Billing
@testable import BrokerCore
import BrokerStore
import Foundation
import PostgresClient
import PropertyBased
import Testing

/// For random meter histories and plan changes, a closed month's statements equal a plain recount
/// written from the rule (`BillingRules`) and the ledger's rule for which version governs when
/// (`ContractLedger.governing(at:)`), exactly, in fen; what is closed never changes.
@Suite struct StatementPropertyTests {
    static let routes = BillingRules.callRoutes + [BillingRules.batchRoute, "GET /v1/usage", "POST /v1/consents"]
    static let statuses = [200, 200, 200, 200, 201, 400, 403, 404, 429, 503]

    /// A partner's versions (a plan change is a new version taking effect inside the month) and events.
    struct History {
        let month: CivilMonth
        let partners: [String]
        let versions: [ContractLedger.Version]
        let events: [BillingFixtures.Event]
    }

    static func prices(_ rng: inout SplitMix64) -> Contract.Prices {
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        func fen(_ most: UInt64) -> Int { Int(rng.next() % (most + 1)) }
        let free = chance(40) ? Int(1 + rng.next() % 8) : nil
        var tiers: [Contract.Prices.Tier] = []
        var from = (free ?? 0) + 1
        for _ in 0..<Int(rng.next() % 4) {
            from += Int(1 + rng.next() % 12)
            tiers.append(.init(from: from, perCall: fen(30)))
        }
        var perItem: [String: Int] = [:]
        for item in BillingFixtures.items where chance(50) { perItem[item] = fen(80) }
        return Contract.Prices(
            perCall: fen(50), perItem: perItem, perBatchSubject: chance(60) ? fen(20) : nil, freeCalls: free, tiers: tiers
        )
    }

    static func history(seed: Int, month: CivilMonth, partners: [String]) -> History {
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        let milliseconds = Int64(month.end.timeIntervalSince(month.start) * 1_000)
        func instant(_ offset: Int64) -> Date { Date(timeIntervalSince1970: month.start.timeIntervalSince1970 + Double(offset) / 1_000) }
        var versions: [ContractLedger.Version] = []
        var events: [BillingFixtures.Event] = []
        var id: Int64 = 0
        for partner in partners {
            // The first version takes effect before the month; up to two plan changes within it.
            var changes = [instant(-5 * 86_400_000)]
            for _ in 0..<Int(rng.next() % 3) { changes.append(instant(Int64(rng.next() % UInt64(milliseconds)))) }
            for (index, effective) in changes.sorted().enumerated() {
                id += 1
                let contract = BillingFixtures.contract(partner: partner, label: "v\(index + 1)", month: month, prices: prices(&rng))
                versions.append(ContractLedger.Version(id: id, contract: contract, effectiveFrom: effective))
            }
        }
        let ledger = ContractLedger(versions: versions)
        var instants: [Int64] = []
        for number in 0..<Int(40 + rng.next() % 160) {
            // Some instants repeat (ties are broken by the ledger's order), a few fall just outside the month.
            let offset: Int64 = chance(10) && !instants.isEmpty ? instants[Int(rng.next() % UInt64(instants.count))]
                : chance(4) ? (chance(50) ? -Int64(1 + rng.next() % 3_600_000) : milliseconds + Int64(rng.next() % 3_600_000))
                : Int64(rng.next() % UInt64(milliseconds))
            instants.append(offset)
            let partner = partners[Int(rng.next() % UInt64(partners.count))]
            let at = instant(offset)
            let governing = ledger.governing(at: at).first { $0.contract.partnerID == partner }!.contract
            let disclosed = BillingFixtures.items.filter { _ in chance(35) }
            events.append(BillingFixtures.Event(
                partner: partner, requestID: "rq-\(seed)-\(number)", route: routes[Int(rng.next() % UInt64(routes.count))],
                status: statuses[Int(rng.next() % UInt64(statuses.count))], disclosed: disclosed,
                withheld: BillingFixtures.items.filter { !disclosed.contains($0) && chance(30) }, occurredAt: at, contract: governing
            ))
        }
        return History(month: month, partners: partners, versions: versions, events: events)
    }

    /// What a statement's lines come to, keyed so that the recount needs no band names: calls by
    /// route, version and price; items by route, version and item; batch subjects by route and version.
    struct Tally: Equatable {
        var lines: [String: (quantity: Int, fen: Int64)] = [:]
        var total: Int64 = 0
        var billed = 0
        var unbilled = 0

        mutating func add(_ key: String, _ quantity: Int, _ fen: Int64) {
            let old = lines[key] ?? (0, 0)
            lines[key] = (old.quantity + quantity, old.fen + fen)
            total += fen
        }

        static func == (a: Tally, b: Tally) -> Bool {
            a.total == b.total && a.billed == b.billed && a.unbilled == b.unbilled && a.lines.count == b.lines.count
                && a.lines.allSatisfy { key, value in b.lines[key].map { $0.quantity == value.quantity && $0.fen == value.fen } ?? false }
        }
    }

    /// The recount, event by event in the order answered, from the rule written out plainly.
    static func recount(_ history: History, partner: String) -> Tally {
        let ledger = ContractLedger(versions: history.versions)
        var tally = Tally()
        var calls = 0
        let events = history.events.enumerated()
            .filter { $0.element.partner == partner && history.month.contains($0.element.occurredAt) }
            .sorted { ($0.element.occurredAt, $0.offset) < ($1.element.occurredAt, $1.offset) }
            .map(\.element)
        for event in events {
            let contract = ledger.governing(at: event.occurredAt).first { $0.contract.partnerID == partner }!.contract
            let version = contract.version.description
            let priced = BillingRules.callRoutes.contains(event.route) || event.route == BillingRules.batchRoute
            guard (200...299).contains(event.status), priced, !event.disclosed.isEmpty else {
                tally.unbilled += 1
                continue
            }
            tally.billed += 1
            if event.route == BillingRules.batchRoute {
                tally.add("subjects \(event.route) \(version)", 1, Int64(contract.prices.perBatchSubject ?? 0))
            } else {
                calls += 1
                // The price of the month's call number `calls`: free, then per_call, then the last tier reached.
                var price = contract.prices.perCall
                for tier in contract.prices.tiers ?? [] where tier.from <= calls { price = tier.perCall }
                if let free = contract.prices.freeCalls, calls <= free { price = 0 }
                tally.add("calls \(event.route) \(version) \(price)", 1, Int64(price))
            }
            for item in event.disclosed {
                tally.add("items \(event.route) \(version) \(item)", 1, Int64(contract.prices.perItem[item] ?? 0))
            }
        }
        return tally
    }

    /// A statement's lines under the recount's keys.
    static func tally(_ statement: Statement) -> Tally {
        var tally = Tally()
        for line in statement.lines {
            let version = line.contractVersion ?? ""
            switch line.kind {
            case .calls: tally.add("calls \(line.route!) \(version) \(line.unitPrice!.fen)", line.quantity, line.amount.fen)
            case .items: tally.add("items \(line.route!) \(version) \(line.item!)", line.quantity, line.amount.fen)
            case .batchSubjects: tally.add("subjects \(line.route!) \(version)", line.quantity, line.amount.fen)
            case .adjustment: tally.add("adjustment \(line.adjustment!)", 1, line.amount.fen)
            }
        }
        tally.billed = statement.calls.billed
        tally.unbilled = statement.calls.unbilled
        return tally
    }

    @Test func statementsEqualARecountEventByEventAndNeverBillWhatTheRuleDoesNot() async throws {
        let pool = try await BillingFixtures.database()
        let store = BillingStore(pool: pool)
        var round = 0
        await propertyCheck(count: 25, input: Gen.int(in: 0...Int.max)) { seed in
            round += 1
            // A month of its own for each history, later each time (months close in order).
            let month = CivilMonth(CivilDate(year: 2027, month: 1, day: 1)!).adding(months: 2 * round)
            let partners = (0..<Int(1 + seed % 3)).map { "agency.p\(round)_\($0)" }
            let history = Self.history(seed: seed, month: month, partners: partners)
            for version in history.versions {
                try await BillingFixtures.activate(version.contract, from: version.effectiveFrom, pool: pool)
            }
            try await BillingFixtures.insert(history.events, pool: pool)
            // A few events fall just before the month: their month closes first (months with calls close in order).
            _ = try await store.close(month.previous, by: .commandLine, at: BillingFixtures.now)
            let closing = try await store.close(month, by: .commandLine, at: BillingFixtures.now)
            #expect(!closing.alreadyClosed)
            #expect(Set(closing.statements.map(\.partner)) == Set(partners), "one statement per partner under contract")
            for partner in partners {
                let stored = try #require(try await store.statement(partner: partner, month: month))
                let statement = try Statement(document: stored.document)
                let expected = Self.recount(history, partner: partner)
                #expect(Self.tally(statement) == expected, "seed \(seed), \(partner): \(Self.tally(statement).lines) vs \(expected.lines)")
                #expect(statement.total.fen == expected.total)
                #expect(statement.calls.metered == expected.billed + expected.unbilled)
                let inMonth = history.events.filter { $0.partner == partner && month.contains($0.occurredAt) }
                #expect(statement.events.count == inMonth.count)
                #expect(statement.notBilled.reduce(0) { $0 + $1.calls } == expected.unbilled)
                // Nothing the rule leaves out is billed: no failure, no withheld-only answer, no unpriced route.
                let billedLines = statement.lines.filter { $0.kind == .calls || $0.kind == .batchSubjects }
                #expect(billedLines.allSatisfy { line in BillingRules.callRoutes.contains(line.route!) || line.route == BillingRules.batchRoute })
                #expect(billedLines.reduce(0) { $0 + $1.quantity } == inMonth.filter {
                    BillingRules.unbilled(route: $0.route, status: $0.status, disclosed: $0.disclosed.count) == nil
                }.count)
                #expect(Statement.sha256(of: stored.document) == stored.sha256)
            }
        }
        await pool.close()
    }

    @Test func aClosedStatementNeverChangesAndLateEventsAreCaughtByVerify() async throws {
        let pool = try await BillingFixtures.database()
        let store = BillingStore(pool: pool)
        let month = CivilMonth("2027-03")!
        let history = Self.history(seed: 42, month: month, partners: ["agency.late"])
        for version in history.versions { try await BillingFixtures.activate(version.contract, from: version.effectiveFrom, pool: pool) }
        try await BillingFixtures.insert(history.events, pool: pool)
        _ = try await store.close(month.previous, by: .commandLine, at: BillingFixtures.now)
        _ = try await store.close(month, by: .commandLine, at: BillingFixtures.now)
        let before = try #require(try await store.statement(partner: "agency.late", month: month))
        #expect(try await store.verify(month).allSatisfy(\.intact))

        // An event of the month committed after it closed (which the grace is there to prevent).
        var late = history.events[0]
        late.requestID = "late-1"
        late.occurredAt = month.start.addingTimeInterval(3_600)
        late.status = 200
        late.route = "POST /v1/queries"
        late.disclosed = ["enterprise.registration"]
        late.contract = ContractLedger(versions: history.versions).governing(at: late.occurredAt)[0].contract
        try await BillingFixtures.insert([late], pool: pool)
        let again = try await store.close(month, by: .commandLine, at: BillingFixtures.now)
        #expect(again.alreadyClosed)
        let after = try #require(try await store.statement(partner: "agency.late", month: month))
        #expect(after.document == before.document && after.sha256 == before.sha256)
        let checked = try #require(try await store.verify(month).first)
        #expect(checked.documentIntact && checked.chainIntact && !checked.eventsMatch)

        // The database refuses to rewrite a statement, whoever asks.
        await #expect(throws: PostgresError.self) {
            try await pool.query("UPDATE billing_statements SET total_fen = 0")
        }
        do {
            try await pool.query("DELETE FROM billing_statements")
            Issue.record("a statement was deleted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42501")
        }
        await pool.close()
    }

    @Test func monthsCloseOnlyOnceOverAndInOrderAndChainToThePrevious() async throws {
        let pool = try await BillingFixtures.database()
        let store = BillingStore(pool: pool)
        let (first, second) = (CivilMonth("2027-05")!, CivilMonth("2027-06")!)
        let contract = BillingFixtures.contract(partner: "agency.chain", label: "v1", month: first, prices: .init(perCall: 10, perItem: [:]))
        // A term over both months.
        let both = Contract(
            partnerID: contract.partnerID, legalName: contract.legalName, kind: .creditAgency, versionLabel: "v1",
            term: .init(from: first.firstDay, to: second.lastDay), authentication: contract.authentication, purposes: contract.purposes,
            maskingProfile: contract.maskingProfile, quotas: contract.quotas, rateLimit: contract.rateLimit, prices: contract.prices,
            grants: [:], receipts: nil
        )
        try await BillingFixtures.activate(both, from: first.start.addingTimeInterval(-86_400), pool: pool)
        do {
            _ = try await store.close(first, by: .commandLine, at: first.end.addingTimeInterval(599))
            Issue.record("closed before its grace had passed")
        } catch let error as BillingError {
            #expect(error.code == .monthNotOver && error.field == "month")
        }
        let closedFirst = try await store.close(first, by: .commandLine, at: first.end.addingTimeInterval(600))
        let closedSecond = try await store.close(second, by: .commandLine, at: BillingFixtures.now)
        let earlier = try Statement(document: try #require(try await store.statement(partner: "agency.chain", month: first)).document)
        let later = try Statement(document: try #require(try await store.statement(partner: "agency.chain", month: second)).document)
        #expect(earlier.previousStatement == nil && earlier.total == .zero && earlier.calls.metered == 0)
        #expect(later.previousStatement == closedFirst.statements[0].sha256)
        #expect(closedSecond.statements[0].sha256 != closedFirst.statements[0].sha256)
        do {
            _ = try await store.close(CivilMonth("2027-04")!, by: .commandLine, at: BillingFixtures.now)
            Issue.record("closed a month before a closed one")
        } catch let error as BillingError {
            #expect(error.code == .laterMonthClosed)
        }
        // A call metered in 2027-08 while 2027-07 and 2027-08 are open: closing 2027-09 (or any month
        // far ahead) first would have left it unbillable for good; one request closed 2026-10 and
        // locked out every month before it.
        let call = BillingFixtures.Event(
            partner: "agency.chain", requestID: "rq-august", route: "POST /v1/queries", status: 200, disclosed: ["enterprise.registration"],
            occurredAt: CivilMonth("2027-08")!.start.addingTimeInterval(3_600), contract: both
        )
        try await BillingFixtures.insert([call], pool: pool)
        for ahead in ["2027-09", "2030-01"] {
            do {
                _ = try await store.close(CivilMonth(ahead)!, by: .commandLine, at: BillingFixtures.now)
                Issue.record("closed \(ahead) before 2027-08, which holds a call")
            } catch let error as BillingError {
                #expect(error.code == .earlierMonthOpen && error.field == "month")
                #expect(error.reason.contains("close 2027-08 first"), "\(error.reason)")
            }
        }
        // A month with no call in between may be passed over: 2027-07 had none.
        _ = try await store.close(CivilMonth("2027-08")!, by: .commandLine, at: BillingFixtures.now)
        await pool.close()
    }
}

extension CivilMonth {
    func adding(months: Int) -> CivilMonth { CivilMonth(firstDay.adding(months: months)) }
}
