import Foundation
import Testing
@testable import BrokerCore

@Suite struct ContractSetTests {
    static let valid = """
        partner: agency.test_one
        legal_name: 测试信用管理有限公司
        kind: credit_agency
        version: t.1
        term: { from: 2026-01-01, to: 2026-12-31 }
        authentication:
          api_keys: [ak_0123456789abcdef]
        purposes: [credit_report]
        items:
          market.tax_paid: { class: conditional, consent: required }
        """

    /// Writes `files` into a fresh temporary directory, then loads them back as `contracts check` does.
    func check(_ files: [String: String]) throws -> [String] {
        let directory = FileManager.default.temporaryDirectory.appending(path: "contracts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            try text.write(to: directory.appending(path: name), atomically: true, encoding: .utf8)
        }
        do {
            _ = try ContractSet(files: PolicyFixtures.files(in: directory), policies: PolicyFixtures.policies)
            return []
        } catch let error as PolicyError {
            return error.diagnostics.map(\.description)
        }
    }

    func broken(_ replacements: [(String, String)]) -> String {
        replacements.reduce(Self.valid) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    @Test func shippedContractsPass() throws {
        let set = try ContractSet(files: PolicyFixtures.shippedContracts(), policies: PolicyFixtures.policies)
        let kinds = Dictionary(grouping: set.contracts, by: \.kind).mapValues(\.count)
        #expect(set.contracts.count == 73)
        #expect(kinds == [.bank: 13, .creditAgency: 57, .jointCredit: 1, .portal: 1, .dataSource: 1])
        let joint = try #require(set.contracts.first { $0.kind == .jointCredit })
        #expect(joint.legalName == "江苏省联合征信有限公司")
        #expect(joint.purposes == ["change_feed"])
    }

    @Test func validFixturePasses() throws {
        #expect(try check(["a.yaml": Self.valid]).isEmpty)
    }

    @Test func unknownItemPurposeAndProfile() throws {
        let text = broken([
            ("purposes: [credit_report]", "purposes: [credit_report, gossip]\nmasking: lax"),
            ("market.tax_paid:", "market.tax_pain:"),
        ])
        let lines = try check(["a.yaml": text])
        #expect(lines.contains { $0.hasPrefix("a.yaml:8: the contract purposes names unknown purpose 'gossip'") })
        #expect(lines.contains { $0.hasPrefix("a.yaml:9: the contract masking names unknown masking profile 'lax'") })
        #expect(lines.contains("a.yaml:11: the contract names unknown item 'market.tax_pain'"))
    }

    @Test func conditionalWithoutConditions() throws {
        let bare = try check(["a.yaml": broken([("{ class: conditional, consent: required }", "conditional")])])
        #expect(bare.contains { $0.hasPrefix("a.yaml:10: the contract item 'market.tax_paid' is conditional without conditions") })
        let empty = try check(["a.yaml": broken([("{ class: conditional, consent: required }", "{ class: conditional }")])])
        #expect(empty.contains { $0.hasPrefix("a.yaml:10: the contract item 'market.tax_paid' is conditional without conditions") })
    }

    @Test func conditionalOnAPurposeTheContractLacks() throws {
        let lines = try check(["a.yaml": broken([("consent: required }", "consent: required, purposes: [credit_approval] }")])])
        #expect(lines == ["a.yaml:10: item 'market.tax_paid' is conditional on purposes the contract does not allow: credit_approval"])
    }

    @Test func duplicatePartnerWithOverlappingTerm() throws {
        let renewal = broken([("t.1", "t.2"), ("2026-01-01, to: 2026-12-31", "2026-12-01, to: 2027-12-31")])
        let lines = try check(["a.yaml": Self.valid, "b.yaml": renewal])
        #expect(lines == ["b.yaml:1: duplicate partner id 'agency.test_one': a.yaml:1 has a term overlapping this one"])
        // A renewal starting the day after the term ends is fine.
        let successor = broken([("t.1", "t.2"), ("2026-01-01, to: 2026-12-31", "2027-01-01, to: 2027-12-31")])
        #expect(try check(["a.yaml": Self.valid, "b.yaml": successor]).isEmpty)
    }

    @Test func credentialClaimedByTwoPartners() throws {
        let other = broken([("agency.test_one", "agency.test_two")])
        let lines = try check(["a.yaml": Self.valid, "b.yaml": other])
        #expect(lines == ["b.yaml:7: API key ak_0123456789abcdef is already the credential of partner 'agency.test_one' (a.yaml)"])
    }

    @Test func malformedYAMLAndBadDates() throws {
        let malformed = try check(["a.yaml": broken([("term: { from: 2026-01-01, to: 2026-12-31 }", "term: { from: 2026-01-01, to: 2026-12-31")])])
        #expect(malformed.count == 1)
        #expect(malformed.first?.hasPrefix("a.yaml:6: malformed YAML") == true)
        let dates = try check(["a.yaml": broken([("to: 2026-12-31", "to: 2026-02-30")])])
        #expect(dates == ["a.yaml:5: term to must be a real date YYYY-MM-DD, not '2026-02-30'"])
        let reversed = try check(["a.yaml": broken([("to: 2026-12-31", "to: 2025-12-31")])])
        #expect(reversed == ["a.yaml:5: term ends (2025-12-31) before it starts (2026-01-01)"])
    }

    @Test func secretsAndWrongCredentialsAreRejected() throws {
        let secret = try check(["a.yaml": broken([("ak_0123456789abcdef", "sk_live_51HxQ2eZvKYlo2C0aBcDeFgHiJkLmNoP")])])
        #expect(Set(secret) == [
            "a.yaml:7: an API key id is 'ak_' and 16 lowercase hex digits; the key secret never goes into a contract",
            "a.yaml:7: a credit_agency authenticates with at least one API key id",
        ])
        let bank = try check(["a.yaml": broken([("kind: credit_agency", "kind: bank")])])
        #expect(bank.contains("a.yaml:7: a bank authenticates with at least one client certificate"))
    }

    /// Digits typed with a Chinese input method in its full-width mode (０-９, ａ-ｆ) are hex digits to
    /// `Character.isHexDigit`, so such a key id or fingerprint passed the check, and the contract bound
    /// a credential no key or certificate could ever present. They are refused, as other scripts' digits.
    @Test func fullWidthOrOtherScriptsDigitsAreNoHexDigits() throws {
        let fullWidthKey = try check(["a.yaml": broken([("ak_0123456789abcdef", "ak_０１２３４５６７８９ａｂｃｄｅｆ")])])
        #expect(fullWidthKey.contains("a.yaml:7: an API key id is 'ak_' and 16 lowercase hex digits; the key secret never goes into a contract"))
        let fingerprint = String(repeating: "ａ", count: 64)
        let bank = broken([
            ("kind: credit_agency", "kind: bank"),
            ("api_keys: [ak_0123456789abcdef]", "certificates: [{ sha256: \"\(fingerprint)\" }]"),
        ])
        #expect(try check(["a.yaml": bank]).contains("a.yaml:7: certificate sha256 must be 64 hex digits (colons allowed)"))
        let arabicIndic = broken([
            ("kind: credit_agency", "kind: bank"),
            ("api_keys: [ak_0123456789abcdef]", "certificates: [{ sha256: \"\(String(repeating: "٣", count: 64))\" }]"),
        ])
        #expect(try check(["a.yaml": arabicIndic]).contains("a.yaml:7: certificate sha256 must be 64 hex digits (colons allowed)"))
        let good = broken([
            ("kind: credit_agency", "kind: bank"),
            ("api_keys: [ak_0123456789abcdef]", "certificates: [{ sha256: \"\(String(repeating: "AB:", count: 31))AB\" }]"),
        ])
        #expect(try check(["a.yaml": good]).isEmpty)
    }

    @Test func unknownKeysAreReported() throws {
        let lines = try check(["a.yaml": Self.valid + "\napi_secret: hunter2"])
        #expect(lines.contains { $0.hasPrefix("a.yaml:11: unknown key 'api_secret' in the contract") })
    }
}
