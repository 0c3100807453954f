import BrokerCore
import Foundation
import Testing

/// What a partner reads in a withheld item's `unlock`: a `kind` in snake_case like the rest of the
/// API and its fields beside it, dates as `YYYY-MM-DD`. Before, Swift's synthesized coding sent
/// `{"nextQuotaPeriod":{"startsOn":"2026-12-01"}}`.
struct UnlockJSONTests {
    private func json(_ unlock: Unlock) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(unlock), as: UTF8.self)
    }

    @Test func eachUnlockIsAKindWithItsFields() throws {
        #expect(try json(.contractChange) == #"{"kind":"contract_change"}"#)
        #expect(try json(.reinstatement) == #"{"kind":"reinstatement"}"#)
        #expect(try json(.consent(item: "market.tax_paid", purpose: "credit_approval"))
            == #"{"item":"market.tax_paid","kind":"consent","purpose":"credit_approval"}"#)
        #expect(try json(.contractTerm(startsOn: CivilDate("2027-01-01")!)) == #"{"kind":"contract_term","starts_on":"2027-01-01"}"#)
        #expect(try json(.nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!)) == #"{"kind":"next_quota_period","starts_on":"2026-12-01"}"#)
    }

    @Test func itReadsBackWhatItWrites() throws {
        for unlock: Unlock in [
            .contractChange, .reinstatement, .consent(item: "person.dishonest_debtor", purpose: "post_loan_monitoring"),
            .contractTerm(startsOn: CivilDate("2027-01-01")!), .nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!),
        ] {
            #expect(try JSONDecoder().decode(Unlock.self, from: JSONEncoder().encode(unlock)) == unlock)
        }
    }

    @Test func anUnknownKindOrABadDayIsRefusedByName() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Unlock.self, from: Data(#"{"kind":"bribe"}"#.utf8)) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Unlock.self, from: Data(#"{"kind":"contract_term","starts_on":"2027-02-30"}"#.utf8))
        }
    }

    @Test func theFormEarlierVersionsStoredStillReads() throws {
        func read(_ text: String) throws -> Unlock { try JSONDecoder().decode(Unlock.self, from: Data(text.utf8)) }
        #expect(try read(#"{"contractChange":{}}"#) == .contractChange)
        #expect(try read(#"{"consent":{"item":"market.tax_paid","purpose":"credit_approval"}}"#) == .consent(item: "market.tax_paid", purpose: "credit_approval"))
        #expect(try read(#"{"nextQuotaPeriod":{"startsOn":"2026-12-01"}}"#) == .nextQuotaPeriod(startsOn: CivilDate("2026-12-01")!))
        #expect(throws: DecodingError.self) { try read(#"{}"#) }
    }
}
