/// A feature that ``FeatureFusion`` computes from a subject's records. The raw value is the
/// feature's name in scorecards and training data.
///
/// Amounts are in 10,000 CNY (万元); trends are ratios of the last 12 months' monthly mean to the
/// 12 months before (−0.2 = down 20 %). "Last year" is the 365 days up to the scoring day.
public enum FusionFeature: String, Sendable, Hashable, CaseIterable {
    /// Years from `established_on` to the scoring day.
    case yearsSinceRegistration = "years_since_registration"
    /// `registered_capital` (万元) in bands: see ``FeatureFusion/capitalBands``.
    case registeredCapitalBand = "registered_capital_band"
    /// `operating_status` of the registration: active, revoked or deregistered.
    case operatingStatus = "operating_status"
    /// Minor and general penalties decided in the last year.
    case penalties1yGeneral = "penalties_1y_general"
    case penalties1ySerious = "penalties_1y_serious"
    /// Penalties of every severity decided in the last three years.
    case penalties3y = "penalties_3y"
    case penalties3ySerious = "penalties_3y_serious"
    /// `yes` when a dishonest-debtor or major-tax-violation record is disclosable, else `no`.
    case dishonestMark = "dishonest_mark"
    /// `yes` when an abnormal-operations listing is disclosable, else `no`.
    case abnormalOperation = "abnormal_operation"
    /// The `level` of the latest `year`'s tax credit rating (A, B, M, C, D).
    case taxCreditLevel = "tax_credit_level"
    /// The `level` of the rating the year before the latest; missing without two years' ratings.
    case taxCreditLevelPrevious = "tax_credit_level_previous"
    /// The customs `level`, `none` when the subject holds no customs rating.
    case customsLevel = "customs_level"
    /// `tax_paid` over the last 12 months, 万元.
    case taxPaid12m = "tax_paid_12m"
    case taxTrend = "tax_trend"
    /// Months of the last 12 with tax `arrears` above zero.
    case taxArrearsMonths12m = "tax_arrears_months_12m"
    /// Social-insurance `headcount` of the latest month.
    case socialInsuranceHeadcount = "social_insurance_headcount"
    case headcountTrend = "headcount_trend"
    /// Utility bills of the last 12 months paid late (`days_late` above zero).
    case utilityDelinquencies = "utility_delinquencies"
    /// `days_late` summed over the utility bills of the last 12 months.
    case utilityDaysLate12m = "utility_days_late_12m"
    /// `yes` when the subject holds real estate, else `no`.
    case realEstate = "real_estate"
    case patents
    /// `yes` while a high-tech enterprise certificate is in its publicity window, else `no`.
    case highTech = "high_tech"
    /// Lawsuits filed in the last three years with the subject as defendant.
    case litigationDefendant3y = "litigation_defendant_3y"
    /// Lawsuits filed in the last three years in any role.
    case litigation3y = "litigation_3y"

    /// Whether the feature is numeric (else categorical).
    public var isNumeric: Bool {
        switch self {
        case .registeredCapitalBand, .operatingStatus, .dishonestMark, .abnormalOperation, .taxCreditLevel,
             .taxCreditLevelPrevious, .customsLevel, .realEstate, .highTech: false
        default: true
        }
    }

    /// The catalog items the feature is computed from. When any of them is withheld from a
    /// partner the feature is missing for that partner.
    public var items: [String] {
        switch self {
        case .yearsSinceRegistration, .registeredCapitalBand, .operatingStatus: ["enterprise.registration"]
        case .penalties1yGeneral, .penalties1ySerious, .penalties3y, .penalties3ySerious: ["enterprise.penalty"]
        case .dishonestMark: ["enterprise.dishonest_debtor", "enterprise.major_tax_violation"]
        case .abnormalOperation: ["enterprise.abnormal_operation"]
        case .taxCreditLevel, .taxCreditLevelPrevious: ["enterprise.tax_credit_level"]
        case .customsLevel: ["enterprise.customs_credit_level"]
        case .taxPaid12m, .taxTrend, .taxArrearsMonths12m: ["market.tax_paid"]
        case .socialInsuranceHeadcount, .headcountTrend: ["market.social_insurance"]
        case .utilityDelinquencies, .utilityDaysLate12m: ["market.utilities"]
        case .realEstate: ["market.real_estate"]
        case .patents: ["market.patents"]
        case .highTech: ["market.high_tech"]
        case .litigationDefendant3y, .litigation3y: ["market.litigation"]
        }
    }

    /// Reason text for a card: Chinese and English, with `{value}` the subject's value.
    public var reasonText: (chinese: String, english: String) {
        switch self {
        case .yearsSinceRegistration: ("成立年限（{value} 年）", "Years since registration ({value})")
        case .registeredCapitalBand: ("注册资本规模（{value} 万元）", "Registered capital band ({value} x 10,000 CNY)")
        case .operatingStatus: ("登记状态为 {value}", "Operating status {value}")
        case .penalties1yGeneral: ("近一年一般行政处罚 {value} 次", "{value} minor or general penalties in the last year")
        case .penalties1ySerious: ("近一年严重行政处罚 {value} 次", "{value} serious penalties in the last year")
        case .penalties3y: ("近三年行政处罚 {value} 次", "{value} penalties in the last three years")
        case .penalties3ySerious: ("近三年严重行政处罚 {value} 次", "{value} serious penalties in the last three years")
        case .dishonestMark: ("失信被执行人或重大税收违法记录：{value}", "Dishonest debtor or major tax violator: {value}")
        case .abnormalOperation: ("列入经营异常名录：{value}", "Listed for abnormal operations: {value}")
        case .taxCreditLevel: ("纳税信用等级为 {value}", "Tax credit level {value}")
        case .taxCreditLevelPrevious: ("上一年度纳税信用等级为 {value}", "Tax credit level the year before {value}")
        case .customsLevel: ("海关信用等级为 {value}", "Customs credit level {value}")
        case .taxPaid12m: ("近12个月纳税额 {value} 万元", "Tax paid in the last 12 months: {value} x 10,000 CNY")
        case .taxTrend: ("纳税额同比变化 {value}", "Year-on-year change in tax paid: {value}")
        case .taxArrearsMonths12m: ("近12个月欠税 {value} 个月", "{value} months of tax arrears in the last 12")
        case .socialInsuranceHeadcount: ("社保缴纳人数 {value} 人", "{value} employees on social insurance")
        case .headcountTrend: ("参保人数同比变化 {value}", "Year-on-year change in insured headcount: {value}")
        case .utilityDelinquencies: ("近12个月水电气逾期缴费 {value} 次", "{value} late utility payments in the last 12 months")
        case .utilityDaysLate12m: ("近12个月水电气累计逾期 {value} 天", "Utility bills {value} days late in total in the last 12 months")
        case .realEstate: ("持有不动产：{value}", "Holds real estate: {value}")
        case .patents: ("专利 {value} 项", "{value} patents")
        case .highTech: ("高新技术企业：{value}", "Certified high-tech enterprise: {value}")
        case .litigationDefendant3y: ("近三年作为被告涉诉 {value} 件", "Defendant in {value} lawsuits in the last three years")
        case .litigation3y: ("近三年涉诉 {value} 件", "{value} lawsuits in the last three years")
        }
    }
}
