import Testing
@testable import BrokerCore
import TestSupport

@Suite struct CatalogTests {
    static let validItem = """
        version: t.1
        sources:
          platform: { title: P, kind: public }
        categories:
          sanctions: S
        penalty_regimes:
          - name: only
            minor: { minimum: P0D, maximum: P3M }
            general: { minimum: P3M, maximum: P1Y }
            serious: { minimum: P1Y, maximum: P3Y }
        items:
          - id: a.penalty
            title: A
            subject: organisation
            source: platform
            category: sanctions
            sensitivity: public
            sharing: unconditional
            disclosure: { rule: penalty_severity, disputed: flag }
            fields:
              severity: { type: enum, values: [minor, general, serious], required: true }
              boss: { type: person_name, mask: person_name }
        """

    @Test func loadsTheRepositoryCatalog() throws {
        let catalog = try Catalog(yaml: Fixtures.text("Policies/catalog.yaml"), file: "catalog.yaml", knownMaskRules: nil)
        #expect(catalog.items.count == 24)
        #expect(catalog.penaltyRegimes.map(\.name).last == "信用修复管理办法 (2026)")
        let penalty = try #require(catalog.item("enterprise.penalty"))
        #expect(penalty.disclosure.kind == .penaltySeverity)
        #expect(catalog.item("enterprise.dishonest_debtor")?.disclosure == DisclosureRule(kind: .fixedPeriod(DatePeriod(months: 24)), disputed: .withhold))
        #expect(catalog.item("person.contact")?.field("mobile")?.mask == "mobile")
        #expect(catalog.index(ofItem: "person.contact") == 23)
        // New records that are news for a watching lender: sanctions and the black list, nothing else.
        #expect(catalog.items.filter(\.alertsOnNewRecords).map(\.id) == [
            "enterprise.penalty", "enterprise.dishonest_debtor", "enterprise.major_tax_violation",
            "enterprise.abnormal_operation", "enterprise.black_list", "person.dishonest_debtor", "person.major_tax_violation",
        ])
    }

    @Test func alertOnNewRecordIsAnOptionalBoolean() throws {
        #expect(try Catalog(yaml: Self.validItem, file: "c.yaml", knownMaskRules: nil).items[0].alertsOnNewRecords == false)
        let flagged = Self.validItem.replacingOccurrences(of: "    sharing: unconditional", with: "    sharing: unconditional\n    alert_on_new_record: true")
        #expect(try Catalog(yaml: flagged, file: "c.yaml", knownMaskRules: nil).items[0].alertsOnNewRecords == true)
        let broken = Self.validItem.replacingOccurrences(of: "    sharing: unconditional", with: "    sharing: unconditional\n    alert_on_new_record: often")
        let error = #expect(throws: PolicyError.self) { try Catalog(yaml: broken, file: "c.yaml", knownMaskRules: nil) }
        #expect(error?.diagnostics.map(\.description) == ["c.yaml:19: item 'a.penalty' alert_on_new_record must be true or false, not 'often'"])
    }

    @Test func acceptsAMinimalCatalog() throws {
        let catalog = try Catalog(yaml: Self.validItem, file: "c.yaml", knownMaskRules: ["person_name"])
        #expect(catalog.items.map(\.id) == ["a.penalty"])
    }

    @Test func reportsEveryProblemWithItsLine() {
        let broken = Self.validItem
            .replacingOccurrences(of: "    source: platform", with: "    source: nowhere")
            .replacingOccurrences(of: "    category: sanctions", with: "    category: gossip\n    colour: red")
            .replacingOccurrences(of: "mask: person_name", with: "mask: blur")
            .replacingOccurrences(of: "subject: organisation", with: "subject: [organisation]")
            + """

              - id: a.penalty
                title: again
            """
        let error = #expect(throws: PolicyError.self) {
            try Catalog(yaml: broken, file: "c.yaml", knownMaskRules: ["person_name"])
        }
        let lines = error?.diagnostics.map(\.description) ?? []
        #expect(lines.contains("c.yaml:14: item 'a.penalty' subject must be a single value, not a list or mapping"))
        #expect(lines.contains("c.yaml:15: item 'a.penalty' source names unknown source 'nowhere'"))
        #expect(lines.contains("c.yaml:16: item 'a.penalty' category names unknown category 'gossip'"))
        #expect(lines.contains { $0.hasPrefix("c.yaml:17: unknown key 'colour' in an item") })
        #expect(lines.contains("c.yaml:23: item 'a.penalty' field 'boss' mask names unknown masking rule 'blur'"))
        #expect(lines.contains("c.yaml:24: duplicate item id 'a.penalty' (first defined on line 12)"))
    }

    @Test func reportsBadTypesAndPeriods() {
        let broken = Self.validItem
            .replacingOccurrences(of: "type: enum", with: "type: colour")
            .replacingOccurrences(of: "maximum: P1Y", with: "maximum: one year")
        let error = #expect(throws: PolicyError.self) {
            try Catalog(yaml: broken, file: "c.yaml", knownMaskRules: nil)
        }
        let lines = error?.diagnostics.map(\.description) ?? []
        #expect(lines.contains { $0.hasPrefix("c.yaml:21: item 'a.penalty' field 'severity' type must be one of string") })
        #expect(lines.contains("c.yaml:9: penalty regime 'only' general maximum must be an ISO 8601 period such as P3M or P1Y, not 'one year'"))
        #expect(lines.contains { $0.hasPrefix("c.yaml:21: item 'a.penalty' uses penalty_severity and needs an enum field 'severity'") })
    }

    @Test func reportsMalformedYAMLAndDuplicateKeys() {
        let syntax = #expect(throws: PolicyError.self) {
            try Catalog(yaml: "version: [1\nitems: x\n", file: "bad.yaml", knownMaskRules: nil)
        }
        #expect(syntax?.diagnostics.first?.description.hasPrefix("bad.yaml:2: malformed YAML") == true)
        let duplicate = #expect(throws: PolicyError.self) {
            try Catalog(yaml: "version: 1\nversion: 2\n", file: "dup.yaml", knownMaskRules: nil)
        }
        #expect(duplicate?.diagnostics.first?.description.hasPrefix("dup.yaml:") == true)
        #expect(duplicate?.diagnostics.first?.message.contains("duplicate key 'version'") == true)
    }
}
