import Testing
@testable import BrokerCore
import TestSupport

/// Disclosure windows at each boundary: the day before the end, the end day, the day after.
@Suite struct DisclosureRuleTests {
    let regimes: [PenaltyRegime]

    init() throws {
        regimes = try Catalog(yaml: Fixtures.text("Policies/catalog.yaml"), file: "catalog.yaml", knownMaskRules: nil).penaltyRegimes
    }

    func day(_ text: String) -> CivilDate { CivilDate(text)! }

    func states(_ rule: DisclosureRule, _ record: RecordDisclosureFacts, on days: [String]) -> [DisclosureVerdict.State] {
        days.map { rule.verdict(for: record, on: day($0), regimes: regimes).state }
    }

    @Test func penaltyUnderThe2026RegimeEndsAfterOneYearWhenGeneral() {
        let rule = DisclosureRule(kind: .penaltySeverity, disputed: .flag)
        let record = RecordDisclosureFacts(status: .active, decisionDate: day("2026-05-10"), severity: "general")
        #expect(states(rule, record, on: ["2027-05-09", "2027-05-10", "2027-05-11"]) == [.disclosed, .hidden(.expired), .hidden(.expired)])
        #expect(rule.verdict(for: record, on: day("2026-06-01"), regimes: regimes).endsOn == day("2027-05-10"))
        #expect(states(rule, record, on: ["2026-05-09"]) == [.hidden(.notYetPublic)])
    }

    @Test func regimeIsChosenByDecisionDate() {
        let rule = DisclosureRule(kind: .penaltySeverity, disputed: .flag)
        // 国家发改委令第58号 covers decisions up to 2026-03-31: general penalties last three years.
        let before = RecordDisclosureFacts(status: .active, decisionDate: day("2026-03-31"), severity: "general")
        let after = RecordDisclosureFacts(status: .active, decisionDate: day("2026-04-01"), severity: "general")
        #expect(rule.verdict(for: before, on: day("2027-06-01"), regimes: regimes).endsOn == day("2029-03-31"))
        #expect(rule.verdict(for: after, on: day("2027-06-01"), regimes: regimes).endsOn == day("2027-04-01"))
        // 527号 has no start: a 2020 serious penalty lasted three years.
        let old = RecordDisclosureFacts(status: .active, decisionDate: day("2020-07-01"), severity: "serious")
        #expect(states(rule, old, on: ["2023-06-30", "2023-07-01", "2023-07-02"]) == [.disclosed, .hidden(.expired), .hidden(.expired)])
        let minor = RecordDisclosureFacts(status: .active, decisionDate: day("2026-05-10"), severity: "minor")
        #expect(states(rule, minor, on: ["2026-08-09", "2026-08-10", "2026-08-11"]) == [.disclosed, .hidden(.expired), .hidden(.expired)])
    }

    @Test func penaltyWithoutSeverityOrDateIsHidden() {
        let rule = DisclosureRule(kind: .penaltySeverity, disputed: .flag)
        #expect(states(rule, RecordDisclosureFacts(status: .active, decisionDate: day("2026-05-10")), on: ["2026-06-01"]) == [.hidden(.incompleteRecord)])
        #expect(states(rule, RecordDisclosureFacts(status: .active, severity: "serious"), on: ["2026-06-01"]) == [.hidden(.incompleteRecord)])
        #expect(states(rule, RecordDisclosureFacts(status: .active, decisionDate: day("2026-05-10"), severity: "grave"), on: ["2026-06-01"]) == [.hidden(.incompleteRecord)])
    }

    @Test func fixedPeriodCountsFromTheDecisionDate() {
        let rule = DisclosureRule(kind: .fixedPeriod(DatePeriod(months: 24)), disputed: .withhold)
        let record = RecordDisclosureFacts(status: .active, decisionDate: day("2025-01-31"))
        #expect(states(rule, record, on: ["2027-01-30", "2027-01-31", "2027-02-01"]) == [.disclosed, .hidden(.expired), .hidden(.expired)])
    }

    @Test func publicityWindowIncludesItsEndDay() {
        let rule = DisclosureRule(kind: .publicityWindow, disputed: .flag)
        let record = RecordDisclosureFacts(status: .active, publicityStart: day("2026-01-01"), publicityEnd: day("2026-12-31"))
        #expect(states(rule, record, on: ["2025-12-31", "2026-01-01", "2026-12-30", "2026-12-31", "2027-01-01"])
            == [.hidden(.notYetPublic), .disclosed, .disclosed, .disclosed, .hidden(.expired)])
        #expect(rule.verdict(for: record, on: day("2026-06-01"), regimes: regimes).endsOn == day("2027-01-01"))
        let openEnded = RecordDisclosureFacts(status: .active, publicityStart: day("2026-01-01"))
        #expect(rule.verdict(for: openEnded, on: day("2099-01-01"), regimes: regimes) == DisclosureVerdict(state: .disclosed, endsOn: nil))
    }

    @Test func repairedAndWithdrawnAreNeverDisclosed() {
        for rule in [DisclosureRule(kind: .always, disputed: .flag), DisclosureRule(kind: .publicityWindow, disputed: .flag)] {
            #expect(states(rule, RecordDisclosureFacts(status: .repaired), on: ["2026-06-01"]) == [.hidden(.repaired)])
            #expect(states(rule, RecordDisclosureFacts(status: .withdrawn), on: ["2026-06-01"]) == [.hidden(.withdrawn)])
        }
    }

    @Test func disputedRecordsAreFlaggedOrWithheldPerItem() {
        let record = RecordDisclosureFacts(status: .disputed, decisionDate: day("2026-01-01"))
        let flag = DisclosureRule(kind: .fixedPeriod(DatePeriod(months: 12)), disputed: .flag)
        let withhold = DisclosureRule(kind: .fixedPeriod(DatePeriod(months: 12)), disputed: .withhold)
        #expect(states(flag, record, on: ["2026-06-01", "2027-01-01"]) == [.disclosedDisputed, .hidden(.expired)])
        #expect(states(withhold, record, on: ["2026-06-01"]) == [.hidden(.disputed)])
        #expect(flag.verdict(for: record, on: day("2026-06-01"), regimes: regimes).isDisclosed)
    }

    @Test func aRecordsSeverityIsItsSeverityFieldWhenThatIsText() {
        let date = day("2026-05-10")
        func facts(_ fields: [String: AnswerValue]) -> RecordDisclosureFacts {
            RecordDisclosureFacts(status: .disputed, decisionDate: date, publicityStart: nil, publicityEnd: date, fields: fields)
        }
        #expect(facts(["severity": .string("serious"), "amount": .int(5)])
            == RecordDisclosureFacts(status: .disputed, decisionDate: date, publicityEnd: date, severity: "serious"))
        #expect(facts(["severity": .int(2)]).severity == nil)
        #expect(facts([:]).severity == nil)
    }
}
