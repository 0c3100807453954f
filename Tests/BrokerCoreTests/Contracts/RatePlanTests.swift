import Foundation
import PropertyBased
import Testing
@testable import BrokerCore
import TestSupport

/// Rate plans in contracts (`prices`), money in exact fen, and billing months.
@Suite struct RatePlanTests {
    static let agency = "Contracts/agency.nj_anxin.yaml"

    func contract(replacingPrices prices: String, file: String = "plan.yaml") throws -> Contract {
        let text = try Fixtures.text(Self.agency).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("prices:") ? prices : String(line)
        }.joined(separator: "\n")
        return try Contract(yaml: text, file: file, policies: PolicyFixtures.policies)
    }

    /// The line `prices:` is on in the agency's file.
    var pricesLine: Int {
        get throws { try Fixtures.text(Self.agency).split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("prices:") }! + 1 }
    }

    @Test func aPlanStatesFreeCallsTiersBatchSubjectsAndItemPricesInFen() throws {
        let plan = try contract(replacingPrices: """
            prices:
              currency: CNY
              per_call: 0.10
              free_calls: 100
              tiers: [{ from: 10001, per_call: 0.08 }, { from: 100001, per_call: 0.05 }]
              per_batch_subject: 0.02
              items: { enterprise.penalty: 1.5 }
            """).prices
        #expect(plan == Contract.Prices(
            perCall: 10, perItem: ["enterprise.penalty": 150], perBatchSubject: 2, freeCalls: 100,
            tiers: [.init(from: 10_001, perCall: 8), .init(from: 100_001, perCall: 5)]
        ))
        #expect(plan.callBands.map(\.name) == ["1-100", "101-10000", "10001-100000", "100001-"])
        #expect(plan.callBands.map(\.price) == [.zero, Money(fen: 10), Money(fen: 8), Money(fen: 5)])
        #expect(plan.callBands[3].contains(.max) && !plan.callBands[0].contains(101))
        #expect(plan.summary == "per call 0.10 CNY; first 100 calls free; from call 10001 0.08; from call 100001 0.05; per batch subject 0.02; enterprise.penalty 1.50")
    }

    /// A contract that states no more than `per_call` keeps the canonical JSON, and so the version
    /// digest, it had before plans had tiers: every meter event already recorded still names it.
    @Test func aContractWithoutTheNewTermsKeepsItsVersion() throws {
        let plain = try Contract(yaml: Fixtures.text(Self.agency), file: Self.agency, policies: PolicyFixtures.policies)
        let json = String(decoding: plain.canonicalJSON, as: UTF8.self)
        #expect(json.contains(#""prices":{"perCall":10,"perItem":{}}"#), "\(json)")
        let explicit = try contract(replacingPrices: "prices: { currency: CNY, per_call: 0.1, free_calls: 0, tiers: [] }")
        #expect(explicit.version.digest == plain.version.digest)
        #expect(try JSONDecoder().decode(Contract.self, from: plain.canonicalJSON) == plain)
        let tiered = try contract(replacingPrices: "prices: { per_call: 0.1, tiers: [{ from: 11, per_call: 0.05 }] }")
        #expect(tiered.version.digest != plain.version.digest)
        #expect(try JSONDecoder().decode(Contract.self, from: tiered.canonicalJSON) == tiered)
        #expect(ContractChange.between(old: [plain], new: [tiered]).map(\.description) == [
            "agency.nj_anxin changes prices: per call 0.10 CNY → per call 0.10 CNY; from call 11 0.05",
        ])
    }

    @Test(arguments: [
        ("prices: { per_call: 0.1, currency: USD }", "the contract prices currency must be CNY: the broker bills in renminbi only"),
        ("prices: { per_call: 0.125 }", "the contract prices per_call must be an amount in CNY with at most two decimals, not '0.125'"),
        ("prices: { per_call: 1e3 }", "the contract prices per_call must be an amount in CNY with at most two decimals, not '1e3'"),
        ("prices: { per_call: 1000000.01 }", "the contract prices per_call must be at most 1000000.00 CNY, not '1000000.01'"),
        ("prices: { per_call: 0.1, tiers: [{ from: 1, per_call: 0.05 }] }", "the contract prices tier 1 from must be a whole number in 2...2147483647, not '1'"),
        ("prices: { per_call: 0.1, tiers: [{ from: 50, per_call: 0.05 }, { from: 50, per_call: 0.04 }] }",
         "the contract prices tier 2 from (50) must be above the previous tier's (50): tiers go up by monthly volume"),
        ("prices: { per_call: 0.1, free_calls: 100, tiers: [{ from: 100, per_call: 0.05 }] }",
         "the contract prices tier 1 from (100) must be above free_calls (100): the free calls come first"),
        ("prices: { per_call: 0.1, tiers: [{ from: 50 }] }", "the contract prices tier 1 is missing 'per_call'"),
        ("prices: { per_call: 0.1, free_calls: -1 }", "the contract prices free_calls must be a whole number in 0...2147483647, not '-1'"),
        ("prices: { per_call: 0.1, per_subject: 0.1 }",
         "unknown key 'per_subject' in the contract prices (expected: currency, per_call, items, per_batch_subject, free_calls, tiers)"),
    ])
    func aWrongPlanIsRefusedNamingItsLine(prices: String, message: String) throws {
        let line = try pricesLine
        let error = #expect(throws: PolicyError.self) { try contract(replacingPrices: prices) }
        #expect(error?.description == "plan.yaml:\(line): \(message)")
    }

    @Test func moneyIsReadAndWrittenAsYuanWithTwoDecimalsExactly() throws {
        #expect(Money(yuan: "0.05")?.fen == 5)
        #expect(Money(yuan: "12")?.fen == 1_200)
        #expect(Money(yuan: "12.3")?.fen == 1_230)
        #expect(Money(yuan: "-7.50", signed: true)?.fen == -750)
        for refused in ["-1", "1.234", "1,000", "1e2", "", ".5", "5.", " 1", "0x10", "１"] {
            #expect(Money(yuan: refused) == nil, "\(refused)")
        }
        #expect(Money(fen: 5).description == "0.05" && Money(fen: -750).description == "-7.50" && Money(fen: 120_000).description == "1200.00")
        // Where binary floating point drifts (0.1 + 0.2 ≠ 0.3), fen do not.
        #expect(try Money.sum([Money(yuan: "0.1")!, Money(yuan: "0.2")!]) == Money(yuan: "0.3")!)
        #expect(try Money(fen: 7).times(1_000_000_007) == Money(fen: 7_000_000_049))
        #expect(throws: Money.Overflow.self) { try Money(fen: .max / 2 + 1).times(2) }
        #expect(throws: Money.Overflow.self) { try Money.sum([Money(fen: .max), Money(fen: 1)]) }
    }

    @Test func moneyRoundTripsThroughItsTextForEveryAmount() async {
        await propertyCheck(count: 500, input: Gen.int(in: -10_000_000_000_000...10_000_000_000_000)) { fen in
            let money = Money(fen: Int64(fen))
            #expect(Money(yuan: money.description, signed: true) == money)
            let json = try JSONEncoder().encode([money])
            #expect(try JSONDecoder().decode([Money].self, from: json) == [money])
        }
    }

    /// No floating-point type touches money: the billing module and the money, plan and contract
    /// price code are read for `Double`, `Float` and `Decimal` (and SQL casts to them).
    @Test func noFloatingPointTypeAppearsWhereMoneyIsComputed() throws {
        let files = ["Sources/BrokerCore/Money/Money.swift", "Sources/BrokerCore/Contracts/RatePlan.swift", "Sources/BrokerCore/Contracts/ContractTerms.swift"]
            + (try FileManager.default.contentsOfDirectory(atPath: Repository.root.appending(path: "Sources/Billing").path)
                .filter { $0.hasSuffix(".swift") }.map { "Sources/Billing/" + $0 })
        #expect(files.count > 5)
        let forbidden = ["Double", "Float", "Decimal", "CGFloat", "NSNumber", "::float", "::numeric", "::real", "::decimal"]
        for file in files {
            let text = try Fixtures.text(file)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.components(separatedBy: "///")[0].components(separatedBy: "// ")[0]
                for word in forbidden where code.contains(word) {
                    Issue.record("\(file):\(number + 1) uses \(word): money is whole fen (Int64), never floating point")
                }
            }
        }
    }

    @Test func aBillingMonthIsChinaTimes() throws {
        let month = try #require(CivilMonth("2026-12"))
        #expect(month.firstDay == CivilDate("2026-12-01") && month.lastDay == CivilDate("2026-12-31"))
        #expect(month.start == Instant.parse("2026-12-01T00:00:00+08:00") && month.end == Instant.parse("2027-01-01T00:00:00+08:00"))
        #expect(month.contains(Instant.parse("2026-12-31T23:59:59.999+08:00")!))
        #expect(!month.contains(Instant.parse("2026-12-31T16:00:00Z")!))
        #expect(month.next == CivilMonth("2027-01") && month.previous == CivilMonth("2026-11"))
        #expect(CivilMonth("2027-02")!.lastDay == CivilDate("2027-02-28") && CivilMonth("2028-02")!.lastDay == CivilDate("2028-02-29"))
        // Year 0 does not exist (schemathesis found GET /v1/statements/0000-01 answered 500: PostgreSQL refused the date).
        for refused in ["2026-13", "2026-1", "2026-12-01", "26-12", "2026/12", "", "0000-01"] { #expect(CivilMonth(refused) == nil, "\(refused)") }
        #expect(CivilMonth("0001-01")?.firstDay == CivilDate("0001-01-01"))
        #expect(Instant.parse("2027-01-01T00:10:00+08:00")!.chinaRFC3339 == "2027-01-01T00:10:00+08:00")
        #expect(Instant.parse("2026-12-31T16:10:07Z")!.chinaRFC3339 == "2027-01-01T00:10:07+08:00")
    }
}
