import BrokerCore

/// Fuses a subject's disclosable records into the features a scorecard reads.
///
/// Inference control: a feature is computed only when every item it comes from
/// (``FusionFeature/items``) is in `available`, the items this partner may receive for this
/// purpose and consent; otherwise it is missing, and records of other items are ignored. An
/// available item without records means "none held" where the item is a register (penalties,
/// listings, customs ratings, real estate, patents, high-tech status, litigation) and "unknown"
/// (missing) where records exist only for the subjects a source covers (the registration, tax
/// credit ratings, monthly tax, social-insurance and utility data).
///
/// Build one per card with ``init(layout:)``; it checks that the card reads only fusion features.
public struct FeatureFusion: Sendable {
    public let layout: FeatureLayout
    /// The fusion feature of each of the layout's slots.
    private let slots: [FusionFeature]

    /// Registered-capital bands, 万元: `under_100` is [0, 100), … `5000_plus` is [5000, ∞).
    public static let capitalBands: [(lower: Double, name: String)] = [
        (0, "under_100"), (100, "100_to_500"), (500, "500_to_1000"), (1000, "1000_to_5000"), (5000, "5000_plus"),
    ]

    /// Fails when the card names a feature fusion does not compute.
    public init(layout: FeatureLayout) throws(FeatureVectorError) {
        var slots: [FusionFeature] = []
        for name in layout.names {
            guard let feature = FusionFeature(rawValue: name) else { throw .unknownFeature(name) }
            slots.append(feature)
        }
        self.layout = layout
        self.slots = slots
    }

    /// The catalog items the card's features read, in catalog-id order.
    public var items: [String] { Set(slots.flatMap(\.items)).sorted() }

    /// The card's vector of a subject's features.
    public func vector(_ features: FusedFeatures) -> FeatureVector {
        var vector = layout.makeVector()
        for (slot, feature) in slots.enumerated() {
            switch features[feature] {
            case .missing: break
            case let .number(x): vector.setNumber(x, inSlot: slot)
            case let .category(text): vector.setCategory(text, inSlot: slot)
            }
        }
        return vector
    }

    /// Every fusion feature of a subject on `day` from its disclosable `records`, reading only
    /// records of `available` items.
    public static func features(
        of records: some Sequence<FusionRecord>, available: Set<String>, on day: CivilDate
    ) -> FusedFeatures {
        var byItem: [String: [FusionRecord]] = [:]
        for record in records where available.contains(record.item) { byItem[record.item, default: []].append(record) }
        var features = FusedFeatures()
        let reader = Reader(byItem: byItem, day: day)
        for feature in FusionFeature.allCases where feature.items.allSatisfy(available.contains) {
            features[feature] = reader.value(of: feature)
        }
        return features
    }

    /// Computes one feature from records of available items.
    private struct Reader {
        let byItem: [String: [FusionRecord]]
        let day: CivilDate
        /// The scoring day's month as `year * 12 + month - 1`; the last 12 months are the 12 before it.
        var month: Int { day.year * 12 + day.month - 1 }

        func records(_ item: String) -> [FusionRecord] { byItem[item] ?? [] }

        func value(of feature: FusionFeature) -> FusedFeatures.Value {
            switch feature {
            case .yearsSinceRegistration:
                guard let text = registration?.text("established_on"), let established = CivilDate(text) else { return .missing }
                return .number((Double(day.dayNumber - established.dayNumber) / 365.25 * 10).rounded() / 10)
            case .registeredCapitalBand:
                guard let capital = registration?.number("registered_capital") else { return .missing }
                return .category(FeatureFusion.capitalBands.last { $0.lower <= capital }?.name ?? FeatureFusion.capitalBands[0].name)
            case .operatingStatus:
                return registration?.text("operating_status").map(FusedFeatures.Value.category) ?? .missing
            case .penalties1yGeneral: return penalties(years: 1) { $0 != "serious" }
            case .penalties1ySerious: return penalties(years: 1) { $0 == "serious" }
            case .penalties3y: return penalties(years: 3) { _ in true }
            case .penalties3ySerious: return penalties(years: 3) { $0 == "serious" }
            case .dishonestMark:
                return flag(!records("enterprise.dishonest_debtor").isEmpty || !records("enterprise.major_tax_violation").isEmpty)
            case .abnormalOperation: return flag(!records("enterprise.abnormal_operation").isEmpty)
            case .taxCreditLevel: return taxCreditLevel(yearsBack: 0)
            case .taxCreditLevelPrevious: return taxCreditLevel(yearsBack: 1)
            case .customsLevel:
                return .category(records("enterprise.customs_credit_level").first?.text("level") ?? "none")
            case .taxPaid12m:
                let paid = monthly("market.tax_paid", "tax_paid", months: 1...12)
                return paid.isEmpty ? .missing : .number((paid.values.reduce(0, +) / 10_000 * 100).rounded() / 100)
            case .taxTrend: return trend("market.tax_paid", "tax_paid")
            case .taxArrearsMonths12m:
                let arrears = monthly("market.tax_paid", "arrears", months: 1...12)
                return arrears.isEmpty ? .missing : .number(Double(arrears.values.count { $0 > 0 }))
            case .socialInsuranceHeadcount:
                let headcounts = monthly("market.social_insurance", "headcount", months: 1...12)
                return headcounts.max { $0.key < $1.key }.map { .number($0.value) } ?? .missing
            case .headcountTrend: return trend("market.social_insurance", "headcount")
            case .utilityDelinquencies:
                return utilityBills12m.map { .number(Double($0.count { $0 > 0 })) } ?? .missing
            case .utilityDaysLate12m:
                return utilityBills12m.map { .number($0.reduce(0, +)) } ?? .missing
            case .realEstate: return flag(!records("market.real_estate").isEmpty)
            case .patents: return .number(Double(records("market.patents").count))
            case .highTech:
                return flag(records("market.high_tech").contains { record in
                    (record.publicityStart.map { $0 <= day } ?? true) && (record.publicityEnd.map { day <= $0 } ?? true)
                })
            case .litigationDefendant3y: return lawsuits3y { $0 == "defendant" }
            case .litigation3y: return lawsuits3y { _ in true }
            }
        }

        /// The registration record (the newest superseding version is the only one disclosed).
        private var registration: FusionRecord? { records("enterprise.registration").first }

        private func flag(_ value: Bool) -> FusedFeatures.Value { .category(value ? "yes" : "no") }

        /// The `level` of the rating `yearsBack` years before the latest `year` rated.
        private func taxCreditLevel(yearsBack: Int) -> FusedFeatures.Value {
            let ratings = records("enterprise.tax_credit_level").sorted { ($0.number("year") ?? 0) > ($1.number("year") ?? 0) }
            guard yearsBack < ratings.count, let level = ratings[yearsBack].text("level") else { return .missing }
            return .category(level)
        }

        /// `days_late` of each utility bill of the last 12 months; `nil` without such bills.
        private var utilityBills12m: [Double]? {
            let bills = records("market.utilities").filter { $0.periodIndex.map { (month - 12..<month).contains($0) } ?? false }
            return bills.isEmpty ? nil : bills.map { $0.number("days_late") ?? 0 }
        }

        /// Lawsuits filed in the last three years with a `role` that passes `include`.
        private func lawsuits3y(_ include: (String?) -> Bool) -> FusedFeatures.Value {
            let since = day.adding(months: -36)
            return .number(Double(records("market.litigation").count { record in
                include(record.text("role")) && record.decisionDate.map { since < $0 && $0 <= day } ?? false
            }))
        }

        /// Penalties decided in the last `years` years whose `severity` passes `include`.
        private func penalties(years: Int, _ include: (String) -> Bool) -> FusedFeatures.Value {
            let since = day.adding(months: -12 * years)
            return .number(Double(records("enterprise.penalty").count { record in
                guard let decided = record.decisionDate, since < decided, decided <= day else { return false }
                return include(record.text("severity") ?? "general")
            }))
        }

        /// Field `field` summed per month, for months `months` back from the scoring month
        /// (1 = the month before it), keyed by months back.
        private func monthly(_ item: String, _ field: String, months: ClosedRange<Int>) -> [Int: Double] {
            var sums: [Int: Double] = [:]
            for record in records(item) {
                guard let period = record.periodIndex, months.contains(month - period), let value = record.number(field) else { continue }
                sums[month - period, default: 0] += value
            }
            return sums
        }

        /// The monthly mean of `field` over the last 12 months against the 12 before, minus one;
        /// missing without data in both years or with a zero mean the year before.
        private func trend(_ item: String, _ field: String) -> FusedFeatures.Value {
            let recent = monthly(item, field, months: 1...12)
            let before = monthly(item, field, months: 13...24)
            guard !recent.isEmpty, !before.isEmpty else { return .missing }
            let previousMean = before.values.reduce(0, +) / Double(before.count)
            guard previousMean > 0 else { return .missing }
            let ratio = recent.values.reduce(0, +) / Double(recent.count) / previousMean - 1
            return .number((ratio * 1000).rounded() / 1000)
        }
    }
}
