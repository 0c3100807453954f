/// A six-digit GB/T 2260 administrative division code with the names the broker knows for it.
///
/// Validation rule (the table is in `GB2260`): the two-digit province prefix must be a
/// province-level division; in Jiangsu (32) digits 3–4 must be `00` or one of the 13 prefectures;
/// county digits are accepted as they come (historic and development-zone codes circulate), and
/// named when the county is a current one. A USCC may also carry `100000`, the code national
/// registering authorities use.
public struct AdministrativeDivision: Sendable, Hashable, CustomStringConvertible {
    /// The six digits.
    public let code: Int
    /// The province-level division's name (`全国` for the national code 100000).
    public let provinceName: String
    /// The Jiangsu prefecture's name, when the code lies in one.
    public let prefectureName: String?
    /// The county-level division's name, when it is a current Jiangsu county.
    public let countyName: String?

    /// The code used by national registering authorities in USCCs.
    public static let nationalCode = 100_000

    /// Looks `code` up; throws `unknownDivision` under the rule above. `kind` decides whether the
    /// national code is acceptable (USCC only) and is named in the error.
    public init(code: Int, for kind: IdentifierError.Kind) throws(IdentifierError) {
        guard (100_000...999_999).contains(code) else {
            throw .unknownDivision(kind, .unknownProvince)
        }
        if code == Self.nationalCode, kind == .unifiedSocialCreditCode {
            self.init(code: code, province: "全国", prefecture: nil, county: nil)
            return
        }
        guard let province = GB2260.provinces[code / 10_000] else {
            throw .unknownDivision(kind, .unknownProvince)
        }
        guard code / 10_000 == GB2260.jiangsu else {
            self.init(code: code, province: province, prefecture: nil, county: nil)
            return
        }
        let prefecture = GB2260.jiangsuPrefectures[code / 100]
        guard prefecture != nil || (code / 100) % 100 == 0 else {
            throw .unknownDivision(kind, .unknownJiangsuPrefecture)
        }
        self.init(code: code, province: province, prefecture: prefecture, county: GB2260.jiangsuCounties[code])
    }

    private init(code: Int, province: String, prefecture: String?, county: String?) {
        self.code = code
        provinceName = province
        prefectureName = prefecture
        countyName = county
    }

    /// The known names joined, most general first (e.g. `江苏省南京市鼓楼区`).
    public var name: String {
        provinceName + (prefectureName ?? "") + (countyName ?? "")
    }

    /// The six digits.
    public var description: String { String(code) }
}
