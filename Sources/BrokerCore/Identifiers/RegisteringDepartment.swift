/// The registering department of a USCC (position 1, GB 32100-2015 annex A).
public enum RegisteringDepartment: Character, Sendable, Hashable, CaseIterable {
    case establishmentOffice = "1"
    case foreignAffairs = "2"
    case justice = "3"
    case culture = "4"
    case civilAffairs = "5"
    case tourism = "6"
    case religiousAffairs = "7"
    case tradeUnion = "8"
    case marketRegulation = "9"
    case militaryEstablishmentOffice = "A"
    case agriculture = "N"
    case other = "Y"

    /// The department's Chinese name.
    public var chineseName: String {
        switch self {
        case .establishmentOffice: "机构编制"
        case .foreignAffairs: "外交"
        case .justice: "司法行政"
        case .culture: "文化"
        case .civilAffairs: "民政"
        case .tourism: "旅游"
        case .religiousAffairs: "宗教"
        case .tradeUnion: "工会"
        case .marketRegulation: "工商（市场监管）"
        case .militaryEstablishmentOffice: "中央军委改革和编制办公室"
        case .agriculture: "农业"
        case .other: "其他"
        }
    }

    /// The department's English name.
    public var englishName: String {
        switch self {
        case .establishmentOffice: "institutional establishment"
        case .foreignAffairs: "foreign affairs"
        case .justice: "judicial administration"
        case .culture: "culture"
        case .civilAffairs: "civil affairs"
        case .tourism: "tourism"
        case .religiousAffairs: "religious affairs"
        case .tradeUnion: "trade unions"
        case .marketRegulation: "market regulation"
        case .militaryEstablishmentOffice: "military reform and establishment office"
        case .agriculture: "agriculture"
        case .other: "other"
        }
    }
}
