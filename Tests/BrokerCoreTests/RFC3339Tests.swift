import BrokerCore
import Foundation
import Testing

@Suite struct RFC3339Tests {
    @Test func readsInstantsAsFoundationDoes() throws {
        for text in ["2027-01-01T00:00:00Z", "2026-12-05T13:45:30+08:00", "2024-02-29T23:59:59-05:30", "1999-12-31t23:59:59z"] {
            let parsed = try #require(Date(rfc3339: text), "\(text)")
            #expect(parsed == (try Date(text.uppercased(), strategy: .iso8601)), "\(text)")
        }
        #expect(Date(rfc3339: "2026-12-05T00:00:00.25Z")?.timeIntervalSince1970 == Date(rfc3339: "2026-12-05T00:00:00Z")!.timeIntervalSince1970 + 0.25)
        #expect(Date(rfc3339: "1970-01-01T08:00:00+08:00")?.timeIntervalSince1970 == 0)
    }

    /// Foundation rolls `25:00` over into the next day; an impossible field is refused here.
    @Test func refusesImpossibleFieldsInsteadOfRollingThemOver() {
        #expect((try? Date("2027-01-01T25:00:00Z", strategy: .iso8601)) != nil, "Foundation's parse normalises it, which is why this reader exists")
        for text in [
            "2027-01-01T25:00:00Z", "2027-01-01T24:00:00Z", "2027-02-30T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01T00:60:00Z",
            "2027-01-01T00:00:60Z", "2027-01-01T00:00:00+24:00", "2027-01-01T00:00:00+08:60", "2027-01-01T00:00:00",
            "2027-01-01 00:00:00Z", "2027-01-01T00:00:00.Z", "2027-01-01T00:00:00.1234567891Z", "2027-01-01T00:00:00Zjunk",
            "2027-01-01T0:00:00Z", "+2027-01-01T00:00:00Z", "2027-01-01", "", "2027-01-01T00:00:00+0800",
        ] {
            #expect(Date(rfc3339: text) == nil, "\(text)")
        }
    }

    /// The admin API's instants (`Instant.parse`) and the partner API's (`Date(rfc3339:)`) are one
    /// grammar, a bare day aside: a fraction of ten digits was taken by the one and refused by the other.
    @Test func bothAPIsReadOneGrammar() {
        for text in [
            "2027-01-01T00:00:00+08:00", "2027-01-01T00:00:00Z", "2027-01-01t00:00:00z", "2027-01-01T00:00:00.123456789Z",
            "2027-01-01T00:00:00.1234567890Z", "2027-01-01T25:00:00Z", "2027-02-30T00:00:00Z", "2027-01-01T00:00:00+24:00",
            "2027-01-01T00:00:00.Z", "2027-01-01 00:00:00Z", "2027-01-01T00:00:00",
        ] {
            #expect(Instant.parse(text) == Date(rfc3339: text), "\(text)")
        }
        #expect(Instant.parse("2027-01-01T00:00:00.1234567890Z") == nil)
        #expect(Instant.parse("2027-01-01") == Date(rfc3339: "2027-01-01T00:00:00+08:00"))
    }
}
