import BrokerCore
import Foundation

/// Builds the records and status events of one organisation from its identity and its own stream.
///
/// The latent risk drawn first drives the rest: it raises penalties and their severity,
/// dishonesty marks, abnormal-operations listings, low tax credit levels, litigation as defendant,
/// utility lateness and falling headcount and tax, and lowers patents and high-tech status.
struct OrganisationHistory {
    let generator: ProvinceGenerator
    let identity: OrganisationIdentity
    let asOf: CivilDate
    let subject: String
    var rng: SplitMix64
    let risk: Double
    var records: [SyntheticRecord] = []
    var events: [StatusEvent] = []

    /// Probability that the organisation holds a dishonesty mark: the share of Jiangsu enterprises
    /// with a dishonest-debtor or major-tax-violation mark.
    static let markShare = 0.046
    /// Noise added to the latent risk before the mark threshold, so marks are likely, not certain, for risky firms.
    static let markNoise = 0.6
    /// The threshold on `risk + markNoise·N(0,1)` (standard deviation √1.36) that `markShare` of firms exceed.
    static let markThreshold = 1.685 * (1 + markNoise * markNoise).squareRoot()

    init(generator: ProvinceGenerator, identity: OrganisationIdentity) {
        self.generator = generator
        self.identity = identity
        asOf = generator.configuration.asOf
        subject = identity.code.rawValue
        rng = SplitMix64.stream(
            seed: generator.configuration.seed, purpose: ProvinceGenerator.Stream.organisationHistory.rawValue,
            index: identity.index)
        risk = rng.normal()
    }

    mutating func build() -> SyntheticOrganisation {
        let defaultProbability = logistic(-3.3 + 1.4 * risk)
        let defaulted = rng.chance(defaultProbability)
        let marked = risk + Self.markNoise * rng.normal() > Self.markThreshold
        let status = operatingStatus()
        addRegistration(status: status)
        addLicences()
        addPenalties()
        let hasTaxViolation = marked ? addDishonestyMarks() : false
        addAbnormalOperation()
        addLitigation()
        if status == "active" {
            let lastTaxLevel = addTaxCreditLevels(hasTaxViolation: hasTaxViolation)
            let trades = identity.kind == .enterprise && identity.industry?.trades == true && rng.chance(0.12)
            if trades { addCustomsLevel(marked: marked) }
            addLists(lastTaxLevel: lastTaxLevel)
            addCommitment()
            addRealEstate()
            addInnovation()
            if rng.chance(identity.kind.marketCoverage) { addMonthlyMarketData(trades: trades) }
        }
        return SyntheticOrganisation(
            index: identity.index, code: identity.code, kind: identity.kind, name: identity.name,
            established: identity.established, latentRisk: risk, defaultProbability: defaultProbability,
            defaulted: defaulted, hasDishonestyMark: marked, records: records, events: events)
    }

    // MARK: Helpers

    /// A day in the last `days` days, not before the organisation was established.
    mutating func pastDate(withinDays days: Int) -> CivilDate {
        let earliest = max(asOf.dayNumber - days, identity.established.dayNumber)
        return CivilDate(dayNumber: earliest + rng.below(asOf.dayNumber - earliest + 1))
    }

    /// Records a status event `delay` days after `date`, unless that is after the as-of date.
    @discardableResult
    mutating func addEvent(
        _ kind: StatusEvent.Kind, on item: SyntheticItem, id: String, after date: CivilDate, delay: ClosedRange<Int>
    ) -> CivilDate? {
        let day = date.adding(days: rng.int(in: delay))
        guard day <= asOf else { return nil }
        events.append(StatusEvent(kind: kind, item: item, subject: subject, sourceRecordID: id, date: day))
        return day
    }

    /// An authority of the organisation's county or prefecture, e.g. 南京市鼓楼区市场监督管理局.
    mutating func localAuthority(_ suffix: String) -> String {
        (rng.chance(0.6) ? identity.place.fullName : identity.place.prefectureName) + suffix
    }

    // MARK: Public-platform records

    private mutating func operatingStatus() -> String {
        if rng.chance(0.04) { return "deregistered" }
        return rng.chance(logistic(-4.5 + 1.2 * risk)) ? "revoked" : "active"
    }

    private mutating func addRegistration(status: String) {
        let persons = generator.configuration.persons
        let representative = generator.personIdentity(
            at: persons > 0 ? rng.below(persons) : persons + identity.index)
        let capital: Double = switch identity.kind {
        case .enterprise: rng.logNormal(mu: log(100), sigma: 1.3)
        case .individualBusiness: rng.logNormal(mu: log(5), sigma: 0.8)
        case .cooperative: rng.logNormal(mu: log(50), sigma: 1)
        case .socialOrganisation: rng.logNormal(mu: log(10), sigma: 1)
        }
        records.append(SyntheticRecord(
            .registration, subject: subject, id: "REG-\(subject)",
            values: [
                .text(identity.name), .text(identity.kind.rawValue), .text(representative.name),
                .text(representative.id.rawValue),
                identity.kind == .individualBusiness && rng.chance(0.4) ? .null : .amount(capital),
                .date(identity.established), .text(identity.place.address(&rng)),
                .text(identity.industry?.name ?? "公共管理、社会保障和社会组织"), .text(status),
            ]))
    }

    private mutating func addLicences() {
        let count = identity.kind == .individualBusiness ? (rng.chance(0.5) ? 1 : 0) : rng.poisson(0.8)
        for number in 0..<count {
            let validFrom = pastDate(withinDays: 5 * 365)
            let validTo = validFrom.adding(days: 5 * 365 - 1)
            let food = identity.industry?.name == "住宿和餐饮业" || identity.industry?.name == "批发和零售业"
            let (name, prefix) = food && number == 0 ? ("食品经营许可证", "JY") : rng.pick([
                ("排污许可证", "PW"), ("建筑业企业资质证书", "JZ"), ("道路运输经营许可证", "YS"),
                ("安全生产许可证", "AQ"), ("特种设备使用登记证", "TS"),
            ])
            records.append(SyntheticRecord(
                .licence, subject: subject, id: "LIC-\(subject)-\(number + 1)",
                publicity: (validFrom.adding(days: rng.int(in: 0...7)), validTo),
                values: [
                    .text(prefix + String(identity.place.countyCode) + String(rng.int(in: 1_000_000...9_999_999))),
                    .text(name), .text(localAuthority("行政审批局")), .date(validFrom), .date(validTo),
                ]))
        }
    }

    private mutating func addPenalties() {
        let count = rng.poisson(0.3 * identity.kind.sanctionExposure * exp(0.9 * risk))
        for number in 0..<count {
            let id = "PEN-\(subject)-\(number + 1)"
            let decided = pastDate(withinDays: 5 * 365)
            let severityDraw = rng.unit()
            let seriousShare = logistic(-2.6 + 0.8 * risk)
            let severity = severityDraw < seriousShare ? "serious" : severityDraw < seriousShare + 0.2 ? "minor" : "general"
            let (office, violations) = rng.pick(Vocabulary.penaltyViolations)
            let authority = office == "税务局"
                ? "国家税务总局" + identity.place.fullName + "税务局" : localAuthority(office)
            let (penaltyType, amount): (String, FieldValue) = switch severity {
            case "minor":
                rng.chance(0.7) ? ("warning", .null) : ("fine", .amount(Double(rng.int(in: 100...2000))))
            case "general":
                (rng.chance(0.85) ? "fine" : "confiscation", .amount(rng.logNormal(mu: log(15_000), sigma: 1)))
            default:
                (rng.pick(["fine", "fine", "fine", "suspension", "revocation", "confiscation"]),
                 .amount(rng.logNormal(mu: log(200_000), sigma: 1)))
            }
            let officeShort = ["市场监督管理局": "市监", "生态环境局": "环", "应急管理局": "应急", "税务局": "税"][office] ?? ""
            records.append(SyntheticRecord(
                .penalty, subject: subject, id: id, decided: decided,
                publicity: (min(decided.adding(days: rng.int(in: 0...7)), asOf), nil),
                values: [
                    .text("\(identity.place.abbreviation)\(officeShort)罚〔\(decided.year)〕\(rng.int(in: 1...2999))号"),
                    .text(authority), .text(rng.pick(violations)), .text(penaltyType), amount, .text(severity),
                ]))
            addPenaltyEvents(id: id, decided: decided, serious: severity == "serious")
        }
    }

    /// Objections, withdrawals and credit repair on a penalty, after its minimum disclosure period.
    private mutating func addPenaltyEvents(id: String, decided: CivilDate, serious: Bool) {
        let path = rng.unit()
        if path < 0.03 {
            if let disputed = addEvent(.disputed, on: .penalty, id: id, after: decided, delay: 5...60), rng.chance(0.7) {
                addEvent(.disputeResolved, on: .penalty, id: id, after: disputed, delay: 10...120)
            }
        } else if path < 0.04 {
            addEvent(.withdrawn, on: .penalty, id: id, after: decided, delay: 30...180)
        } else if rng.chance(serious ? 0.1 : 0.25) {
            addEvent(.repaired, on: .penalty, id: id, after: decided, delay: serious ? 365...700 : 90...400)
        }
    }

    /// A dishonest-debtor listing, a major tax violation or both; returns whether a tax violation was added.
    private mutating func addDishonestyMarks() -> Bool {
        let draw = rng.unit()
        if draw < 0.85 {
            let id = "DD-\(subject)-1"
            let decided = pastDate(withinDays: 700)
            records.append(SyntheticRecord(
                .dishonestDebtor, subject: subject, id: id, decided: decided,
                values: [
                    .text("（\(decided.year)）苏\(identity.place.courtCode)执\(rng.int(in: 1...9999))号"), .text(identity.place.court),
                    .text(rng.pick(Vocabulary.obligations)), .amount(rng.logNormal(mu: log(300_000), sigma: 1.2)),
                ]))
            if rng.chance(0.15) { addEvent(.withdrawn, on: .dishonestDebtor, id: id, after: decided, delay: 30...400) }
            if rng.chance(0.5) {
                addBlackList("失信被执行人名单", authority: identity.place.court, reason: "拒不履行生效法律文书确定的义务", decided: decided)
            }
        }
        guard draw >= 0.6 else { return false }
        let decided = pastDate(withinDays: 1000)
        let authority = "国家税务总局" + identity.place.prefectureName + "税务局稽查局"
        let violation = rng.pick(Vocabulary.taxViolations)
        records.append(SyntheticRecord(
            .majorTaxViolation, subject: subject, id: "TV-\(subject)-1", decided: decided,
            values: [
                .text("\(identity.place.abbreviation)税稽罚〔\(decided.year)〕\(rng.int(in: 1...999))号"), .text(authority),
                .text(violation), .amount(rng.logNormal(mu: log(500_000), sigma: 1.2)),
            ]))
        if rng.chance(0.5) { addBlackList("重大税收违法失信主体名单", authority: authority, reason: violation, decided: decided) }
        return true
    }

    private mutating func addBlackList(_ list: String, authority: String, reason: String, decided: CivilDate) {
        let number = records.count(where: { $0.item == .blackList }) + 1
        records.append(SyntheticRecord(
            .blackList, subject: subject, id: "BL-\(subject)-\(number)", decided: decided,
            values: [.text(list), .text(authority), .text(reason)]))
    }

    private mutating func addAbnormalOperation() {
        guard rng.chance(logistic(-3.4 + 1.1 * risk)) else { return }
        let id = "AO-\(subject)-1"
        let decided = pastDate(withinDays: 3 * 365)
        let reasons = ["annual_report_missing", "unreachable_address", "false_information", "other"]
        records.append(SyntheticRecord(
            .abnormalOperation, subject: subject, id: id, decided: decided,
            values: [.text(reasons[rng.weighted([70, 22, 3, 5])]), .text(localAuthority("市场监督管理局"))]))
        if rng.chance(0.4) { addEvent(.repaired, on: .abnormalOperation, id: id, after: decided, delay: 30...300) }
    }

    /// Tax credit levels for the last two years; returns the latest.
    private mutating func addTaxCreditLevels(hasTaxViolation: Bool) -> String? {
        guard identity.kind == .enterprise || identity.kind == .cooperative else { return nil }
        var latest: String?
        for year in (asOf.year - 2)...(asOf.year - 1) where identity.established.year <= year {
            let score = 82 - 10 * risk + 5 * rng.normal()
            let level = identity.established.year == year ? "M"
                : hasTaxViolation ? "D" : score >= 90 ? "A" : score >= 70 ? "B" : score >= 40 ? "C" : "D"
            records.append(SyntheticRecord(
                .taxCreditLevel, subject: subject, id: "TCL-\(subject)-\(year)", values: [.int(year), .text(level)]))
            latest = level
        }
        return latest
    }

    private mutating func addCustomsLevel(marked: Bool) {
        let level = marked || risk > 2.2 ? "dishonest" : risk < -0.8 && rng.chance(0.4) ? "advanced_certified" : "general"
        records.append(SyntheticRecord(
            .customsCreditLevel, subject: subject, id: "CCL-\(subject)",
            values: [.text(level), .date(pastDate(withinDays: 3 * 365))]))
    }

    private mutating func addLists(lastTaxLevel: String?) {
        var lists: [(String, String)] = []
        if lastTaxLevel == "A", rng.chance(0.4) { lists.append(("A级纳税人名单", "国家税务总局江苏省税务局")) }
        if identity.kind == .enterprise, risk < 0, rng.chance(0.03) { lists.append(("守合同重信用企业", "江苏省市场监督管理局")) }
        for (number, (list, authority)) in lists.enumerated() {
            let start = pastDate(withinDays: 365)
            records.append(SyntheticRecord(
                .redList, subject: subject, id: "RL-\(subject)-\(number + 1)", publicity: (start, start.adding(days: 365)),
                values: [.text(list), .text(authority)]))
        }
    }

    private mutating func addCommitment() {
        guard rng.chance(identity.kind == .enterprise ? 0.25 : 0.05) else { return }
        let fulfilled: FieldValue = rng.chance(0.3) ? .null : .bool(!rng.chance(logistic(-3 + risk)))
        records.append(SyntheticRecord(
            .creditCommitment, subject: subject, id: "CC-\(subject)-1",
            values: [.text(rng.pick(Vocabulary.commitmentTypes)), fulfilled]))
    }
}
