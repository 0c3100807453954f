import Foundation
import Testing
@testable import BrokerCore
import TestSupport

@Suite struct ContractTests {
    func contract(_ partner: String) throws -> Contract {
        let file = "Contracts/\(partner).yaml"
        return try Contract(yaml: Fixtures.text(file), file: file, policies: PolicyFixtures.policies)
    }

    @Test func bankInheritsItsKindDefaults() throws {
        let bank = try contract("bank.jiangsu_bank")
        #expect(bank.maskingProfile == "bank")
        #expect(bank.purposes == ["batch_review", "credit_approval", "post_loan_monitoring", "supply_chain_finance"])
        #expect(bank.quotas == Contract.Quotas(perDay: 200_000, perMonth: 4_000_000))
        // Kind category default (tax) beats the catalog's class; the kind's item entry (person.contact) too.
        #expect(bank.grants["market.tax_paid"] == .conditional(.init(
            purposes: ["credit_approval", "post_loan_monitoring", "batch_review"], consentRequired: true, consentScope: .category
        )))
        #expect(bank.grants["person.contact"] == ItemGrant.none)
        // Fallback `catalog`: a conditional catalog item needs one of the contract's purposes and a consent.
        #expect(bank.grants["market.real_estate"] == .conditional(.init(purposes: bank.purposes, consentRequired: true, consentScope: .item)))
        #expect(bank.grants["enterprise.penalty"] == .unconditional)
        #expect(bank.grants.count == 24)
    }

    @Test func contractEntriesOverrideDefaults() throws {
        let bank = try contract("bank.nanjing_bank")
        #expect(bank.quotas == Contract.Quotas(perDay: 300_000, perMonth: 6_000_000))
        let agency = try contract("agency.cz_lianxin")
        #expect(agency.purposes == ["credit_report", "guarantee_approval"])
        // Fallback `not_in_contract`: an agency gets only what its kind or contract names.
        #expect(agency.grants["market.tax_paid"] == nil)
        #expect(agency.grants["person.contact"] == ItemGrant.none)
        #expect(agency.grants["person.dishonest_debtor"] == .conditional(.init(purposes: agency.purposes, consentRequired: true, consentScope: .item)))
    }

    @Test func versionDigestTracksContent() throws {
        let first = try contract("bank.jiangsu_bank")
        let again = try contract("bank.jiangsu_bank")
        #expect(first.version == again.version)
        #expect(first.version.digest.count == 64)
        let other = try contract("bank.nanjing_bank")
        #expect(first.version.digest != other.version.digest)
        #expect(String(decoding: first.canonicalJSON, as: UTF8.self).hasPrefix(#"{"authentication":{"apiKeyIDs":[],"certificates":["#))
    }

    /// `receipts:` chooses the receipt suite; the default (Ed25519) stays out of the canonical JSON,
    /// so every contract that does not choose keeps the version digest it had before the key existed.
    @Test func receiptsChooseTheSuiteAndOnlyAChoiceOtherThanTheDefaultChangesTheVersion() throws {
        let text = try Fixtures.text("Contracts/bank.jiangsu_bank.yaml")
        let plain = try contract("bank.jiangsu_bank")
        #expect(plain.receiptSuite == .ed25519)
        #expect(!String(decoding: plain.canonicalJSON, as: UTF8.self).contains("receipts"))
        let stated = try Contract(yaml: text + "receipts: ed25519\n", file: "a.yaml", policies: PolicyFixtures.policies)
        #expect(stated.version == plain.version)
        let sm2 = try Contract(yaml: text + "receipts: sm2-sm3\n", file: "b.yaml", policies: PolicyFixtures.policies)
        #expect(sm2.receiptSuite == .sm2SM3)
        #expect(sm2.version.digest != plain.version.digest)
        #expect(String(decoding: sm2.canonicalJSON, as: UTF8.self).contains(#""receipts":"sm2-sm3""#))
        // Stored as JSON and read back (the contract ledger), the choice survives; a row written
        // before the key existed reads as the default.
        #expect(try JSONDecoder().decode(Contract.self, from: sm2.canonicalJSON) == sm2)
        #expect(try JSONDecoder().decode(Contract.self, from: plain.canonicalJSON).receiptSuite == .ed25519)
        #expect(ContractChange.between(old: [plain], new: [sm2]).map(\.description) == [
            "bank.jiangsu_bank changes receipts: ed25519 → sm2-sm3",
        ])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let error = #expect(throws: PolicyError.self) {
            try Contract(yaml: text + "receipts: sm2\n", file: "c.yaml", policies: PolicyFixtures.policies)
        }
        #expect(error?.description == "c.yaml:\(lines): the contract receipts must be one of ed25519, sm2-sm3, not 'sm2'")
    }

    @Test func diffListsGainsAndLossesItemByItem() throws {
        let old = try contract("agency.cz_huixin")
        let new = try Contract(
            yaml: Fixtures.text("Contracts/agency.cz_huixin.yaml")
                .replacingOccurrences(of: "quotas: { per_day: 1000, per_month: 20000 }", with: "quotas: { per_day: 2000, per_month: 20000 }")
                + "purposes: [credit_report, guarantee_approval]\nitems:\n  market.tax_paid: { class: conditional, consent: required }\n  enterprise.penalty: none\n",
            file: "new.yaml", policies: PolicyFixtures.policies
        )
        let lines = ContractChange.between(old: [old], new: [new]).map(\.description)
        #expect(lines == [
            "agency.cz_huixin gains purpose guarantee_approval: - → guarantee_approval",
            "agency.cz_huixin gains quota per_day: 1000 → 2000",
            // Conditions that default to the contract's purposes widen with them.
            "agency.cz_huixin gains item enterprise.customs_credit_level: conditional (purposes: credit_report; consent required, category scope) → conditional (purposes: credit_report, guarantee_approval; consent required, category scope)",
            "agency.cz_huixin loses item enterprise.penalty: unconditional → none",
            "agency.cz_huixin gains item enterprise.tax_credit_level: conditional (purposes: credit_report; consent required, category scope) → conditional (purposes: credit_report, guarantee_approval; consent required, category scope)",
            "agency.cz_huixin gains item market.tax_paid: not_in_contract → conditional (purposes: credit_report, guarantee_approval; consent required, item scope)",
            "agency.cz_huixin gains item person.dishonest_debtor: conditional (purposes: credit_report; consent required, item scope) → conditional (purposes: credit_report, guarantee_approval; consent required, item scope)",
            "agency.cz_huixin gains item person.major_tax_violation: conditional (purposes: credit_report; consent required, item scope) → conditional (purposes: credit_report, guarantee_approval; consent required, item scope)",
        ])
        #expect(ContractChange.between(old: [old], new: []).map(\.effect) == [.loses])
    }
}
