import Foundation
import Testing
@testable import BrokerCore

@Suite struct GregorianDateTests {
    @Test func rejectsImpossibleDates() {
        #expect(GregorianDate(year: 1990, month: 2, day: 30) == nil)
        #expect(GregorianDate(year: 1900, month: 2, day: 29) == nil)
        #expect(GregorianDate(year: 2000, month: 2, day: 29) != nil)
        #expect(GregorianDate(year: 2024, month: 13, day: 1) == nil)
        #expect(GregorianDate(year: 2024, month: 4, day: 31) == nil)
        #expect(GregorianDate(year: 2024, month: 1, day: 0) == nil)
    }

    @Test func dayNumbersRoundTrip() {
        #expect(GregorianDate(year: 1970, month: 1, day: 1)?.dayNumber == 0)
        #expect(GregorianDate(year: 2000, month: 3, day: 1)?.dayNumber == 11_017)
        #expect(GregorianDate(dayNumber: -1) == GregorianDate(year: 1969, month: 12, day: 31))
        for dayNumber in stride(from: -30_000, through: 60_000, by: 7) {
            #expect(GregorianDate(dayNumber: dayNumber).dayNumber == dayNumber)
        }
    }

    @Test func isoTextRoundTrips() {
        #expect(GregorianDate(iso: "2024-02-29")?.description == "2024-02-29")
        #expect(GregorianDate(iso: "0999-01-05")?.description == "0999-01-05")
        #expect(GregorianDate(iso: "2023-02-29") == nil)
        #expect(GregorianDate(iso: "2024/02/01") == nil)
        #expect(GregorianDate(iso: "2024-2-1") == nil)
    }

    @Test func todayIsTakenInChinaStandardTime() {
        // 2026-01-01T16:30:00Z is already 2 January in Beijing.
        let instant = Date(timeIntervalSince1970: 1_767_285_000)
        #expect(GregorianDate.today(now: instant) == GregorianDate(year: 2026, month: 1, day: 2))
    }
}
