import BrokerCore
import Testing
@testable import SyntheticProvince

@Suite struct ProvinceGeneratorTests {
    static let asOf = CivilDate(year: 2026, month: 11, day: 26)!
    static let generator = ProvinceGenerator(
        ProvinceConfiguration(seed: 7, organisations: 6000, persons: 400, asOf: asOf))
    static let organisations = Array(generator.organisations)
    static let persons = Array(generator.persons)

    @Test func sameSeedGivesTheSameProvinceAndAnotherSeedAnother() {
        let again = ProvinceGenerator(ProvinceConfiguration(seed: 7, organisations: 6000, persons: 400, asOf: Self.asOf))
        let other = ProvinceGenerator(ProvinceConfiguration(seed: 8, organisations: 6000, persons: 400, asOf: Self.asOf))
        for index in [0, 1, 2999, 5999] {
            #expect(again.organisation(at: index).records == Self.organisations[index].records)
            #expect(again.organisation(at: index).events == Self.organisations[index].events)
            #expect(other.organisation(at: index).code != Self.organisations[index].code)
        }
        #expect(again.person(at: 17).records == Self.persons[17].records)
        #expect(other.person(at: 17).id != Self.persons[17].id)
    }

    @Test func identifiersValidateAndAreUnique() throws {
        let codes = Self.organisations.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(Set(Self.persons.map(\.id)).count == Self.persons.count)
        for organisation in Self.organisations {
            _ = try UnifiedSocialCreditCode(organisation.code.rawValue)
            #expect(organisation.code.division.provinceName == "江苏省")
            #expect(organisation.records.first?.item == .registration)
            if case .text(let representative) = organisation.records[0]["legal_representative_id"] {
                _ = try ResidentIDNumber(representative, today: Self.asOf)
            } else {
                Issue.record("registration without a legal representative's ID number")
            }
        }
        for person in Self.persons {
            _ = try ResidentIDNumber(person.id.rawValue, today: Self.asOf)
            for record in person.records {
                #expect(record.subject == person.id.rawValue)
                if case .text(let employer) = record["employer"] { _ = try UnifiedSocialCreditCode(employer) }
                if let number = record["id_number"] { #expect(number == .text(person.id.rawValue)) }
            }
        }
    }

    @Test func kindsComeInRealisticShares() {
        let individual = Self.organisations.count(where: { $0.kind == .individualBusiness })
        let enterprises = Self.organisations.count(where: { $0.kind == .enterprise })
        #expect(abs(Double(individual) / 6000 - 0.688) < 0.03)
        #expect(abs(Double(enterprises) / 6000 - 0.297) < 0.03)
        #expect(Self.organisations.contains { $0.code.registeringDepartment == .civilAffairs })
        #expect(Self.organisations.contains { $0.code.organisationType == .farmersCooperative })
    }

    @Test func aboutOneInTwentyTwoOrganisationsCarriesADishonestyMark() {
        let marked = Self.organisations.filter(\.hasDishonestyMark)
        #expect(abs(Double(marked.count) / 6000 - 0.046) < 0.012)
        for organisation in Self.organisations {
            let hasRecord = organisation.records.contains { $0.item == .dishonestDebtor || $0.item == .majorTaxViolation }
            #expect(hasRecord == organisation.hasDishonestyMark)
        }
    }

    @Test func defaultsConcentrateAmongRiskyAndMarkedFirms() {
        func defaultRate(_ organisations: [SyntheticOrganisation]) -> Double {
            Double(organisations.count(where: \.defaulted)) / Double(max(organisations.count, 1))
        }
        let marked = Self.organisations.filter(\.hasDishonestyMark)
        let unmarked = Self.organisations.filter { !$0.hasDishonestyMark }
        #expect(defaultRate(marked) > 2.5 * defaultRate(unmarked))
        let abnormal = Self.organisations.filter { $0.records.contains { $0.item == .abnormalOperation } }
        #expect(defaultRate(abnormal) > 1.5 * defaultRate(Self.organisations))
        // The drawn defaults follow the true probabilities.
        let expected = Self.organisations.map(\.defaultProbability).reduce(0, +) / 6000
        #expect(abs(defaultRate(Self.organisations) - expected) < 0.015)
    }

    @Test func statusEventsNameEarlierRecordsOfTheirSubject() {
        var eventCount = 0
        for organisation in Self.organisations {
            for event in organisation.events {
                eventCount += 1
                let record = organisation.records.first { $0.sourceRecordID == event.sourceRecordID }
                #expect(record?.item == event.item)
                #expect(record?.item.isPublic == true)
                #expect(event.subject == organisation.code.rawValue)
                #expect(event.date <= Self.asOf)
                if let decided = record?.decisionDate { #expect(decided < event.date) }
            }
        }
        #expect(eventCount > 50)
    }

    @Test func monthlyDataCoversTheLast24Months() {
        let months = Set(Self.organisations.flatMap(\.records).compactMap { record -> String? in
            guard record.item == .taxPaid, case .month(let year, let month) = record.values[0] else { return nil }
            return "\(year)-\(month)"
        })
        #expect(months.count == 24)
        #expect(months.contains("2026-10"))
        #expect(months.contains("2024-11"))
        #expect(!months.contains("2026-11"))
    }
}
