/// The catalog items the synthetic province produces (every item of Policies/catalog.yaml), with the
/// fields, source and output file each one has. The raw value is the catalog item id.
public enum SyntheticItem: String, Sendable, Hashable, CaseIterable {
    case registration = "enterprise.registration"
    case licence = "enterprise.licence"
    case penalty = "enterprise.penalty"
    case dishonestDebtor = "enterprise.dishonest_debtor"
    case majorTaxViolation = "enterprise.major_tax_violation"
    case abnormalOperation = "enterprise.abnormal_operation"
    case taxCreditLevel = "enterprise.tax_credit_level"
    case customsCreditLevel = "enterprise.customs_credit_level"
    case redList = "enterprise.red_list"
    case blackList = "enterprise.black_list"
    case creditCommitment = "enterprise.credit_commitment"
    case taxPaid = "market.tax_paid"
    case socialInsurance = "market.social_insurance"
    case housingFund = "market.housing_fund"
    case utilities = "market.utilities"
    case realEstate = "market.real_estate"
    case importExport = "market.import_export"
    case patents = "market.patents"
    case highTech = "market.high_tech"
    case litigation = "market.litigation"
    case personDishonestDebtor = "person.dishonest_debtor"
    case personMajorTaxViolation = "person.major_tax_violation"
    case personSocialInsurance = "person.social_insurance"
    case personContact = "person.contact"

    /// The file name public-platform items share.
    public static let publicFile = "public.jsonl"

    /// The field names, in the order of `SyntheticRecord.values`.
    public var fieldNames: [String] {
        switch self {
        case .registration:
            ["name", "org_type", "legal_representative", "legal_representative_id", "registered_capital",
             "established_on", "address", "industry", "operating_status"]
        case .licence: ["licence_no", "licence_name", "authority", "valid_from", "valid_to"]
        case .penalty: ["decision_no", "authority", "violation", "penalty_type", "amount", "severity"]
        case .dishonestDebtor: ["case_no", "court", "obligation", "amount"]
        case .majorTaxViolation: ["case_no", "authority", "violation", "amount"]
        case .abnormalOperation: ["reason", "authority"]
        case .taxCreditLevel: ["year", "level"]
        case .customsCreditLevel: ["level", "rated_on"]
        case .redList: ["list_name", "authority"]
        case .blackList: ["list_name", "authority", "reason"]
        case .creditCommitment: ["commitment_type", "fulfilled"]
        case .taxPaid: ["period", "tax_paid", "invoice_amount", "invoice_count", "arrears"]
        case .socialInsurance, .housingFund: ["period", "headcount", "contributions"]
        case .utilities: ["period", "utility", "amount_due", "days_late"]
        case .realEstate: ["certificate_no", "location", "area_m2", "assessed_value", "mortgaged"]
        case .importExport: ["period", "exports", "imports"]
        case .patents: ["patent_no", "kind", "title"]
        case .highTech: ["certificate_no"]
        case .litigation: ["case_no", "court", "role", "cause", "amount", "closed"]
        case .personDishonestDebtor: ["name", "id_number", "case_no", "court", "amount"]
        case .personMajorTaxViolation: ["name", "id_number", "case_no", "authority"]
        case .personSocialInsurance: ["period", "employer", "contributions"]
        case .personContact: ["name", "mobile", "bank_card", "address"]
        }
    }

    /// The catalog source that delivers the item (the `--source` of `credit-broker ingest`).
    public var source: String {
        switch self {
        case .taxPaid: "sushu_tax"
        case .socialInsurance, .housingFund, .personSocialInsurance: "jiangsu_social_insurance"
        case .utilities: "jiangsu_utilities"
        case .realEstate: "jiangsu_property"
        case .importExport: "nanjing_customs"
        case .patents, .highTech: "jiangsu_ip"
        case .litigation: "court_records"
        default: "jiangsu_public_credit"
        }
    }

    /// Whether the item comes from the public platform (JSON Lines) rather than a market provider (CSV).
    public var isPublic: Bool { source == "jiangsu_public_credit" }

    /// The output file: `public.jsonl` for public items, `<item id>.csv` for market items.
    public var fileName: String { isPublic ? Self.publicFile : rawValue + ".csv" }

    /// The optional date columns a CSV file of this item carries (by the item's disclosure rule).
    var dateColumns: [String] {
        switch self {
        case .litigation: ["decision_date"]
        case .highTech: ["publicity_start", "publicity_end"]
        default: []
        }
    }
}
