import BrokerCore
import Foundation

/// Generates a synthetic Jiangsu: organisations and persons with every catalog item's records,
/// deterministically from `ProvinceConfiguration.seed`.
///
/// Each subject is computed on demand from its own PRNG stream, so the sequences below are lazy
/// and a province of any size streams in constant memory; `organisation(at:)` and `person(at:)`
/// give random access. Identifiers are unique: organisation codes and person numbers come from
/// seeded bijections of the subject's index, not from independent draws.
public struct ProvinceGenerator: Sendable {
    public let configuration: ProvinceConfiguration
    /// The 24 months before the as-of date, oldest first.
    let months: [(year: Int, month: Int)]
    /// Jiangsu's prefectures, each with its current counties.
    let places: [[OrganisationIdentity.Place]]
    /// Every place by its county code.
    private let placesByCounty: [Int: OrganisationIdentity.Place]
    private let numericCodes: Bijection
    private let letterCodes: Bijection
    private let personNumbers: Bijection
    /// Address codes persons are born in: every Jiangsu county and a few elsewhere.
    private let birthDivisions: [Int]
    /// The earliest birth day number (persons are 18 to 80 years old).
    private let earliestBirth: Int
    private let birthDays: Int

    /// Purposes that separate the PRNG streams of one index.
    enum Stream: UInt64 {
        case organisationIdentity = 1, organisationHistory, personIdentity, personHistory, setup
    }

    public init(_ configuration: ProvinceConfiguration) {
        self.configuration = configuration
        let asOf = configuration.asOf
        months = (1...24).reversed().map { back in
            let total = asOf.year * 12 + asOf.month - 1 - back
            return (total / 12, total % 12 + 1)
        }
        places = (0..<13).map { prefecture in
            GB2260.jiangsuCounties(inPrefecture: 3201 + prefecture).map {
                OrganisationIdentity.Place(
                    prefectureIndex: prefecture, prefectureName: GB2260.jiangsuPrefectures[3201 + prefecture] ?? "",
                    countyCode: $0.code, countyName: $0.name)
            }
        }
        placesByCounty = Dictionary(uniqueKeysWithValues: places.joined().map { ($0.countyCode, $0) })
        birthDivisions = GB2260.jiangsuCounties.keys.sorted() + Vocabulary.outsideDivisions
        let latestBirth = CivilDate(year: asOf.year - 18, month: asOf.month, day: min(asOf.day, 28))!.dayNumber
        earliestBirth = CivilDate(year: asOf.year - 80, month: asOf.month, day: min(asOf.day, 28))!.dayNumber
        birthDays = latestBirth - earliestBirth + 1
        var setup = SplitMix64.stream(seed: configuration.seed, purpose: Stream.setup.rawValue, index: 0)
        numericCodes = Bijection(size: 100_000_000, using: &setup)
        letterCodes = Bijection(size: 887_503_681, using: &setup)  // 31^6
        personNumbers = Bijection(size: birthDivisions.count * 1000 * birthDays, using: &setup)
    }

    /// Every organisation, in index order, generated as it is iterated.
    public var organisations: LazyMapSequence<Range<Int>, SyntheticOrganisation> {
        (0..<configuration.organisations).lazy.map(organisation(at:))
    }

    /// Every person, in index order, generated as it is iterated.
    public var persons: LazyMapSequence<Range<Int>, SyntheticPerson> {
        (0..<configuration.persons).lazy.map(person(at:))
    }

    /// The organisation at `index` with all its records.
    public func organisation(at index: Int) -> SyntheticOrganisation {
        var history = OrganisationHistory(generator: self, identity: organisationIdentity(at: index))
        return history.build()
    }

    /// The person at `index` with all their records.
    public func person(at index: Int) -> SyntheticPerson {
        var history = PersonHistory(generator: self, index: index, identity: personIdentity(at: index))
        return history.build()
    }

    /// The code, kind, name and place of the organisation at `index`.
    func organisationIdentity(at index: Int) -> OrganisationIdentity {
        var rng = SplitMix64.stream(seed: configuration.seed, purpose: Stream.organisationIdentity.rawValue, index: index)
        let kind = OrganisationKind.allCases[rng.weighted(OrganisationKind.shares)]
        let type = rng.pick(kind.organisationTypes)
        let place = rng.pick(places[rng.weighted(Vocabulary.prefectureWeights)])
        let meanAge: Double = switch kind {
        case .enterprise: 7
        case .individualBusiness: 5
        case .cooperative, .socialOrganisation: 9
        }
        let age = min(Int(-meanAge * 365 * log(1 - rng.unit())), 35 * 365)
        let established = configuration.asOf.adding(days: -age)

        let levelDraw = rng.unit()
        let provinceShare = kind == .socialOrganisation ? 0.10 : 0.02
        let prefectureShare = kind == .socialOrganisation ? 0.30 : 0.13
        let division = levelDraw < provinceShare ? 320_000
            : levelDraw < provinceShare + prefectureShare ? place.prefectureCode * 100 : place.countyCode
        // Codes issued since the USCC reform (October 2015) start with MA; older ones are numeric.
        let organisationCode = established >= CivilDate(year: 2015, month: 10, day: 1)!
            ? "MA" + String(base31: letterCodes.apply(index), width: 6)
            : String(numericCodes.apply(index) + 100_000_000).dropFirst()
        // Type, division and code are valid by construction.
        let code = try! UnifiedSocialCreditCode(type: type, division: division, organisationCode: organisationCode)

        let brand = rng.pick(Vocabulary.brandWords) + rng.pick(Vocabulary.brandWords)
        let industry: Vocabulary.Industry?
        let name: String
        switch kind {
        case .enterprise:
            let chosen = Vocabulary.industries[rng.weighted(Vocabulary.industries.map(\.enterpriseWeight))]
            industry = chosen
            name = (rng.chance(0.7) ? place.prefectureName : "江苏") + brand + rng.pick(chosen.nameWords)
                + (rng.chance(0.12) ? "股份有限公司" : "有限公司")
        case .individualBusiness:
            let chosen = Vocabulary.industries[rng.weighted(Vocabulary.industries.map(\.individualWeight))]
            industry = chosen
            name = place.fullName + brand + rng.pick(chosen.nameWords)
        case .cooperative:
            industry = Vocabulary.agriculture
            name = place.countyName + brand + rng.pick(Vocabulary.cooperativeProducts) + "专业合作社"
        case .socialOrganisation:
            industry = nil
            name = (division == 320_000 ? "江苏省" : place.prefectureName) + brand
                + rng.pick(Vocabulary.socialOrganisationNames)
        }
        return OrganisationIdentity(
            index: index, kind: kind, code: code, name: name, place: place, established: established, industry: industry)
    }

    /// The ID number and name of the person at `index` (any index: legal representatives of a
    /// province without persons use indices beyond `persons`).
    func personIdentity(at index: Int) -> (id: ResidentIDNumber, name: String) {
        let number = personNumbers.apply(index)
        let division = birthDivisions[number % birthDivisions.count]
        let sequence = number / birthDivisions.count % 1000
        let birth = CivilDate(dayNumber: earliestBirth + number / birthDivisions.count / 1000)
        // Division, birth date and sequence are valid by construction.
        let id = try! ResidentIDNumber(division: division, birthDate: birth, sequence: sequence, today: configuration.asOf)
        var rng = SplitMix64.stream(seed: configuration.seed, purpose: Stream.personIdentity.rawValue, index: index)
        var name = rng.pick(Vocabulary.surnames) + rng.pick(Vocabulary.givenNameCharacters)
        if rng.chance(0.7) { name += rng.pick(Vocabulary.givenNameCharacters) }
        return (id, name)
    }

    /// The Jiangsu place of a person's address: their birth county if in Jiangsu, else a random one.
    func residence(of id: ResidentIDNumber, _ rng: inout SplitMix64) -> OrganisationIdentity.Place {
        placesByCounty[id.division.code] ?? rng.pick(places[rng.weighted(Vocabulary.prefectureWeights)])
    }
}

/// x ↦ (a·x + b) mod n with gcd(a, n) = 1: a permutation of 0..<n that spreads neighbouring indices.
struct Bijection: Sendable {
    let size: Int
    let multiplier: Int
    let offset: Int

    init(size: Int, using rng: inout SplitMix64) {
        var multiplier = size / 3 + rng.below(size / 3)
        while gcd(multiplier, size) != 1 { multiplier += 1 }
        self.size = size
        self.multiplier = multiplier
        offset = rng.below(size)
    }

    /// The image of `x` (0 ≤ x < size, so distinct inputs give distinct outputs).
    func apply(_ x: Int) -> Int {
        // size < 2^32, so the product cannot overflow.
        ((x % size) * multiplier + offset) % size
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int {
    b == 0 ? a : gcd(b, a % b)
}

extension String {
    /// `value` in the USCC alphabet, zero-padded to `width` symbols.
    init(base31 value: Int, width: Int) {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        var digits = [Character](repeating: "0", count: width)
        var rest = value
        for position in (0..<width).reversed() {
            digits[position] = alphabet[rest % 31]
            rest /= 31
        }
        self.init(digits)
    }
}
