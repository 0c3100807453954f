import BrokerCore
import Foundation

/// Market-data records: litigation, real estate, patents and high-tech status, and 24 months of
/// tax, social insurance, housing fund, utilities and trade.
extension OrganisationHistory {
    mutating func addLitigation() {
        let count = rng.poisson(0.2 * identity.kind.sanctionExposure * exp(0.8 * risk))
        for number in 0..<count {
            let filed = pastDate(withinDays: 5 * 365)
            let roleDraw = rng.unit()
            let role = roleDraw < 0.05 ? "third_party" : roleDraw < 0.05 + min(0.9, max(0.1, 0.45 + 0.15 * risk))
                ? "defendant" : "plaintiff"
            records.append(SyntheticRecord(
                .litigation, subject: subject, id: "LIT-\(subject)-\(number + 1)", decided: filed,
                values: [
                    .text("（\(filed.year)）苏\(identity.place.courtCode)民初\(rng.int(in: 1...19999))号"), .text(identity.place.court),
                    .text(role), .text(rng.pick(Vocabulary.litigationCauses)),
                    .amount(rng.logNormal(mu: log(150_000), sigma: 1.3)),
                    .bool(rng.chance(asOf.dayNumber - filed.dayNumber > 365 ? 0.9 : 0.3)),
                ]))
        }
    }

    mutating func addRealEstate() {
        let share: Double = switch identity.kind {
        case .enterprise: identity.industry?.name == "制造业" ? 0.3 : 0.1
        case .cooperative: 0.1
        case .individualBusiness, .socialOrganisation: 0.02
        }
        guard rng.chance(share) else { return }
        let pricePerSquareMetre = rng.logNormal(mu: log(identity.place.prefectureIndex == 4 ? 12_000 : 7_000), sigma: 0.4)
        for number in 0..<(1 + rng.poisson(0.4)) {
            let area = rng.logNormal(mu: log(800), sigma: 1)
            let registered = pastDate(withinDays: 15 * 365)
            records.append(SyntheticRecord(
                .realEstate, subject: subject, id: "RE-\(subject)-\(number + 1)",
                values: [
                    .text("苏（\(registered.year)）\(identity.place.prefectureName)不动产权第\(rng.int(in: 1_000_000...9_999_999))号"),
                    .text(identity.place.address(&rng)), .amount(area), .amount(area * pricePerSquareMetre),
                    .bool(rng.chance(risk > 0.5 ? 0.5 : 0.25)),
                ]))
        }
    }

    mutating func addInnovation() {
        let technical = identity.kind == .enterprise && identity.industry?.isTechnical == true
        let count = rng.poisson(technical ? 1.2 * exp(-0.6 * risk) : 0.03)
        for number in 0..<count {
            let year = pastDate(withinDays: 10 * 365).year
            let kindDigit = 1 + rng.weighted([25, 55, 20])
            let kind = ["invention", "utility_model", "design"][kindDigit - 1]
            records.append(SyntheticRecord(
                .patents, subject: subject, id: "PAT-\(subject)-\(number + 1)",
                values: [
                    .text(Self.patentNumber(year: year, kind: kindDigit, serial: rng.int(in: 0...9_999_999))),
                    .text(kind), .text("一种" + rng.pick(Vocabulary.patentSubjects)),
                ]))
        }
        guard count >= 2, risk < 0.3, rng.chance(0.5) else { return }
        let start = pastDate(withinDays: 3 * 365)
        records.append(SyntheticRecord(
            .highTech, subject: subject, id: "HT-\(subject)", publicity: (start, start.adding(days: 3 * 365 - 1)),
            values: [.text("GR\(start.year)32\(rng.int(in: 100_000...999_999))")]))
    }

    /// A Chinese patent number, ZL + year + kind + 7-digit serial + "." + its mod-11 check digit.
    static func patentNumber(year: Int, kind: Int, serial: Int) -> String {
        let digits = String(year) + String(kind) + String(serial + 10_000_000).dropFirst()
        let weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
        let check = sum % 11 == 10 ? "X" : String(sum % 11)
        return "ZL" + digits + "." + check
    }

    /// Monthly data over the 24 months before the as-of date, for the months the firm existed.
    mutating func addMonthlyMarketData(trades: Bool) {
        let kind = identity.kind
        let headcountMedian: Double = switch kind {
        case .enterprise: 12
        case .individualBusiness: 3
        case .cooperative: 5
        case .socialOrganisation: 8
        }
        let headcount = max(1, rng.logNormal(mu: log(headcountMedian), sigma: 1.1))
        let revenue = headcount * rng.logNormal(mu: log(30_000), sigma: 0.5)
        let taxRate = 0.02 + 0.04 * rng.unit()
        let ticket = rng.logNormal(mu: log(8_000), sigma: 0.8)
        let revenueTrend = 0.004 - 0.012 * risk + 0.004 * rng.normal()
        let headcountTrend = 0.002 - 0.008 * risk + 0.003 * rng.normal()
        let wageBase = 4_500 + 4_500 * rng.unit()
        let housingFundShare = rng.chance(kind == .enterprise ? 0.6 : 0.2) ? 0.5 + 0.5 * rng.unit() : 0
        let utilities = ["electricity"] + (rng.chance(0.8) ? ["water"] : []) + (rng.chance(0.3) ? ["gas"] : [])
        let exportShare = trades ? rng.unit() * 0.6 : 0
        let importShare = trades ? rng.unit() * 0.4 : 0
        var inArrears = false
        let established = identity.established.year * 12 + identity.established.month
        for (offset, (year, month)) in generator.months.enumerated() where year * 12 + month >= established {
            let period = FieldValue.month(year: year, month: month)
            let suffix = "\(subject)-\(year)-\(month < 10 ? "0" : "")\(month)"
            let fromNow = Double(offset - generator.months.count + 1)
            let season = month == 2 ? 0.75 : month == 12 ? 1.15 : 1
            let sales = max(0, revenue * exp(revenueTrend * fromNow) * season * (1 + 0.15 * rng.normal()))
            inArrears = inArrears ? rng.chance(0.8) : rng.chance(logistic(-5 + 1.3 * risk))
            let tax = sales * taxRate
            records.append(SyntheticRecord(
                .taxPaid, subject: subject, id: "TAX-\(suffix)",
                values: [
                    period, .amount(tax), .amount(sales * (0.9 + 0.15 * rng.unit())),
                    .int(max(1, Int(sales / ticket))), .amount(inArrears ? tax * (1 + 2 * rng.unit()) : 0),
                ]))
            let staff = max(1, Int((headcount * exp(headcountTrend * fromNow) + 0.3 * rng.normal()).rounded()))
            records.append(SyntheticRecord(
                .socialInsurance, subject: subject, id: "SI-\(suffix)",
                values: [period, .int(staff), .amount(Double(staff) * wageBase * 0.305)]))
            if housingFundShare > 0 {
                let covered = max(1, Int((Double(staff) * housingFundShare).rounded()))
                records.append(SyntheticRecord(
                    .housingFund, subject: subject, id: "HF-\(suffix)",
                    values: [period, .int(covered), .amount(Double(covered) * wageBase * 0.16)]))
            }
            for utility in utilities {
                let late = rng.chance(logistic(-2.8 + 1.3 * risk))
                let daysLate = late ? 1 + rng.poisson(5 + 10 * max(risk, 0)) : 0
                let perHead = utility == "electricity" ? 400.0 : utility == "water" ? 60 : 120
                records.append(SyntheticRecord(
                    .utilities, subject: subject, id: "UT-\(suffix)-\(utility)",
                    values: [period, .text(utility), .amount(headcount * perHead * (0.8 + 0.4 * rng.unit())), .int(daysLate)]))
            }
            if trades {
                records.append(SyntheticRecord(
                    .importExport, subject: subject, id: "IE-\(suffix)",
                    values: [period, .amount(sales * exportShare), .amount(sales * importShare)]))
            }
        }
    }
}
