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

    @Test func rejectsImpossibleDates() {
        #expect(CivilDate(year: 1990, month: 2, day: 30) == nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 2024, month: 13, day: 1) == nil)
        #expect(CivilDate(year: 2024, month: 4, day: 31) == nil)
        #expect(CivilDate(year: 2024, month: 1, day: 0) == nil)
    }

    @Test func dayNumbersRoundTrip() {
        #expect(CivilDate(year: 1970, month: 1, day: 1)?.dayNumber == 0)
        #expect(CivilDate(year: 2000, month: 3, day: 1)?.dayNumber == 11_017)
        #expect(CivilDate(dayNumber: -1) == CivilDate(year: 1969, month: 12, day: 31))
        for dayNumber in stride(from: -30_000, through: 60_000, by: 7) {
            let (year, month, day) = CivilDate(dayNumber: dayNumber).components
            #expect(CivilDate(year: year, month: month, day: day)?.dayNumber == dayNumber)
        }
    }

    @Test func isoTextRoundTrips() {
        #expect(CivilDate("2024-02-29")?.description == "2024-02-29")
        #expect(CivilDate("0999-01-05")?.description == "0999-01-05")
        #expect(CivilDate("2023-02-29") == nil)
        #expect(CivilDate("2024/02/01") == nil)
        #expect(CivilDate("2024-2-1") == nil)
    }

    @Test func todayIsTakenInChinaStandardTime() {
        // 2026-01-01T16:30:00Z is already 2 January in Beijing.
        let instant = Date(timeIntervalSince1970: 1_767_285_000)
        #expect(CivilDate.today(now: instant) == CivilDate(year: 2026, month: 1, day: 2))
    }
}
