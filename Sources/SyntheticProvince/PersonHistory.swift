import BrokerCore
import Foundation

/// Builds the records of one person: contact details for everyone, dishonest-debtor and tax
/// violation listings for a few, monthly social insurance for the employed.
struct PersonHistory {
    let generator: ProvinceGenerator
    let index: Int
    let id: ResidentIDNumber
    let name: String
    var rng: SplitMix64
    var records: [SyntheticRecord] = []
    var events: [StatusEvent] = []

    init(generator: ProvinceGenerator, index: Int, identity: (id: ResidentIDNumber, name: String)) {
        self.generator = generator
        self.index = index
        id = identity.id
        name = identity.name
        rng = SplitMix64.stream(
            seed: generator.configuration.seed, purpose: ProvinceGenerator.Stream.personHistory.rawValue, index: index)
    }

    mutating func build() -> SyntheticPerson {
        let risk = rng.normal()
        let subject = id.rawValue
        let place = generator.residence(of: id, &rng)
        let mobile = rng.pick(Vocabulary.mobilePrefixes) + String(rng.int(in: 100_000_000...199_999_999)).dropFirst()
        records.append(SyntheticRecord(
            .personContact, subject: subject, id: "PC-P\(index)",
            values: [.text(name), .text(mobile), rng.chance(0.65) ? .text(bankCard()) : .null, .text(place.address(&rng))]))
        let asOf = generator.configuration.asOf
        if rng.chance(logistic(-4.5 + 1.2 * risk)) {
            let recordID = "PDD-P\(index)"
            let decided = asOf.adding(days: -rng.below(700))
            records.append(SyntheticRecord(
                .personDishonestDebtor, subject: subject, id: recordID, decided: decided,
                values: [
                    .text(name), .text(subject), .text("（\(decided.year)）苏\(place.courtCode)执\(rng.int(in: 1...9999))号"),
                    .text(place.court), .amount(rng.logNormal(mu: log(80_000), sigma: 1.1)),
                ]))
            let withdrawn = decided.adding(days: rng.int(in: 30...400))
            if rng.chance(0.15), withdrawn <= asOf {
                events.append(StatusEvent(
                    kind: .withdrawn, item: .personDishonestDebtor, subject: subject, sourceRecordID: recordID, date: withdrawn))
            }
        }
        if rng.chance(0.003) {
            let decided = asOf.adding(days: -rng.below(1000))
            records.append(SyntheticRecord(
                .personMajorTaxViolation, subject: subject, id: "PTV-P\(index)", decided: decided,
                values: [
                    .text(name), .text(subject),
                    .text("\(place.abbreviation)税稽罚〔\(decided.year)〕\(rng.int(in: 1...999))号"),
                    .text("国家税务总局" + place.prefectureName + "税务局稽查局"),
                ]))
        }
        if rng.chance(0.45) { addSocialInsurance(subject: subject) }
        return SyntheticPerson(index: index, id: id, name: name, records: records, events: events)
    }

    /// Monthly personal contributions with one employer, ending early for some.
    private mutating func addSocialInsurance(subject: String) {
        let organisations = generator.configuration.organisations
        let employer: FieldValue = organisations > 0
            ? .text(generator.organisationIdentity(at: rng.below(organisations)).code.rawValue) : .null
        let base = rng.logNormal(mu: log(7_000), sigma: 0.4)
        for (year, month) in generator.months {
            if rng.chance(0.01) { break }
            records.append(SyntheticRecord(
                .personSocialInsurance, subject: subject, id: "PSI-P\(index)-\(year)-\(month < 10 ? "0" : "")\(month)",
                values: [.month(year: year, month: month), employer, .amount(base * 0.105)]))
        }
    }

    /// A 19-digit debit card number with a valid Luhn check digit.
    private mutating func bankCard() -> String {
        var digits = Array(rng.pick(Vocabulary.cardBINs)).compactMap(\.wholeNumberValue)
        while digits.count < 18 { digits.append(rng.below(10)) }
        let sum = digits.reversed().enumerated().reduce(0) { total, pair in
            let doubled = pair.offset % 2 == 0 ? pair.element * 2 : pair.element
            return total + (doubled > 9 ? doubled - 9 : doubled)
        }
        digits.append((10 - sum % 10) % 10)
        return digits.map(String.init).joined()
    }
}
