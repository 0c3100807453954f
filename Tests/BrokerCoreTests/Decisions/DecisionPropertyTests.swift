import Foundation
import PropertyBased
import Testing
@testable import BrokerCore

/// Properties of the decision engine over random contracts and requests, checked against a plain oracle.
@Suite struct DecisionPropertyTests {
    static let catalog = PolicyFixtures.policies.catalog
    static let purposes = PolicyFixtures.policies.purposes.ids
    static let origin = CivilDate("2026-06-01")!

    struct Request {
        let partner: Int
        let subject: String
        let items: [String]
        let purpose: String
        let consent: Consent?
        let at: Date
        let state: PartnerStatus
        let usage: QuotaUsage?
    }

    struct Scenario {
        let contracts: [Contract]
        let requests: [Request]
    }

    static func scenario(seed: Int) -> Scenario {
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))
        func chance(_ percent: UInt64) -> Bool { rng.next() % 100 < percent }
        func subset(_ values: [String], nonEmpty: Bool) -> [String] {
            let picked = values.filter { _ in chance(50) }
            return picked.isEmpty && nonEmpty ? [values[Int(rng.next() % UInt64(values.count))]] : picked
        }
        func day(within days: Int) -> CivilDate { origin.adding(days: Int(rng.next() % UInt64(2 * days)) - days) }
        let contracts = (0..<Int(1 + rng.next() % 6)).map { index -> Contract in
            let contractPurposes = subset(purposes, nonEmpty: true)
            let grants = catalog.items.reduce(into: [String: ItemGrant]()) { grants, item in
                switch rng.next() % 4 {
                case 0: break
                case 1: grants[item.id] = ItemGrant.none
                case 2: grants[item.id] = .unconditional
                default:
                    grants[item.id] = .conditional(.init(
                        purposes: subset(contractPurposes, nonEmpty: true), consentRequired: chance(70),
                        consentScope: chance(50) ? .item : .category
                    ))
                }
            }
            let from = day(within: 200)
            return Contract(
                partnerID: "p\(index)", legalName: "测试\(index)", kind: .creditAgency, versionLabel: "v\(rng.next() % 9)",
                term: .init(from: from, to: from.adding(days: Int(rng.next() % 400))),
                authentication: .init(certificates: [], apiKeyIDs: []), purposes: contractPurposes.sorted(),
                maskingProfile: ["bank", "standard", "strict"][Int(rng.next() % 3)],
                quotas: .init(perDay: chance(50) ? Int(rng.next() % 100) + 1 : nil, perMonth: chance(50) ? Int(rng.next() % 1_000) + 1 : nil),
                rateLimit: .init(perSecond: 10, burst: 20), prices: .init(perCall: 0, perItem: [:]), grants: grants,
                receipts: chance(20) ? .sm2SM3 : nil
            )
        }
        let itemIDs = catalog.items.map(\.id)
        let requests = (0..<20).map { _ -> Request in
            let at = day(within: 150).start().addingTimeInterval(TimeInterval(rng.next() % 86_400))
            let consent = chance(80) ? Consent(
                id: "c", subject: chance(85) ? "s" : "t", purposes: subset(purposes, nonEmpty: false),
                items: subset(itemIDs, nonEmpty: false), categories: subset(catalog.categories.map(\.id), nonEmpty: false),
                validFrom: at.addingTimeInterval(TimeInterval(Int(rng.next() % 200_000)) - 150_000),
                validTo: at.addingTimeInterval(TimeInterval(Int(rng.next() % 200_000)) - 50_000),
                useLimit: [.once, .times(Int(rng.next() % 5) + 1), .unlimited][Int(rng.next() % 3)],
                usesSoFar: Int(rng.next() % 4), revoked: chance(10), documentDigest: "d"
            ) : nil
            return Request(
                partner: Int(rng.next() % UInt64(contracts.count)), subject: "s",
                items: (0..<Int(1 + rng.next() % 60)).map { _ in itemIDs[Int(rng.next() % UInt64(itemIDs.count))] },
                purpose: purposes[Int(rng.next() % UInt64(purposes.count))], consent: consent, at: at,
                state: chance(10) ? .suspended : .active,
                usage: chance(50) ? QuotaUsage(today: Int(rng.next() % 120), thisMonth: Int(rng.next() % 1_200)) : nil
            )
        }
        return Scenario(contracts: contracts, requests: requests)
    }

    /// Whether `item` should be disclosed, written plainly from the contract and the request.
    static func oracle(_ contract: Contract, _ item: String, _ request: Request) -> Bool {
        guard request.state == .active, contract.term.contains(CivilDate(request.at)) else { return false }
        if let usage = request.usage {
            if let perDay = contract.quotas.perDay, usage.today >= perDay { return false }
            if let perMonth = contract.quotas.perMonth, usage.thisMonth >= perMonth { return false }
        }
        guard contract.purposes.contains(request.purpose) else { return false }
        switch contract.grants[item] {
        case nil, .none?: return false
        case .unconditional?: return true
        case .conditional(let conditions)?:
            guard conditions.purposes.contains(request.purpose) else { return false }
            guard conditions.consentRequired else { return true }
            guard let consent = request.consent else { return false }
            let category = catalog.item(item)!.category
            return !consent.revoked && consent.subject == request.subject
                && consent.validFrom <= request.at && request.at < consent.validTo
                && !consent.useLimit.isExhausted(after: consent.usesSoFar)
                && consent.purposes.contains(request.purpose)
                && (consent.items.contains(item) || conditions.consentScope == .category && consent.categories.contains(category))
        }
    }

    static func decide(_ engine: DecisionEngine, _ scenario: Scenario, _ request: Request) -> Decision {
        engine.decide(DecisionRequest(
            partner: engine.partner(scenario.contracts[request.partner].partnerID)!, subject: request.subject,
            items: request.items.map { engine.item($0)! }, purpose: engine.purpose(request.purpose)!,
            consent: request.consent, at: request.at, partnerState: request.state, quotaUsage: request.usage
        ))
    }

    static func engine(_ contracts: [Contract]) -> DecisionEngine {
        DecisionEngine(contracts: contracts, catalog: catalog, purposes: PolicyFixtures.policies.purposes)
    }

    @Test func disclosedExactlyWhenEveryConditionHolds() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            let scenario = Self.scenario(seed: seed)
            let engine = Self.engine(scenario.contracts)
            for request in scenario.requests {
                let contract = scenario.contracts[request.partner]
                let decision = Self.decide(engine, scenario, request)
                #expect(decision.contractVersion == contract.version)
                for (item, outcome) in zip(request.items, decision.items) {
                    #expect(outcome.isDisclosed == Self.oracle(contract, item, request), "\(item) for \(contract.partnerID)")
                    if case .disclosed(let profile) = outcome { #expect(profile == contract.maskingProfile) }
                }
            }
        }
    }

    @Test func itemsClassedNoneAreNeverDisclosed() async {
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max)) { seed in
            let scenario = Self.scenario(seed: seed)
            let engine = Self.engine(scenario.contracts)
            for request in scenario.requests {
                let grants = scenario.contracts[request.partner].grants
                for (item, outcome) in zip(request.items, Self.decide(engine, scenario, request).items) where grants[item] == ItemGrant.none {
                    #expect(!outcome.isDisclosed)
                    if case .withheld(let reason, let unlock) = outcome, request.state == .active, request.usage == nil,
                       scenario.contracts[request.partner].term.contains(CivilDate(request.at)) {
                        #expect(reason == .noSharing && unlock == .contractChange)
                    }
                }
            }
        }
    }

    @Test func sameInputSameDecision() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...Int.max)) { seed in
            let scenario = Self.scenario(seed: seed)
            let engine = Self.engine(scenario.contracts)
            let recompiled = Self.engine(scenario.contracts.reversed())
            for request in scenario.requests {
                let first = Self.decide(engine, scenario, request)
                #expect(Self.decide(engine, scenario, request) == first)
                #expect(Self.decide(recompiled, scenario, request) == first)
            }
        }
    }
}
