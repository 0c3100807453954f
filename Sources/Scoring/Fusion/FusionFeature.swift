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

    /// Reason texts for a card (the code left to the card): Chinese and English, with `{value}`
    /// the subject's value, and texts for a missing value.
    public var reason: ReasonCode {
        let (chinese, english, missingChinese, missingEnglish) = switch self {
        case .yearsSinceRegistration:
            ("成立年限（{value} 年）", "{value} {year|years} since registration", "成立年限：缺失", "Years since registration: not available")
        case .registeredCapitalBand:
            ("注册资本规模（{value} 万元）", "Registered capital band ({value} x 10,000 CNY)", "注册资本规模：缺失", "Registered capital band: not available")
        case .operatingStatus:
            ("登记状态为 {value}", "Operating status: {value}", "登记状态：缺失", "Operating status: not available")
        case .penalties1yGeneral:
            ("近一年一般行政处罚 {value} 次", "{value} minor or general {penalty|penalties} in the last year",
             "近一年一般行政处罚次数：缺失", "Minor or general penalties in the last year: not available")
        case .penalties1ySerious:
            ("近一年严重行政处罚 {value} 次", "{value} serious {penalty|penalties} in the last year",
             "近一年严重行政处罚次数：缺失", "Serious penalties in the last year: not available")
        case .penalties3y:
            ("近三年行政处罚 {value} 次", "{value} {penalty|penalties} in the last three years",
             "近三年行政处罚次数：缺失", "Penalties in the last three years: not available")
        case .penalties3ySerious:
            ("近三年严重行政处罚 {value} 次", "{value} serious {penalty|penalties} in the last three years",
             "近三年严重行政处罚次数：缺失", "Serious penalties in the last three years: not available")
        case .dishonestMark:
            ("失信被执行人或重大税收违法记录：{value}", "Dishonest debtor or major tax violator: {value}",
             "失信被执行人或重大税收违法记录：缺失", "Dishonest debtor or major tax violator: not available")
        case .abnormalOperation:
            ("列入经营异常名录：{value}", "Listed for abnormal operations: {value}", "经营异常名录记录：缺失", "Abnormal operations listing: not available")
        case .taxCreditLevel:
            ("纳税信用等级为 {value}", "Tax credit level: {value}", "纳税信用等级：缺失", "Tax credit level: not available")
        case .taxCreditLevelPrevious:
            ("上一年度纳税信用等级为 {value}", "Tax credit level the year before: {value}",
             "上一年度纳税信用等级：缺失", "Tax credit level the year before: not available")
        case .customsLevel:
            ("海关信用等级为 {value}", "Customs credit level: {value}", "海关信用等级：缺失", "Customs credit level: not available")
        case .taxPaid12m:
            ("近12个月纳税额 {value} 万元", "Tax paid in the last 12 months: {value} x 10,000 CNY",
             "近12个月纳税额：缺失", "Tax paid in the last 12 months: not available")
        case .taxTrend:
            ("纳税额同比变化 {value}", "Year-on-year change in tax paid: {value}", "纳税额同比变化：缺失", "Year-on-year change in tax paid: not available")
        case .taxArrearsMonths12m:
            ("近12个月欠税 {value} 个月", "{value} {month|months} of tax arrears in the last 12",
             "近12个月欠税月数：缺失", "Months of tax arrears in the last 12: not available")
        case .socialInsuranceHeadcount:
            ("社保缴纳人数 {value} 人", "{value} {employee|employees} on social insurance", "社保缴纳人数：缺失", "Employees on social insurance: not available")
        case .headcountTrend:
            ("参保人数同比变化 {value}", "Year-on-year change in insured headcount: {value}",
             "参保人数同比变化：缺失", "Year-on-year change in insured headcount: not available")
        case .utilityDelinquencies:
            ("近12个月水电气逾期缴费 {value} 次", "{value} late utility {payment|payments} in the last 12 months",
             "近12个月水电气逾期缴费次数：缺失", "Late utility payments in the last 12 months: not available")
        case .utilityDaysLate12m:
            ("近12个月水电气累计逾期 {value} 天", "Utility bills {value} {day|days} late in total in the last 12 months",
             "近12个月水电气逾期天数：缺失", "Days utility bills were late in the last 12 months: not available")
        case .realEstate:
            ("持有不动产：{value}", "Holds real estate: {value}", "不动产记录：缺失", "Real estate holdings: not available")
        case .patents:
            ("专利 {value} 项", "{value} {patent|patents}", "专利数量：缺失", "Patents: not available")
        case .highTech:
            ("高新技术企业：{value}", "Certified high-tech enterprise: {value}", "高新技术企业认定：缺失", "High-tech certification: not available")
        case .litigationDefendant3y:
            ("近三年作为被告涉诉 {value} 件", "Defendant in {value} {lawsuit|lawsuits} in the last three years",
             "近三年作为被告涉诉件数：缺失", "Lawsuits as defendant in the last three years: not available")
        case .litigation3y:
            ("近三年涉诉 {value} 件", "{value} {lawsuit|lawsuits} in the last three years",
             "近三年涉诉件数：缺失", "Lawsuits in the last three years: not available")
        }
        return ReasonCode(code: "", chinese: chinese, english: english, missingChinese: missingChinese, missingEnglish: missingEnglish)
    }
}
