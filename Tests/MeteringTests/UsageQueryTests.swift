import BrokerCore
import Foundation
import Metering
import Testing

@Suite struct UsageQueryTests {
    @Test func sumsPerChinaDayAndItemForOnePartner() async throws {
        let pool = try await MeteringFixtures.pool()
        let writer = await MeteringFixtures.runningWriter(pool: pool)
        let taxWithheld = MeterEvent.Withheld(item: "market.tax_paid", reason: .consentMissing)
        let events = [
            // 1 June in China.
            MeteringFixtures.event(disclosed: ["enterprise.registration"], withheld: [taxWithheld], at: MeteringFixtures.instant("2026-06-01T01:00:00Z")),
            MeteringFixtures.event(disclosed: ["enterprise.registration", "market.tax_paid"], withheld: [], at: MeteringFixtures.instant("2026-06-01T15:59:59Z")),
            // 16:30 UTC on 1 June is 2 June in China.
            MeteringFixtures.event(disclosed: [], withheld: [taxWithheld], at: MeteringFixtures.instant("2026-06-01T16:30:00Z")),
            // Another partner, and a day outside the range.
            MeteringFixtures.event(partner: "bank-b", at: MeteringFixtures.instant("2026-06-01T02:00:00Z")),
            MeteringFixtures.event(at: MeteringFixtures.instant("2026-06-03T02:00:00Z")),
        ]
        for event in events { try await writer.record(event) }
        await writer.close()

        let usage = try await UsageQuery(pool: pool).usage(
            partner: "bank-a", from: CivilDate(year: 2026, month: 6, day: 1)!, to: CivilDate(year: 2026, month: 6, day: 2)!
        )
        #expect(usage.map(\.day) == [CivilDate(year: 2026, month: 6, day: 1)!, CivilDate(year: 2026, month: 6, day: 2)!])
        #expect(usage.map(\.calls) == [2, 1])
        let counts = usage.map { $0.items.map { "\($0.item) \($0.disclosed) \($0.withheld)" } }
        #expect(counts == [["enterprise.registration 2 0", "market.tax_paid 1 1"], ["market.tax_paid 0 1"]])
        await pool.close()
    }

    @Test func refusesAnInvertedOrLongRange() async throws {
        let pool = try await MeteringFixtures.pool()
        let query = UsageQuery(pool: pool)
        let day = CivilDate(year: 2026, month: 6, day: 1)!
        let inverted = await #expect(throws: MeteringInputError.self) { try await query.usage(partner: "bank-a", from: day, to: day.adding(days: -1)) }
        #expect(inverted?.field == "from")
        let long = await #expect(throws: MeteringInputError.self) { try await query.usage(partner: "bank-a", from: day, to: day.adding(days: 400)) }
        #expect(long?.field == "to")
        await pool.close()
    }

    /// Any day `YYYY-MM-DD` names is a range to count in, the first years included (they were
    /// bound as a year-0 timestamp the server refused, and `/v1/usage?from=0001-01-01` answered 500).
    @Test func theFirstAndLastYearsAreCountedNotRefused() async throws {
        let pool = try await MeteringFixtures.pool()
        let query = UsageQuery(pool: pool)
        for text in ["0000-01-01", "0001-01-01", "9999-12-31"] {
            let day = try #require(CivilDate(text))
            #expect(try await query.usage(partner: "bank-a", from: day, to: day).isEmpty, "\(text)")
        }
        await pool.close()
    }
}
