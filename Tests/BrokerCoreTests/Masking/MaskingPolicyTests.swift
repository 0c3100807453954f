import Testing
@testable import BrokerCore
import TestSupport

@Suite struct MaskingPolicyTests {
    @Test func loadsTheRepositoryPolicy() throws {
        let policy = try MaskingPolicy(yaml: Fixtures.text("Policies/masking.yaml"), file: "masking.yaml")
        #expect(Set(policy.profiles.keys) == ["bank", "standard", "strict"])
        #expect(policy.rules["id_number"] == .keepEnds(first: 6, last: 4))
        #expect(policy.compoundSurnames.contains("欧阳"))
        let strict = try #require(policy.profiles["strict"])
        #expect(policy.rule("id_number", under: strict) == .hidden)
        #expect(policy.rule("person_name", under: strict) == .surname)
    }

    @Test func everyCatalogMaskIsARule() throws {
        let policy = try MaskingPolicy(yaml: Fixtures.text("Policies/masking.yaml"), file: "masking.yaml")
        _ = try Catalog(yaml: Fixtures.text("Policies/catalog.yaml"), file: "catalog.yaml", knownMaskRules: Set(policy.rules.keys))
    }

    @Test func reportsBadRulesAndProfilesWithLines() {
        let text = """
            rules:
              id_number: { method: keep_ends, first: 6 }
              blur: { method: blur }
              name: { method: surname, level: city }
            profiles:
              loose:
                description: tries to substitute a rule that does not exist
                substitute: { id_number: clear }
            """
        let error = #expect(throws: PolicyError.self) { try MaskingPolicy(yaml: text, file: "m.yaml") }
        let lines = error?.diagnostics.map(\.description) ?? []
        #expect(lines.contains("m.yaml:2: rule 'id_number' keep_ends needs whole numbers 'first' and 'last'"))
        #expect(lines.contains("m.yaml:3: rule 'blur' method must be one of keep_ends, surname, address, hidden, not 'blur'"))
        #expect(lines.contains("m.yaml:4: rule 'name' method surname takes no 'level'"))
        #expect(lines.contains("m.yaml:8: profile 'loose' substitutes unknown rule 'clear' for 'id_number'"))
    }
}
