/// The organisation type of a USCC: positions 1–2, a registering department and its type digit
/// (GB 32100-2015 annex A). The raw value is the two characters, e.g. `91` for an enterprise.
public enum OrganisationType: String, Sendable, Hashable, CaseIterable {
    case stateOrgan = "11"
    case publicInstitution = "12"
    case massOrganisationUnderEstablishmentOffice = "13"
    case otherUnderEstablishmentOffice = "19"
    case foreignPressOffice = "21"
    case otherUnderForeignAffairs = "29"
    case lawFirm = "31"
    case notaryOffice = "32"
    case legalServiceOffice = "33"
    case forensicExpertiseInstitution = "34"
    case arbitrationCommission = "35"
    case otherUnderJustice = "39"
    case foreignCulturalCentre = "41"
    case otherUnderCulture = "49"
    case socialGroup = "51"
    case privateNonEnterpriseUnit = "52"
    case foundation = "53"
    case otherUnderCivilAffairs = "59"
    case foreignTourismOffice = "61"
    case hongKongMacaoTaiwanTourismOffice = "62"
    case otherUnderTourism = "69"
    case religiousVenue = "71"
    case religiousCollege = "72"
    case otherUnderReligiousAffairs = "79"
    case grassrootsTradeUnion = "81"
    case otherUnderTradeUnion = "89"
    case enterprise = "91"
    case individualBusiness = "92"
    case farmersCooperative = "93"
    case militaryPublicInstitution = "A1"
    case otherUnderMilitaryEstablishmentOffice = "A9"
    case groupCollectiveEconomicOrganisation = "N1"
    case villageCollectiveEconomicOrganisation = "N2"
    case townshipCollectiveEconomicOrganisation = "N3"
    case otherUnderAgriculture = "N9"
    case other = "Y1"

    /// The department that registers this type (position 1).
    public var department: RegisteringDepartment {
        // Every raw value starts with a department character, by construction of the cases.
        RegisteringDepartment(rawValue: rawValue.first!)!
    }

    /// The type's Chinese name.
    public var chineseName: String {
        switch self {
        case .stateOrgan: "机关"
        case .publicInstitution: "事业单位"
        case .massOrganisationUnderEstablishmentOffice: "中央编办直接管理机构编制的群众团体"
        case .foreignPressOffice: "外国常驻新闻机构"
        case .lawFirm: "律师执业机构"
        case .notaryOffice: "公证处"
        case .legalServiceOffice: "基层法律服务所"
        case .forensicExpertiseInstitution: "司法鉴定机构"
        case .arbitrationCommission: "仲裁委员会"
        case .foreignCulturalCentre: "外国在华文化中心"
        case .socialGroup: "社会团体"
        case .privateNonEnterpriseUnit: "民办非企业单位"
        case .foundation: "基金会"
        case .foreignTourismOffice: "外国旅游部门常驻代表机构"
        case .hongKongMacaoTaiwanTourismOffice: "港澳台地区旅游部门常驻内地（大陆）代表机构"
        case .religiousVenue: "宗教活动场所"
        case .religiousCollege: "宗教院校"
        case .grassrootsTradeUnion: "基层工会"
        case .enterprise: "企业"
        case .individualBusiness: "个体工商户"
        case .farmersCooperative: "农民专业合作社"
        case .militaryPublicInstitution: "军队事业单位"
        case .groupCollectiveEconomicOrganisation: "组级集体经济组织"
        case .villageCollectiveEconomicOrganisation: "村级集体经济组织"
        case .townshipCollectiveEconomicOrganisation: "乡镇级集体经济组织"
        case .otherUnderEstablishmentOffice, .otherUnderForeignAffairs, .otherUnderJustice, .otherUnderCulture,
             .otherUnderCivilAffairs, .otherUnderTourism, .otherUnderReligiousAffairs, .otherUnderTradeUnion,
             .otherUnderMilitaryEstablishmentOffice, .otherUnderAgriculture, .other:
            "其他"
        }
    }

    /// The type's English name.
    public var englishName: String {
        switch self {
        case .stateOrgan: "state organ"
        case .publicInstitution: "public institution"
        case .massOrganisationUnderEstablishmentOffice: "mass organisation under the establishment office"
        case .foreignPressOffice: "resident office of a foreign news agency"
        case .lawFirm: "law firm"
        case .notaryOffice: "notary office"
        case .legalServiceOffice: "grassroots legal service office"
        case .forensicExpertiseInstitution: "forensic expertise institution"
        case .arbitrationCommission: "arbitration commission"
        case .foreignCulturalCentre: "foreign cultural centre"
        case .socialGroup: "social group"
        case .privateNonEnterpriseUnit: "private non-enterprise unit"
        case .foundation: "foundation"
        case .foreignTourismOffice: "resident office of a foreign tourism authority"
        case .hongKongMacaoTaiwanTourismOffice: "resident office of a Hong Kong, Macao or Taiwan tourism authority"
        case .religiousVenue: "religious venue"
        case .religiousCollege: "religious college"
        case .grassrootsTradeUnion: "grassroots trade union"
        case .enterprise: "enterprise"
        case .individualBusiness: "individual business"
        case .farmersCooperative: "farmers' specialised cooperative"
        case .militaryPublicInstitution: "military public institution"
        case .groupCollectiveEconomicOrganisation: "group-level collective economic organisation"
        case .villageCollectiveEconomicOrganisation: "village-level collective economic organisation"
        case .townshipCollectiveEconomicOrganisation: "township-level collective economic organisation"
        case .otherUnderEstablishmentOffice, .otherUnderForeignAffairs, .otherUnderJustice, .otherUnderCulture,
             .otherUnderCivilAffairs, .otherUnderTourism, .otherUnderReligiousAffairs, .otherUnderTradeUnion,
             .otherUnderMilitaryEstablishmentOffice, .otherUnderAgriculture, .other:
            "other (\(department.englishName))"
        }
    }
}
