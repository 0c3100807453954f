import BrokerCore

/// Who an organisation is: drawn from its own stream so that other subjects (persons' employers)
/// can refer to it without generating its records.
struct OrganisationIdentity: Sendable {
    let index: Int
    let kind: OrganisationKind
    let code: UnifiedSocialCreditCode
    let name: String
    let place: Place
    let established: CivilDate
    let industry: Vocabulary.Industry?

    /// A prefecture and county of Jiangsu.
    struct Place: Sendable {
        /// 0–12, for 3201 南京 … 3213 宿迁.
        let prefectureIndex: Int
        let prefectureName: String
        let countyCode: Int
        let countyName: String

        var prefectureCode: Int { 3201 + prefectureIndex }
        var abbreviation: String { Vocabulary.prefectureAbbreviations[prefectureIndex] }
        /// 南京市鼓楼区.
        var fullName: String { prefectureName + countyName }
        /// The basic-level court of the county, e.g. 南京市鼓楼区人民法院 or 昆山市人民法院.
        var court: String { (countyName.hasSuffix("市") ? countyName : fullName) + "人民法院" }
        /// The four digits of the county court in case numbers, e.g. 0106.
        var courtCode: Substring { String(countyCode % 10_000 + 10_000).dropFirst() }
        /// A street address in the county.
        func address(_ rng: inout SplitMix64) -> String {
            "江苏省" + fullName + rng.pick(Vocabulary.streets) + String(rng.int(in: 1...999)) + "号"
        }
    }
}
