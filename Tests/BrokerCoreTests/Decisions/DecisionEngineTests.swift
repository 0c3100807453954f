import Foundation
import Testing
@testable import BrokerCore

@Suite struct DecisionEngineTests {
    let engine: DecisionEngine
    let now = CivilDate("2026-11-30")!.start().addingTimeInterval(10 * 3_600)
    let subject = "91320100MA1XXXXX0X"

    init() throws {
        let set = try ContractSet(files: PolicyFixtures.shippedContracts(), policies: PolicyFixtures.policies)
        engine = DecisionEngine(contracts: set.governing(on: CivilDate("2026-11-30")!), catalog: PolicyFixtures.policies.catalog, purposes: PolicyFixtures.policies.purposes)
    }

    func consent(items: [String] = [], categories: [String] = [], purposes: [String] = ["credit_approval"]) -> Consent {
        Consent(
            id: "c-1", subject: subject, purposes: purposes, items: items, categories: categories,
            validFrom: now.addingTimeInterval(-86_400), validTo: now.addingTimeInterval(86_400), useLimit: .unlimited,
            documentDigest: String(repeating: "a", count: 64)
        )
    }

    func decide(
        _ partner: String, _ items: [String], purpose: String = "credit_approval", consent: Consent? = nil,
        at: Date? = nil, state: PartnerStatus = .active, usage: QuotaUsage? = nil
    ) -> [ItemDecision] {
        let request = DecisionRequest(
            partner: engine.partner(partner)!, subject: subject, items: items.map { engine.item($0)! },
            purpose: engine.purpose(purpose)!, consent: consent, at: at ?? now, partnerState: state, quotaUsage: usage
        )
        let decision = engine.decide(request)
        // A consent compiled once decides the same as the request's own.
        #expect(engine.decide(request, consent: consent.map(engine.compile)) == decision)
        return decision.items
    }

    @Test func unconditionalAndNoneAndNotInContract() {
        #expect(decide("bank.jiangsu_bank", ["enterprise.penalty", "person.contact"]) == [
            .disclosed(maskingProfile: "bank"), .withheld(.noSharing, unlock: .contractChange),
        ])
        #expect(decide("agency.cz_huixin", ["market.tax_paid"], purpose: "credit_report") == [.withheld(.notInContract, unlock: .contractChange)])
    }

    @Test func purposeOutsideTheContract() {
        #expect(decide("agency.cz_huixin", ["enterprise.penalty"], purpose: "credit_approval") == [.withheld(.purposeNotAllowed, unlock: .contractChange)])
        // Bank tax data is conditional on three of the bank's four purposes.
        #expect(decide("bank.jiangsu_bank", ["market.tax_paid"], purpose: "supply_chain_finance", consent: consent(items: ["market.tax_paid"], purposes: ["supply_chain_finance"]))
            == [.withheld(.purposeNotAllowed, unlock: .contractChange)])
    }

    @Test func consentConditions() {
        let unlock = Unlock.consent(item: "market.tax_paid", purpose: "credit_approval")
        #expect(unlock.text == "a consent covering market.tax_paid for purpose credit_approval")
        let tax = ["market.tax_paid"]
        #expect(decide("bank.jiangsu_bank", tax) == [.withheld(.consentMissing, unlock: unlock)])
        #expect(decide("bank.jiangsu_bank", tax, consent: consent(items: tax)) == [.disclosed(maskingProfile: "bank")])
        // The bank's tax cells accept a consent naming the category.
        #expect(decide("bank.jiangsu_bank", tax, consent: consent(categories: ["tax"])) == [.disclosed(maskingProfile: "bank")])
        // Real estate falls back to the catalog class: its consent must name the item itself.
        #expect(decide("bank.jiangsu_bank", ["market.real_estate"], consent: consent(categories: ["assets"]))
            == [.withheld(.consentOutOfScope, unlock: .consent(item: "market.real_estate", purpose: "credit_approval"))])
        #expect(decide("bank.jiangsu_bank", tax, consent: consent(items: tax, purposes: ["batch_review"])) == [.withheld(.consentOutOfScope, unlock: unlock)])
        var revoked = consent(items: tax)
        revoked.revoked = true
        #expect(decide("bank.jiangsu_bank", tax, consent: revoked) == [.withheld(.consentMissing, unlock: unlock)])
        var otherSubject = consent(items: tax)
        otherSubject.subject = "91320100MA1YYYYY0Y"
        #expect(decide("bank.jiangsu_bank", tax, consent: otherSubject) == [.withheld(.consentMissing, unlock: unlock)])
        var used = consent(items: tax)
        used.useLimit = .times(3)
        used.usesSoFar = 3
        #expect(decide("bank.jiangsu_bank", tax, consent: used) == [.withheld(.consentExhausted, unlock: unlock)])
        used.usesSoFar = 2
        #expect(decide("bank.jiangsu_bank", tax, consent: used) == [.disclosed(maskingProfile: "bank")])
    }

    @Test func consentValidityBoundaries() {
        let tax = ["market.tax_paid"]
        let granted = consent(items: tax)
        #expect(decide("bank.jiangsu_bank", tax, consent: granted, at: granted.validTo.addingTimeInterval(-1)) == [.disclosed(maskingProfile: "bank")])
        #expect(decide("bank.jiangsu_bank", tax, consent: granted, at: granted.validTo).first == .withheld(.consentExpired, unlock: .consent(item: "market.tax_paid", purpose: "credit_approval")))
        #expect(decide("bank.jiangsu_bank", tax, consent: granted, at: granted.validFrom) == [.disclosed(maskingProfile: "bank")])
        #expect(decide("bank.jiangsu_bank", tax, consent: granted, at: granted.validFrom.addingTimeInterval(-1)).first?.isDisclosed == false)
    }

    @Test func requestLevelReasonsWithholdEveryItem() {
        let items = ["enterprise.penalty", "market.tax_paid"]
        #expect(decide("bank.jiangsu_bank", items, state: .suspended) == Array(repeating: .withheld(.partnerSuspended, unlock: .reinstatement), count: 2))
        #expect(decide("bank.jiangsu_bank", items, usage: QuotaUsage(today: 200_000, thisMonth: 300_000))
            == Array(repeating: .withheld(.quotaExhausted, unlock: .nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!)), count: 2))
        #expect(decide("bank.jiangsu_bank", items, usage: QuotaUsage(today: 0, thisMonth: 4_000_000)).first
            == .withheld(.quotaExhausted, unlock: .nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!)))
        #expect(Unlock.nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!).text == "the next quota period starting 2026-12-01")
        #expect(decide("bank.jiangsu_bank", ["enterprise.penalty"], usage: QuotaUsage(today: 199_999, thisMonth: 0)) == [.disclosed(maskingProfile: "bank")])
    }

    @Test func contractTermBoundaries() {
        // agency.cz_huixin: term 2026-01-01 … 2026-12-31 (China time).
        let lastMoment = CivilDate("2027-01-01")!.start().addingTimeInterval(-1)
        #expect(decide("agency.cz_huixin", ["enterprise.penalty"], purpose: "credit_report", at: lastMoment) == [.disclosed(maskingProfile: "standard")])
        #expect(decide("agency.cz_huixin", ["enterprise.penalty"], purpose: "credit_report", at: lastMoment.addingTimeInterval(1))
            == [.withheld(.contractNotActive, unlock: .contractChange)])
        // agency.ha_huaxin's term starts 2026-07-01: before it, that start is what unlocks.
        let early = CivilDate("2026-06-30")!.start()
        #expect(decide("agency.ha_huaxin", ["enterprise.penalty"], purpose: "credit_report", at: early)
            == [.withheld(.contractNotActive, unlock: .contractTerm(startsOn: CivilDate("2026-07-01")!))])
    }

    @Test func decisionCitesTheContractVersion() throws {
        let partner = try #require(engine.partner("bank.jiangsu_bank"))
        let request = DecisionRequest(partner: partner, subject: subject, items: engine.allItems, purpose: engine.purpose("credit_approval")!, at: now)
        let decision = engine.decide(request)
        #expect(decision.contractVersion.label == "2026-11-01.1")
        #expect(decision.contractVersion == engine.contractVersion(of: partner))
        #expect(decision.items.count == 24)
    }
}
