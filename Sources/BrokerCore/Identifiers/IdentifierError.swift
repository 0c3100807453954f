/// Why an identifier was rejected.
///
/// Descriptions explain the rule that failed and never repeat the identifier itself, so an error
/// can be logged or returned to a partner without leaking a personal number.
public enum IdentifierError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which kind of identifier failed.
    public enum Kind: String, Sendable, Hashable {
        case unifiedSocialCreditCode = "unified social credit code"
        case residentIDNumber = "resident ID number"
    }

    /// Why a birth date is unacceptable.
    public enum BirthDateProblem: Sendable, Hashable {
        /// The eight digits are not a real calendar date (e.g. 30 February).
        case notACalendarDate
        /// The date is after today.
        case inTheFuture
        /// The year is before 1800. GB 11643-1999 sets no earliest year; the oldest holders of
        /// 18-digit numbers were born in the 1880s, so the 1800s are valid and earlier years are not.
        case before1800
    }

    /// Why an administrative division code is unacceptable.
    public enum DivisionProblem: Sendable, Hashable {
        /// The first two digits name no province-level division of GB/T 2260.
        case unknownProvince
        /// The province is Jiangsu but digits 3–4 name none of its 13 prefectures.
        case unknownJiangsuPrefecture
    }

    /// The identifier does not have 18 characters.
    case wrongLength(Kind, actual: Int)
    /// A character is outside the identifier's alphabet (position counts from 1).
    case invalidCharacter(Kind, position: Int)
    /// USCC position 1 names no registering department of GB 32100.
    case unknownRegisteringDepartment
    /// USCC position 2 names no organisation type of the registering department.
    case unknownOrganisationType
    /// The administrative division code (positions 3–8 of a USCC, 1–6 of an ID number) is unknown.
    case unknownDivision(Kind, DivisionProblem)
    /// The birth date of an ID number is unacceptable.
    case invalidBirthDate(BirthDateProblem)
    /// USCC position 17, the GB 11714 organisation-code check character, is wrong.
    case wrongOrganisationCodeCheck(expected: Character)
    /// The final check character is wrong.
    case wrongCheckCharacter(Kind, expected: Character)

    /// Whether this is a failed check character on an otherwise well-formed identifier: the one
    /// failure that registry-feed data may carry as a data-quality warning.
    public var isCheckCharacterFailure: Bool {
        switch self {
        case .wrongOrganisationCodeCheck, .wrongCheckCharacter: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .wrongLength(let kind, let actual):
            "\(kind.rawValue) must have 18 characters, not \(actual)"
        case .invalidCharacter(.unifiedSocialCreditCode, let position):
            "unified social credit code: character \(position) is not allowed "
                + "(digits and upper-case letters except I, O, S, V, Z)"
        case .invalidCharacter(.residentIDNumber, let position):
            position == 18
                ? "resident ID number: character 18 must be a digit or X"
                : "resident ID number: character \(position) must be a digit"
        case .unknownRegisteringDepartment:
            "unified social credit code: character 1 names no registering department"
        case .unknownOrganisationType:
            "unified social credit code: character 2 names no organisation type of its registering department"
        case .unknownDivision(let kind, .unknownProvince):
            "\(kind.rawValue): the administrative division code names no province (GB/T 2260)"
        case .unknownDivision(let kind, .unknownJiangsuPrefecture):
            "\(kind.rawValue): the administrative division code names no Jiangsu prefecture (GB/T 2260)"
        case .invalidBirthDate(.notACalendarDate):
            "resident ID number: the birth date is not a calendar date"
        case .invalidBirthDate(.inTheFuture):
            "resident ID number: the birth date is in the future"
        case .invalidBirthDate(.before1800):
            "resident ID number: the birth date is before 1800"
        case .wrongOrganisationCodeCheck(let expected):
            "unified social credit code: organisation-code check character (17) is wrong (expected \(expected))"
        case .wrongCheckCharacter(let kind, let expected):
            "\(kind.rawValue): check character is wrong (expected \(expected))"
        }
    }
}

extension IdentifierError.Kind {
    /// The 18 bytes of `text`; throws `wrongLength` for any other number of characters and
    /// `invalidCharacter` for the first non-ASCII character of an 18-character text.
    func bytes(of text: some StringProtocol) throws(IdentifierError) -> [UInt8] {
        let bytes = Array(text.utf8)
        if bytes.count == 18 { return bytes }
        let characters = Array(text)
        guard characters.count == 18 else { throw .wrongLength(self, actual: characters.count) }
        let position = characters.firstIndex { !$0.isASCII } ?? 0
        throw .invalidCharacter(self, position: position + 1)
    }
}
