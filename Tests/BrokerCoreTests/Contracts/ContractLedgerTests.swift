import BrokerCore
import Foundation
import Testing

/// The one rule for which version governs a partner at an instant.
@Suite struct ContractLedgerTests {
    static let policies = PolicyFixtures.policies

    static func contract(_ label: String, from: String, to: String, partner: String = "agency.test_one") throws -> Contract {
        try Contract(yaml: """
            partner: \(partner)
            legal_name: 测试信用管理有限公司
            kind: credit_agency
            version: \(label)
            term: { from: \(from), to: \(to) }
            authentication:
              api_keys: [ak_0123456789abcd\(partner == "agency.test_one" ? "ef" : "ee")]
            """, file: "\(label).yaml", policies: policies)
    }

    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test func theLatestToTakeEffectWhoseTermHoldsTheDayGoverns() throws {
        let original = try Self.contract("1", from: "2026-01-01", to: "2026-12-31")
        let amendment = try Self.contract("2", from: "2026-01-01", to: "2026-12-31")
        let renewal = try Self.contract("3", from: "2027-01-01", to: "2027-12-31")
        let ledger = ContractLedger(versions: [
            .init(id: 1, contract: original, effectiveFrom: Self.at("2026-01-01")),
            .init(id: 2, contract: amendment, effectiveFrom: Self.at("2026-06-01T12:00:00+08:00")),
            .init(id: 3, contract: renewal, effectiveFrom: Self.at("2026-11-15")),
        ])
        func label(_ instant: String) -> String? { ledger.governing(at: Self.at(instant)).first?.contract.versionLabel }
        #expect(label("2025-12-31T23:00:00+08:00") == nil, "nothing in effect yet")
        #expect(label("2026-06-01T11:59:59+08:00") == "1")
        #expect(label("2026-06-01T12:00:00+08:00") == "2")
        #expect(label("2026-12-31T23:59:59+08:00") == "2")
        #expect(label("2027-01-01T00:00:00+08:00") == "3")
        #expect(label("2028-03-01") == "3", "the last to have ended")
        // Before the renewal is in effect, past the end of the term: the last ended.
        let lapsed = ContractLedger(versions: [.init(id: 1, contract: original, effectiveFrom: Self.at("2026-01-01"))])
        #expect(lapsed.governing(at: Self.at("2027-01-02")).first?.contract.versionLabel == "1")
        // The transitions: the amendment's instant, midnights at the terms' ends.
        #expect(ledger.nextTransition(after: Self.at("2026-06-01T10:00:00+08:00")) == Self.at("2026-06-01T12:00:00+08:00"))
        #expect(ledger.nextTransition(after: Self.at("2026-12-01")) == Self.at("2027-01-01T00:00:00+08:00"))
    }

    @Test func aStatusChangeHoldsFromItsInstantAndTheFilesRuleIsTheSame() throws {
        let contract = try Self.contract("1", from: "2026-01-01", to: "2026-12-31")
        let ledger = ContractLedger(versions: [.init(id: 1, contract: contract, effectiveFrom: .distantPast)], statusChanges: [
            .init(id: 1, partnerID: contract.partnerID, status: .suspended, at: Self.at("2026-05-01")),
            .init(id: 2, partnerID: contract.partnerID, status: .active, at: Self.at("2026-05-02")),
        ])
        #expect(ledger.status(of: contract.partnerID, at: Self.at("2026-04-30")) == .active)
        #expect(ledger.status(of: contract.partnerID, at: Self.at("2026-05-01T12:00:00Z")) == .suspended)
        #expect(ledger.statuses(at: Self.at("2026-05-01T12:00:00Z")) == [contract.partnerID: .suspended])
        #expect(ledger.statuses(at: Self.at("2026-06-01")) == [:])
        // ContractSet.governing(on:) is the ledger's rule over versions in effect from the start.
        let next = try Self.contract("2", from: "2027-01-01", to: "2027-12-31")
        let set = ContractSet(contracts: [contract, next])
        #expect(set.governing(on: CivilDate("2026-03-01")!).map(\.versionLabel) == ["1"])
        #expect(set.governing(on: CivilDate("2027-03-01")!).map(\.versionLabel) == ["2"])
    }

    @Test func instantsAreReadStrictly() {
        #expect(Instant.parse("2027-01-01") == Self.at("2026-12-31T16:00:00Z"))
        #expect(Instant.parse("2027-01-01T00:00:00.250+08:00")?.timeIntervalSince1970 == Self.at("2026-12-31T16:00:00Z").timeIntervalSince1970 + 0.25)
        for bad in ["2027-01-01T25:00:00Z", "2027-02-30", "2027-01-01T00:00:60Z", "2027-01-01T00:00:00", "2027-01-01 00:00:00Z", "2027-01-01T00:00:00+8:00"] {
            #expect(Instant.parse(bad) == nil, "\(bad)")
        }
    }
}
