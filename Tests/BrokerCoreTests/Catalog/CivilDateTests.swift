import Foundation
import Testing
@testable import BrokerCore

@Suite struct CivilDateTests {
    @Test func parsesOnlyRealDays() {
        #expect(CivilDate("2026-04-01")?.description == "2026-04-01")
        #expect(CivilDate("2024-02-29") != nil)
        #expect(CivilDate("2026-02-29") == nil)
        #expect(CivilDate("2026-4-01") == nil)
        #expect(CivilDate("2026-04-01T00:00") == nil)
        #expect(CivilDate("1970-01-01")?.dayNumber == 0)
        #expect(CivilDate("1969-12-31")?.dayNumber == -1)
    }

    @Test func monthArithmeticClampsToMonthEnd() throws {
        let leap = try #require(CivilDate("2024-02-29"))
        #expect(DatePeriod("P1Y")?.after(leap).description == "2025-02-28")
        #expect(DatePeriod("P4Y")?.after(leap).description == "2028-02-29")
        #expect(try #require(CivilDate("2026-01-31")).adding(months: 1).description == "2026-02-28")
        #expect(try #require(CivilDate("2026-12-15")).firstDayOfNextMonth.description == "2027-01-01")
    }

    @Test func periodsRoundTrip() {
        for text in ["P3M", "P1Y", "P2Y6M", "P0D", "P10D"] {
            #expect(DatePeriod(text)?.description == text)
        }
        #expect(DatePeriod("P2W") == DatePeriod(days: 14))
        #expect(DatePeriod("P") == nil)
        #expect(DatePeriod("P3") == nil)
        #expect(DatePeriod("3M") == nil)
        #expect(DatePeriod("P1H") == nil)
    }

    @Test func dayOfAnInstantIsTakenInChinaTime() throws {
        // 2026-11-30T16:30:00Z is 2026-12-01 00:30 in Beijing.
        let instant = Date(timeIntervalSince1970: 1_796_056_200)
        #expect(CivilDate(instant).description == "2026-12-01")
        #expect(CivilDate(instant, utcOffsetSeconds: 0).description == "2026-11-30")
        #expect(try #require(CivilDate("2026-12-01")).start() <= instant)
    }
}
